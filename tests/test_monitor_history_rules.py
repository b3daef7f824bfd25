"""History rules (rules/history.py) over an in-memory History."""

from __future__ import annotations

import copy
import datetime as dt
import random

import pytest

from nianbao.model import Cell, Report
from nianbao.rules import history as H
from nianbao.rules.histories import MemoryHistory
from nianbao.sandbox.reports import AgencyState, build_report

GOV = "甲县人民政府"
DEPT = "甲县教育局"
TOWN = "甲县城关镇人民政府"


def gen(agency: str, kind: str, year: int, seed: int, state: AgencyState | None = None) -> Report:
    """A realistic, internally consistent report (sandbox generator, pure)."""
    rep = build_report(agency, kind, year, random.Random(f"{seed}/{agency}/{year}"), county="甲县",
                       portal="www.jiaxian.gov.cn", state=state or AgencyState()).report
    rep.published = dt.date(year + 1, 1, 20)
    rep.url = f"http://www.jiaxian.gov.cn/{agency}/{year}.html"
    return rep


def rules_of(found: list[H.HistoryFinding]) -> list[tuple[str, str | None, int | None]]:
    return sorted((f.finding.rule, f.agency, f.year) for f in found)


# ---------------------------------------------------------------- MISSING_REPORT


@pytest.fixture
def dept_history() -> MemoryHistory:
    h = MemoryHistory()
    h.add_agency(DEPT, kind="department", parent=GOV)
    for y in (2021, 2023):
        h.add_report(gen(DEPT, "department", y, 1))
    return h


def test_missing_report_gaps_and_latest_due_year(dept_history):
    found = H.missing_reports(dept_history, dt.date(2025, 6, 1))
    assert rules_of(found) == [("MISSING_REPORT", DEPT, 2022), ("MISSING_REPORT", DEPT, 2024)]
    f = found[0].finding
    assert f.severity == "error" and "2022年度" in f.message and f.expected == "2023-01-31"
    assert found[0].report_id is None


def test_missing_report_waits_for_the_grace_period(dept_history):
    # department deadline 2025-01-31, grace 30 days: on 2025-02-15 only the gap 2022 is due
    assert rules_of(H.missing_reports(dept_history, dt.date(2025, 2, 15))) == [("MISSING_REPORT", DEPT, 2022)]
    assert rules_of(H.missing_reports(dept_history, dt.date(2025, 2, 15), {"missing_report_grace_days": 0})) == [
        ("MISSING_REPORT", DEPT, 2022), ("MISSING_REPORT", DEPT, 2024)]


def test_missing_report_for_watched_agency_without_any_report():
    h = MemoryHistory()
    h.add_agency(GOV, kind="government", watched=True)
    h.add_agency("乙县人民政府", kind="government", watched=False)  # known, not watched, never reported
    assert rules_of(H.missing_reports(h, dt.date(2025, 5, 15))) == [("MISSING_REPORT", GOV, 2024)]
    # 2024 is due 2025-03-31 + 30 days: on 2025-04-15 the latest year due is 2023
    assert rules_of(H.missing_reports(h, dt.date(2025, 4, 15))) == [("MISSING_REPORT", GOV, 2023)]


# ---------------------------------------------------------------- CHANGED_AFTER_PUBLICATION


def test_changed_after_publication_reports_cells_and_text():
    h = MemoryHistory()
    old = gen(GOV, "government", 2024, 2)
    old.applications["new"]["total"] = Cell(49, "49")
    new = copy.deepcopy(old)
    new.applications["new"]["total"] = Cell(47, "47")
    new.sections["5"] = new.sections["5"] + "\n三是进一步加强政策解读工作。"
    h.add_report(old, document="http://a/r.html", fetched_at="2025-02-01T00:00:00+00:00")
    h.add_report(new, document="http://a/r.html", fetched_at="2025-06-01T00:00:00+00:00")
    [f] = H.changed_after_publication(h)
    assert f.finding.rule == "CHANGED_AFTER_PUBLICATION" and f.finding.where == "versions.2"
    assert "applications.new.total: 49 → 47" in f.finding.message
    assert "+三是进一步加强政策解读工作。" in f.finding.evidence
    assert "2025-02-01" in f.finding.message and "2025-06-01" in f.finding.message


