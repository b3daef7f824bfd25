"""整改 tracking: the pure transition, and a store where corrected reports are re-ingested."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from nianbao.sandbox import sample
from nianbao.storage import rectify
from nianbao.storage.rectify import Situation, decide
from nianbao.storage.store import Store

D = dt.date(2025, 3, 31)
LISHAN, TIEXI, DALIAN_XIGANG = 2, 4, 10  # BALANCE_MISMATCH 2023, ROW_TOTAL_MISMATCH 2024, RESULT_TOTAL 2024


@pytest.mark.parametrize(("situation", "today", "state"), [
    (Situation("notified", D, newer_version=False, defect_present=True), D, "notified"),
    (Situation("notified", D, newer_version=False, defect_present=True), D + dt.timedelta(days=1), "overdue"),
    (Situation("notified", D, newer_version=True, defect_present=True), D, "notified"),  # republished, not fixed
    (Situation("notified", D, newer_version=True, defect_present=False), D, "rectified"),
    (Situation("overdue", D, newer_version=True, defect_present=False), D + dt.timedelta(days=9), "rectified"),
    (Situation("rectified", D, newer_version=True, defect_present=True), D + dt.timedelta(days=9), "rectified"),
    (Situation("notified", None, newer_version=False, defect_present=True), D, "notified"),
])  # fmt: skip
def test_decide(situation, today, state):
    assert decide(situation, today) == state


def test_only_confirmed_findings_can_be_notified():
    assert rectify.can_notify("confirmed", None) and rectify.can_notify("confirmed", "overdue")
    assert not rectify.can_notify("pending", None) and not rectify.can_notify("dismissed", None)
    assert not rectify.can_notify("confirmed", "rectified")


def _fps(store: Store, report_id: int) -> list[str]:
    return [r["fingerprint"] for r in store.query(
        "SELECT fingerprint FROM findings WHERE report_id = ? AND active = 1", (report_id,))]


def test_corrected_republication_is_rectified_and_the_rest_become_overdue(tmp_path):
    with Store(tmp_path / "r.db") as store:
        ids = sample.build(store)
        lishan = _fps(store, ids[(LISHAN, 2023)])
        tiexi = _fps(store, ids[(TIEXI, 2024)])
        pending = _fps(store, ids[(DALIAN_XIGANG, 2024)])
        assert lishan and tiexi and pending
        for fp in lishan + tiexi:
            store.set_review(fp, "confirmed", reviewer="alice")
        deadline = rectify.today_beijing() + dt.timedelta(days=30)  # re-ingesting reassesses with today's date
        changed, skipped = rectify.notify(store, lishan + tiexi + pending, deadline=deadline, notified_to="各区政府办公室",
                                          by="alice")  # fmt: skip
        assert (changed, skipped) == (len(set(lishan + tiexi)), len(set(pending)))
        assert rectify.state_of(store, pending[0]) is None  # not confirmed: not notified
        assert rectify.counts(store) == {"notified": changed, "rectified": 0, "overdue": 0}

        # 立山区 republishes a corrected 2023 report (another URL); 铁西区 republishes with the defect still in
        old_values = {(c["tbl"], c["row_key"], c["col_key"]): c["value"] for c in store.query(
            "SELECT * FROM cells WHERE report_id = ?", (ids[(LISHAN, 2023)],))}  # fmt: skip
        fixed = sample.generated_page(sample.AGENCIES[LISHAN], 2023)
        new_id, _ = sample.ingest_one(store, sample.AGENCIES[LISHAN], 2023, fixed,
                                      url="http://www.example-gov.cn/210304/xxgk/ndbg/2023/corrected.html")  # fmt: skip
        again = sample.generated_page(sample.AGENCIES[TIEXI], 2024, defect="ROW_TOTAL_MISMATCH")
        sample.ingest_one(store, sample.AGENCIES[TIEXI], 2024, again + b"\n<!-- republished -->",
                          url="http://www.example-gov.cn/210303/xxgk/ndbg/2024/again.html")  # fmt: skip
        assert store.one("SELECT current FROM reports WHERE id = ?", (new_id,))["current"] == 1

        for fp in lishan:
            row = rectify.state_of(store, fp)
            assert row["state"] == "rectified" and row["resolved_report_id"] == new_id
            ev = json.loads(row["evidence"])
            assert ev["old_report_id"] == ids[(LISHAN, 2023)] and ev["new_report_id"] == new_id
            assert ev["actual"] is not None and ev["expected"] is not None and ev["actual"] != ev["expected"]
            assert ev["changed_cells"], ev  # the corrected cells, with their old and new values
            for key, old, new in ev["changed_cells"]:
                assert old_values.get(tuple(key.split(".", 1)[:1] + key.split(".", 1)[1].rsplit(".", 1))) == old
                assert old != new
            assert "更正后的报告" in rectify.evidence_text(ev)
        # both versions kept
        assert store.one("SELECT COUNT(*) AS n FROM reports WHERE agency_id = (SELECT agency_id FROM reports "
                         "WHERE id = ?) AND year = 2023", (new_id,))["n"] == 2  # fmt: skip
        assert all(rectify.state_of(store, fp)["state"] == "notified" for fp in tiexi)

        assert rectify.reassess(store, today=deadline) == {}
        moved = rectify.reassess(store, today=deadline + dt.timedelta(days=1))
        assert moved == {"overdue": len(set(tiexi))}
        assert all(rectify.state_of(store, fp)["state"] == "overdue" for fp in tiexi)
        assert rectify.counts(store) == {"notified": 0, "rectified": len(set(lishan)), "overdue": len(set(tiexi))}
        states = [h["state"] for h in rectify.history(store, tiexi[:1])]
        assert states == ["overdue", "notified"]
