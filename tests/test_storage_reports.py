"""Reports, cells, findings, reviews, current selection, runs."""

from __future__ import annotations

import datetime as dt

import pytest

from nianbao.model import Finding
from nianbao.storage import exports
from tests.storage_factory import make_report, n_cells


def _doc(store, url="http://www.lishan.gov.cn/a.html", body=b"v1", at="2025-01-21T00:00:00+00:00"):
    return store.add_document(url, body, fetched_at=at)


def test_save_report_stores_every_cell_and_finding(store):
    report = make_report()
    ref = _doc(store)
    rid = store.save_report(report, version_id=ref.version_id, level="county", region="210304")
    assert store.query("SELECT COUNT(*) AS n FROM cells WHERE report_id = ?", (rid,))[0]["n"] == n_cells(
        report
    )
    assert n_cells(report) == 200  # 26 rows x 7 + 15 appeals + 13 disclosure
    findings = store.query("SELECT * FROM findings WHERE report_id = ? ORDER BY id", (rid,))
    assert [f["rule"] for f in findings] == ["ROW_TOTAL_MISMATCH", "BLANK_CELLS", "MISSING_FEE_STATEMENT"]
    assert findings[0]["fingerprint"] == report.findings[0].fingerprint("鞍山市立山区人民政府", 2024)
    assert findings[0]["location"] == "applications.new.total" and findings[0]["active"] == 1
    row = store.one("SELECT * FROM reports WHERE id = ?", (rid,))
    assert (row["agency"], row["year"], row["layout"], row["current"]) == (
        "鞍山市立山区人民政府",
        2024,
        "2021",
        1,
    )
    assert (row["level"], row["region"], row["province"]) == ("county", "210304", "辽宁省")
    assert row["first_seen"] == "2025-01-21" and row["n_cells"] == n_cells(report)
    blank = store.one(
        "SELECT * FROM cells WHERE report_id = ? AND tbl = 'applications' AND row_key = 'granted' "
        "AND col_key = 'research'",
        (rid,),
    )
    assert blank["value"] is None and blank["status"] == "blank" and blank["raw"] == "—"
    # the report reads back equal (cells, statuses, money with decimals, findings)
    back = store.load_report(rid)
    assert back.applications == report.applications
    assert back.appeals == report.appeals and back.disclosure == report.disclosure
    assert back.disclosure["fees"]["amount"].value == 1.5
    assert [f.to_dict() for f in back.findings] == [f.to_dict() for f in report.findings]
    assert back.published == report.published and back.sections == report.sections


def test_reingest_same_version_is_idempotent(store):
    ref = _doc(store)
    rid1 = store.save_report(make_report(), version_id=ref.version_id)
    ref2 = _doc(store, at="2025-02-01T00:00:00+00:00")
    rid2 = store.save_report(make_report(), version_id=ref2.version_id)
    assert rid1 == rid2 and ref.version_id == ref2.version_id
    counts = store.counts()
    assert (counts["documents"], counts["document_versions"], counts["reports"], counts["findings"]) == (
        1,
        1,
        1,
        3,
    )
    assert counts["cells"] == n_cells(make_report())