def test_volatile_page_parts_are_not_a_change():
    h = MemoryHistory()
    old = gen(GOV, "government", 2024, 3)
    old.sections["6"] += "\n浏览次数：125次  当前时间：2025年2月1日 星期六"
    new = copy.deepcopy(old)
    new.sections["6"] = new.sections["6"].replace("125", "9031").replace("2月1日 星期六", "6月3日 星期二")
    new.text = new.text + "访问量：9999"  # whole-page text is not compared, only tables and sections
    h.add_report(old, document="http://a/r.html")
    h.add_report(new, document="http://a/r.html")
    assert H.changed_after_publication(h) == []


# ---------------------------------------------------------------- REPORT_REMOVED


@pytest.mark.parametrize(("how", "status", "words"), [("gone", 404, "返回404"), ("unlisted", None, "栏目列表")])
def test_report_removed(how, status, words):
    h = MemoryHistory()
    h.add_report(gen(DEPT, "department", 2024, 4), document="http://a/r.html")
    h.add_report(gen(DEPT, "department", 2023, 4), document="http://a/q.html")
    h.remove("http://a/r.html", how, status)
    [f] = H.report_removed(h)
    assert (f.finding.rule, f.agency, f.year) == ("REPORT_REMOVED", DEPT, 2024)
    assert words in f.finding.message and f.finding.severity == "warning"


# ---------------------------------------------------------------- CARRY_OVER / STOCK


def _pair(seed: int) -> tuple[Report, Report]:
    state = AgencyState()
    return gen(GOV, "government", 2023, seed, state), gen(GOV, "government", 2024, seed, state)


def test_consistent_years_give_no_carry_over_or_stock_finding():
    prev, cur = _pair(5)
    assert H.carry_over(cur, prev) == [] and H.stock(cur, prev) == []


def test_carry_over_mismatch_per_column():
    prev, cur = _pair(6)
    prev.applications["carried_out"]["natural_person"] = Cell(3, "3")
    prev.applications["carried_out"]["total"] = Cell(3, "3")
    cur.applications["carried_in"]["natural_person"] = Cell(2, "2")
    cur.applications["carried_in"]["total"] = Cell(2, "2")
    found = {f.where: f for f in H.carry_over(cur, prev)}
    assert set(found) == {"applications.carried_in.natural_person", "applications.carried_in.total"}
    f = found["applications.carried_in.total"]
    assert (f.expected, f.actual) == (3, 2) and "四、结转下年度继续办理" in f.message
    cur.applications["carried_in"]["total"] = Cell(None, "2?", "unreadable")
    assert {f.where for f in H.carry_over(cur, prev)} == {"applications.carried_in.natural_person"}


def test_stock_mismatch():
    prev, cur = _pair(7)
    before = prev.disclosure["normative_documents"]["in_force"].value
    issued = cur.disclosure["normative_documents"]["issued"].value
    repealed = cur.disclosure["normative_documents"]["repealed"].value
    cur.disclosure["normative_documents"]["in_force"] = Cell(before + issued - repealed + 4, "x")
    [f] = H.stock(cur, prev)
    assert f.where == "disclosure.normative_documents.in_force" and f.expected == before + issued - repealed
    assert f.actual == f.expected + 4
    prev.layout = "2019"  # 对外公开总数量 is not 现行有效件数: no comparison across layouts
    assert H.stock(cur, prev) == []


def test_year_over_year_uses_the_previous_current_report():
    prev, cur = _pair(8)
    cur.applications["carried_in"]["total"] = Cell(99, "99")
    h = MemoryHistory()
    h.add_report(prev)
    h.add_report(cur)
    assert [(f.finding.rule, f.year, f.finding.where) for f in H.year_over_year(h)] == [
        ("CARRY_OVER_MISMATCH", 2024, "applications.carried_in.total")]


# ---------------------------------------------------------------- HIERARCHY_MISMATCH


def _tot(rep: Report, table: str, row: str, n: int) -> None:
    rep.table(table)[row]["total"] = Cell(n, str(n))


