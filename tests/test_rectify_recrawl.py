"""整改 after a real re-crawl: two real Scrapy crawls of a sandbox network through its proxy.

Crawl 1 stores the county government's reports with their planted arithmetic defects; an officer
confirms them and records 已通知整改 with a deadline.  The government then corrects its 2023 report
in place (the true table restored; 2022 is left as it was); crawl 2 stores the corrected version,
re-audits it and the 2023 findings become 已整改 by themselves with the evidence; after the
deadline the 2022 ones become 逾期未整改.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from nianbao.monitor.job import run_plan
from nianbao.monitor.plans import parse_plan
from nianbao.sandbox.network import generate
from nianbao.sandbox.server import running
from nianbao.storage import rectify
from nianbao.storage.store import Store

pytestmark = pytest.mark.slow

SEED, SIZE = 5, 1
GOV = "岳普湖县人民政府"
FIXED, LEFT = 2023, 2022  # BALANCE_MISMATCH (corrected), RESULT_TOTAL_MISMATCH (not corrected)
TODAY = dt.datetime(2025, 12, 1, 3, 0, tzinfo=dt.UTC)
CRAWL = {"NIANBAO_BROWSER": "False", "AUTOTHROTTLE_ENABLED": "False", "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
         "NIANBAO_CRAWL_DELAY_ENABLED": "False", "RETRY_BACKOFF_BASE": "0.1"}


def _defect_fps(store: Store, year: int, rule: str) -> list[str]:
    return [r["fingerprint"] for r in store.query(
        "SELECT DISTINCT fingerprint FROM findings WHERE agency = ? AND year = ? AND rule = ? AND active = 1",
        (GOV, year, rule))]  # fmt: skip


def test_corrected_report_found_by_a_recrawl_is_rectified(tmp_path, monkeypatch):
    net = generate(SEED, SIZE)
    assert net.report_plan(GOV, FIXED).defect == "BALANCE_MISMATCH"
    assert net.report_plan(GOV, LEFT).defect == "RESULT_TOTAL_MISMATCH"
    (tmp_path / "sites.csv").write_text(net.sites_csv(departments=False), encoding="utf-8")
    plan = parse_plan({"name": "rectify", "sites": "sites.csv", "db": "r.db", "crawl": CRAWL}, tmp_path / "p.toml")
    deadline = rectify.today_beijing() + dt.timedelta(days=10)
    with running(net) as proxy:
        for k in ("http_proxy", "HTTP_PROXY"):
            monkeypatch.setenv(k, proxy)
        for k in ("no_proxy", "NO_PROXY"):
            monkeypatch.delenv(k, raising=False)
        run_plan(plan, now=lambda: TODAY, timeout=600)
        with Store(plan.db) as store:
            fixed = _defect_fps(store, FIXED, "BALANCE_MISMATCH")
            left = _defect_fps(store, LEFT, "RESULT_TOTAL_MISMATCH")
            assert fixed and left, "crawl 1 did not store the planted defects"
            old_report = store.one("SELECT id FROM reports WHERE agency = ? AND year = ? AND current = 1",
                                   (GOV, FIXED))["id"]  # fmt: skip
            for fp in fixed + left:
                store.set_review(fp, "confirmed", reviewer="alice")
            n, _ = rectify.notify(store, fixed + left, deadline=deadline, notified_to=GOV, by="alice")
            assert n == len(fixed + left)

        true = net.generated(GOV, FIXED).true_applications
        net.edit_report(GOV, FIXED, cells={f"applications.{row}.{col}": cell.value
                                           for row, cols in true.items() for col, cell in cols.items()
                                           if cell.value is not None})  # fmt: skip
        run_plan(plan, now=lambda: TODAY, timeout=600)

    with Store(plan.db) as store:
        new_report = store.one("SELECT id FROM reports WHERE agency = ? AND year = ? AND current = 1",
                               (GOV, FIXED))["id"]  # fmt: skip
        assert new_report != old_report
        assert not _defect_fps(store, FIXED, "BALANCE_MISMATCH")  # re-audited: the defect is gone
        for fp in fixed:
            row = rectify.state_of(store, fp)
            assert row["state"] == "rectified" and row["resolved_report_id"] == new_report
            ev = json.loads(row["evidence"])
            assert ev["old_report_id"] == old_report and ev["new_report_id"] == new_report
            assert ev["changed_cells"] and all(old != new for _, old, new in ev["changed_cells"])
        # both versions kept
        assert store.one("SELECT COUNT(*) AS n FROM reports WHERE agency = ? AND year = ?", (GOV, FIXED))["n"] == 2
        assert {rectify.state_of(store, fp)["state"] for fp in left} == {"notified"}
        rectify.reassess(store, today=deadline + dt.timedelta(days=1))
        assert {rectify.state_of(store, fp)["state"] for fp in left} == {"overdue"}
        assert {rectify.state_of(store, fp)["state"] for fp in fixed} == {"rectified"}