def test_reparse_replaces_cells_and_findings_but_reviews_survive(store):
    ref = _doc(store)
    rid = store.save_report(make_report(), version_id=ref.version_id)
    fp = store.one("SELECT fingerprint FROM findings WHERE rule = 'ROW_TOTAL_MISMATCH'")["fingerprint"]
    first_flagged = store.one("SELECT created_at FROM findings WHERE fingerprint = ?", (fp,))["created_at"]
    store.set_review(fp, "已驳回", reviewer="张三", note="表格读错一位")
    fewer = make_report(
        seed=1,
        findings=[
            Finding("ROW_TOTAL_MISMATCH", "error", "applications.new.total", "总计与各列之和不符", 22, 23)
        ],
    )
    fewer.applications.pop("carried_out")
    assert store.save_report(fewer, version_id=ref.version_id) == rid
    rows = store.query("SELECT * FROM findings WHERE report_id = ?", (rid,))
    assert len(rows) == 1 and rows[0]["fingerprint"] == fp and rows[0]["actual"] == "23"
    assert rows[0]["created_at"] == first_flagged
    assert store.query("SELECT COUNT(*) AS n FROM cells WHERE report_id = ?", (rid,))[0]["n"] == n_cells(
        fewer
    )
    assert (
        store.one(
            "SELECT value FROM cells WHERE report_id = ? AND tbl = 'applications' AND row_key = 'new' "
            "AND col_key = 'natural_person'",
            (rid,),
        )["value"]
        == 1
    )
    review = store.review(fp)
    assert (review["status"], review["reviewer"], review["note"]) == ("dismissed", "张三", "表格读错一位")
    exported = exports.export_findings(store)
    assert exported[0]["review"] == "dismissed" and exported[0]["reviewer"] == "张三"
    store.set_review(fp, "confirmed", reviewer="李四")
    history = store.query("SELECT status, previous_status FROM review_history ORDER BY id")
    assert history == [
        {"status": "dismissed", "previous_status": None},
        {"status": "confirmed", "previous_status": "dismissed"},
    ]
    with pytest.raises(ValueError, match="unknown review status"):
        store.set_review(fp, "maybe")


def test_new_version_becomes_current_and_old_is_kept(store):
    url = "http://www.lishan.gov.cn/a.html"
    r1 = store.save_report(make_report(), version_id=_doc(store, url, b"v1").version_id)
    r2 = store.save_report(
        make_report(seed=5), version_id=_doc(store, url, b"v2", "2025-03-01T00:00:00+00:00").version_id
    )
    cur = {r["id"]: r["current"] for r in store.query("SELECT id, current FROM reports")}
    assert cur == {r1: 0, r2: 1}
    active = {
        r["report_id"]: r["active"] for r in store.query("SELECT DISTINCT report_id, active FROM findings")
    }
    assert active == {r1: 0, r2: 1}
    assert [r["id"] for r in exports.export_reports(store)] == [r2]
    assert {r["id"] for r in exports.export_reports(store, current_only=False)} == {r1, r2}
    assert store.current_report_id("鞍山市立山区人民政府", 2024) == r2
    # a corrected re-publication at another URL, discovered later, supersedes both
    r3 = store.save_report(
        make_report(seed=7),
        version_id=_doc(
            store, "http://www.lishan.gov.cn/b.html", b"v3", "2025-04-01T00:00:00+00:00"
        ).version_id,
    )
    assert store.current_report_id("鞍山市立山区人民政府", 2024) == r3
    # re-saving an old report does not steal "current"
    store.save_report(
        make_report(),
        version_id=store.one("SELECT version_id FROM reports WHERE id = ?", (r1,))["version_id"],
    )
    assert store.current_report_id("鞍山市立山区人民政府", 2024) == r3


def test_reports_of_other_years_and_agencies_are_independent(store):
    a = store.save_report(
        make_report(year=2023), version_id=_doc(store, "http://x.gov.cn/1", b"1").version_id
    )
    b = store.save_report(
        make_report(year=2024), version_id=_doc(store, "http://x.gov.cn/2", b"2").version_id
    )
    c = store.save_report(
        make_report("鞍山市铁东区人民政府"), version_id=_doc(store, "http://x.gov.cn/3", b"3").version_id
    )
    assert store.query("SELECT id FROM reports WHERE current = 1 ORDER BY id") == [
        {"id": a},
        {"id": b},
        {"id": c},
    ]
    prev = store.previous_report("鞍山市立山区人民政府", 2024)
    assert prev is not None and prev.year == 2023
    assert store.previous_report("鞍山市立山区人民政府", 2023) is None
    assert {r["agency"] for r in store.reports_of_year(2024, exclude_agency="鞍山市铁东区人民政府")} == {
        "鞍山市立山区人民政府"
    }


def test_agency_hint_and_report_without_version(store):
    report = make_report()
    report.agency = None
    rid = store.save_report(report, agency_hint="鞍山市立山区人民政府")
    row = store.one("SELECT agency, agency_source, version_id, current FROM reports WHERE id = ?", (rid,))
    assert row == {
        "agency": "鞍山市立山区人民政府",
        "agency_source": "hint",
        "version_id": None,
        "current": 1,
    }
    assert store.save_report(report, agency_hint="鞍山市立山区人民政府") == rid
    assert store.counts()["reports"] == 1