def test_hierarchy_mismatch():
    h = MemoryHistory()
    h.add_agency(GOV, kind="government")
    h.add_agency(DEPT, kind="department", parent=GOV)
    h.add_agency(TOWN, kind="township", parent=GOV)
    gov, dept, town = gen(GOV, "government", 2024, 9), gen(DEPT, "department", 2024, 9), gen(TOWN, "township", 2024, 9)
    for rep, n in ((gov, 10), (dept, 6), (town, 7)):
        _tot(rep, "applications", "new", n)
        _tot(rep, "applications", "total", 0)
        for g in ("review", "litigation_direct", "litigation_after_review"):
            _tot(rep, "appeals", g, 0)
    for rep in (gov, dept, town):
        h.add_report(rep)
    [f] = H.hierarchy(h)
    assert (f.agency, f.finding.where, f.finding.expected, f.finding.actual) == (
        GOV, "applications.new.total", 13, 10)
    assert DEPT in f.finding.evidence and TOWN in f.finding.evidence
    _tot(gov, "applications", "new", 13)
    assert H.hierarchy(h) == []


# ---------------------------------------------------------------- COPIED_FROM_*


def _relabel(rep: Report, *, year: int | None = None, agency: str | None = None) -> Report:
    out = copy.deepcopy(rep)
    old_year, old_agency = rep.year, rep.agency
    if year is not None:
        out.year = year
        out.sections = {k: v.replace(str(old_year), str(year)) for k, v in out.sections.items()}
        out.published = dt.date(year + 1, 1, 25)
    if agency is not None:
        out.agency = agency
        out.sections = {k: v.replace(old_agency, agency) for k, v in out.sections.items()}
        out.published = (out.published or dt.date(2025, 1, 1)) + dt.timedelta(days=10)
    out.url = f"http://copy/{out.agency}/{out.year}.html"
    return out


def test_copied_from_prior_year_prose_with_new_numbers():
    prev, cur = _pair(10)
    copied = _relabel(prev, year=2024)
    copied.applications, copied.disclosure = cur.applications, cur.disclosure  # numbers updated, prose not
    for k in copied.sections:  # numbers quoted in the prose changed too
        copied.sections[k] = copied.sections[k].replace("件", "件。", 1)
    h = MemoryHistory()
    h.add_report(prev)
    h.add_report(copied)
    [f] = H.copies(h)
    assert (f.finding.rule, f.agency, f.year, f.finding.actual) == ("COPIED_FROM_PRIOR_YEAR", GOV, 2024, 2023)
    assert "相似度" in f.finding.message


def test_copied_from_prior_year_identical_numbers():
    prev, cur = _pair(11)
    cur.applications, cur.appeals, cur.disclosure = (copy.deepcopy(prev.applications), copy.deepcopy(prev.appeals),
                                                     copy.deepcopy(prev.disclosure))
    h = MemoryHistory()
    h.add_report(prev)
    h.add_report(cur)
    [f] = H.copies(h)
    assert f.finding.rule == "COPIED_FROM_PRIOR_YEAR" and "全部数字与上年相同" in f.finding.message


def test_copied_from_other_agency_flags_the_later_one():
    src = gen(TOWN, "township", 2024, 12)
    other = "甲县新城镇人民政府"
    h = MemoryHistory()
    h.add_agency(TOWN, kind="township")
    h.add_agency(other, kind="township")
    h.add_report(src)
    h.add_report(_relabel(src, agency=other))
    [f] = H.copies(h)
    assert (f.finding.rule, f.agency, f.finding.actual) == ("COPIED_FROM_OTHER_AGENCY", other, TOWN)


def test_no_copy_findings_among_independent_reports():
    """Many independently written reports (shared boilerplate, as on real portals): no copy finding."""
    h = MemoryHistory()
    for i in range(40):
        state = AgencyState()
        name = f"甲县第{i}局"
        h.add_agency(name, kind="department", parent=GOV)
        for y in (2022, 2023, 2024):
            h.add_report(gen(name, "department", y, 13 + i, state), agency=name)
    assert [f for f in H.copies(h)] == []


def test_thresholds_are_settings():
    prev, cur = _pair(14)
    h = MemoryHistory()
    h.add_report(prev)
    h.add_report(cur)
    assert H.copies(h) == []
    # a similarity cut-off of 0 makes every compared pair a copy (LSH threshold lowered too)
    found = H.copies(h, {"copy_similarity": 0.0, "copy_lsh_threshold": 0.05, "copy_min_chars": 10})
    assert [f.finding.rule for f in found] == ["COPIED_FROM_PRIOR_YEAR"]
    assert H.setting({"copy_min_numbers": "3"}, "copy_min_numbers") == 3
