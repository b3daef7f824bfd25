"""StoreHistory and Store.save_history_findings on a real SQLite file (no crawl)."""

from __future__ import annotations

import copy
import datetime as dt

from nianbao.model import Cell
from nianbao.monitor.audit import audit_store
from nianbao.monitor.notify import build_digest, known_fingerprints, new_findings
from nianbao.rules.deadlines import publisher_kind
from nianbao.storage.history import StoreHistory
from nianbao.storage.store import Store
from tests.storage_factory import make_report

AG = "甲县教育局"
URL = "http://www.jia.gov.cn/nb/2024.html"


def _save(store: Store, report, body: bytes, *, url: str = URL, status: int = 200, run_id=None) -> int:
    ref = store.add_document(url, body, status=status, run_id=run_id, site="http://www.jia.gov.cn/")
    return store.save_report(report, version_id=ref.version_id, run_id=run_id)


def test_versions_removal_and_findings_lifecycle(tmp_path):
    store = Store(tmp_path / "h.db")
    store.upsert_agency(AG, kind="department")
    r1 = make_report(AG, 2024)
    _save(store, r1, b"v1")
    r2 = copy.deepcopy(r1)
    r2.applications["new"]["total"] = Cell(99, "99")
    rid2 = _save(store, r2, b"v2")
    h = StoreHistory(store, publisher_kind)
    [readings] = list(h.versions())
    assert [s.version for s in readings] == [1, 2] and readings[1].report_id == rid2
    assert h.report(AG, 2024).report_id == rid2 and h.report(AG, 2024).version == 2

    first = audit_store(store, today=dt.date(2025, 3, 1))
    changed = [f for f in first.findings if f.finding.rule == "CHANGED_AFTER_PUBLICATION"]
    assert len(changed) == 1 and "applications.new.total:" in changed[0].finding.message
    assert changed[0].fingerprint in first.new
    row = store.one("SELECT report_id, active, created_at FROM findings WHERE rule = 'CHANGED_AFTER_PUBLICATION'")
    assert row["report_id"] == rid2 and row["active"] == 1
    store.set_review(changed[0].fingerprint, "confirmed", reviewer="张三")

    # the page is taken down: 404
    known = known_fingerprints(store)
    store.add_document(URL, None, status=404)
    second = audit_store(store, today=dt.date(2025, 3, 1))
    assert second.new == [f.fingerprint for f in second.findings if f.finding.rule == "REPORT_REMOVED"]
    assert store.one("SELECT created_at FROM findings WHERE rule = 'CHANGED_AFTER_PUBLICATION'")["created_at"] == \
        row["created_at"]
    assert store.review(changed[0].fingerprint)["status"] == "confirmed"
    fresh = new_findings(store, known)
    assert [f["rule"] for f in fresh] == ["REPORT_REMOVED"] and "返回404" in fresh[0]["message"]
    digest = build_digest("p", fresh)
    assert digest.count == 1 and AG in digest.text and "报告已被撤下" in digest.text

    # it comes back with the same bytes: the removal is resolved
    store.add_document(URL, b"v2")
    third = audit_store(store, today=dt.date(2025, 3, 1))
    assert not [f for f in third.findings if f.finding.rule == "REPORT_REMOVED"] and len(third.resolved) == 1
    store.close()


def test_unlisted_after_a_later_crawl(tmp_path):
    store = Store(tmp_path / "u.db")
    run1 = store.start_run("crawl")
    _save(store, make_report(AG, 2024), b"a", run_id=run1)
    _save(store, make_report(AG, 2023, seed=3), b"b", url="http://www.jia.gov.cn/nb/2023.html", run_id=run1)
    store.finish_run(run1)
    run2 = store.start_run("crawl")
    store.add_document("http://www.jia.gov.cn/nb/2023.html", b"b", run_id=run2, site="http://www.jia.gov.cn/")
    store.finish_run(run2)
    [rm] = StoreHistory(store, publisher_kind).removals()
    assert (rm.how, rm.stored.year) == ("unlisted", 2024)
    store.close()