def test_non_reports_are_stored_without_competing(store):
    notice = make_report(findings=[])
    notice.is_report = False
    notice.applications = {}
    rid = store.save_report(notice, version_id=_doc(store, "http://x.gov.cn/n", b"n").version_id)
    real = store.save_report(make_report(), version_id=_doc(store, "http://x.gov.cn/r", b"r").version_id)
    assert store.one("SELECT current FROM reports WHERE id = ?", (rid,))["current"] == 1
    assert [r["id"] for r in exports.export_reports(store)] == [real]
    assert {r["id"] for r in exports.export_reports(store, reports_only=False)} == {rid, real}


def test_deadline_and_days_late(store):
    """The intake works out kind and deadline (one place); the store records them and the days late."""
    from nianbao.intake import filing

    late = make_report(published=dt.date(2025, 4, 2))  # a district government: deadline 31 March
    f = filing(late.agency, late.year, level="county")
    rid = store.save_report(late, version_id=_doc(store).version_id, level="county", kind=f.kind,
                            province=f.province, deadline=f.deadline)  # fmt: skip
    row = store.one("SELECT deadline, days_late, agency_kind FROM reports WHERE id = ?", (rid,))
    assert row == {"deadline": "2025-03-31", "days_late": 2, "agency_kind": "government"}
    dept = make_report("鞍山市立山区教育局", published=dt.date(2025, 1, 20))
    f = filing(dept.agency, dept.year, level="department")
    rid = store.save_report(dept, version_id=_doc(store, "http://x.gov.cn/e", b"e").version_id, level="department",
                            kind=f.kind, deadline=f.deadline)  # fmt: skip
    row = store.one("SELECT deadline, days_late FROM reports WHERE id = ?", (rid,))
    assert row == {"deadline": "2025-01-31", "days_late": -11}


def test_runs_and_run_sites(store):
    run = store.start_run("crawl", {"sites": "sites.csv"})
    store.record_run_site(
        run, "http://www.lishan.gov.cn", stats={"pages": 3}, health="ok", agency="鞍山市立山区人民政府"
    )
    store.record_run_site(run, "http://www.lishan.gov.cn", stats={"pages": 5})
    rid = store.save_report(make_report(), version_id=_doc(store).version_id, run_id=run)
    store.finish_run(run, {"documents": 1})
    info = store.run(run)
    assert (
        info["status"] == "finished"
        and info["stats"] == {"documents": 1}
        and info["params"]["sites"] == "sites.csv"
    )
    site = store.one("SELECT * FROM run_sites")
    assert (site["health"], site["stats"], site["agency"]) == ("ok", '{"pages": 5}', "鞍山市立山区人民政府")
    assert store.one("SELECT run_id FROM reports WHERE id = ?", (rid,))["run_id"] == run


@pytest.mark.slow
def test_write_speed(store):
    """A crawl stores thousands of reports: 300 full reports must take well under 10 s."""
    import time

    report = make_report()
    t = time.perf_counter()
    for i in range(300):
        ref = store.add_document(f"http://x.gov.cn/{i}", f"body{i}".encode())
        report.agency = f"机构{i}"
        store.save_report(report, version_id=ref.version_id)
    assert time.perf_counter() - t < 10
    assert store.counts()["cells"] == 300 * n_cells(report)


def test_level_and_region_describe_the_reports_agency(store):
    dept = make_report("鞍山市立山区教育局")  # found on the district portal, attributed by the crawler
    rid = store.save_report(dept, version_id=_doc(store).version_id, agency_hint="鞍山市立山区人民政府",
                            level="department", region="210304")  # fmt: skip
    row = store.one("SELECT agency, level, region, province FROM reports WHERE id = ?", (rid,))
    assert row == {
        "agency": "鞍山市立山区教育局",
        "level": "department",
        "region": "210304",
        "province": "辽宁省",
    }
    assert store.agency("鞍山市立山区教育局")["level"] == "department"
    assert store.agency("鞍山市立山区人民政府") is None  # the hint names no report here
