"""Sandbox report generator and renderer: consistent numbers, defects, official table markup."""

from __future__ import annotations

import random

import pytest
from lxml import html as lxml_html

from nianbao.layouts import APPEAL_GROUPS, APPLICANT_COLUMNS, APPLICATION_ROWS, RESULT_ROWS
from nianbao.model import Report
from nianbao.sandbox.render import render_html, render_page, render_text
from nianbao.sandbox.reports import DEFECTS, NEEDS_2021, AgencyState, build_report


def _report(defect=None, year=2024, kind="government", seed=7, layout=None) -> Report:
    name = {"government": "鞍山市立山区人民政府", "department": "鞍山市立山区教育局",
            "township": "鞍山市立山区新桥街道办事处"}[kind]
    return build_report(name, kind, year, random.Random(seed), county="鞍山市立山区", portal="www.ls.gov.cn",
                        defect=defect, layout=layout).report


def identity_failures(rep: Report) -> set[str]:
    """Which arithmetic rules the report breaks (a tiny independent checker)."""
    out: set[str] = set()
    a, layout = rep.applications, rep.layout
    for cols in a.values():
        if sum(cols[c].value for c in APPLICANT_COLUMNS) != cols["total"].value:
            out.add("ROW_TOTAL_MISMATCH")
    for c in [*APPLICANT_COLUMNS, "total"]:
        if sum(a[r][c].value for r in RESULT_ROWS[layout]) != a["total"][c].value:
            out.add("RESULT_TOTAL_MISMATCH")
        if a["new"][c].value + a["carried_in"][c].value != a["total"][c].value + a["carried_out"][c].value:
            out.add("BALANCE_MISMATCH")
    for g in APPEAL_GROUPS:
        t = rep.appeals[g]
        if t["upheld"].value + t["corrected"].value + t["other"].value + t["pending"].value != t["total"].value:
            out.add("APPEAL_TOTAL_MISMATCH")
    return out


@pytest.mark.parametrize("kind", ["government", "department", "township"])
@pytest.mark.parametrize("year", [2020, 2024])
def test_clean_reports_obey_every_identity(kind, year):
    for seed in range(15):
        rep = _report(year=year, kind=kind, seed=seed)
        assert identity_failures(rep) == set()
        assert set(rep.applications) == set(APPLICATION_ROWS[rep.layout])
        assert rep.layout == ("2019" if year <= 2020 else "2021")
        assert sorted(rep.sections) == ["1", "2", "3", "4", "5", "6"]
        if year >= 2021:
            assert "处理费" in rep.sections["6"]
        new = rep.applications["new"]["total"].value
        if new:
            assert f"申请{new}件" in rep.sections["1"]  # prose quotes the table


@pytest.mark.parametrize("defect", DEFECTS)
def test_each_defect_breaks_only_its_rule(defect):
    for seed in range(8):
        gen = build_report("鞍山市立山区教育局", "department", 2023, random.Random(seed), county="鞍山市立山区",
                           portal="www.ls.gov.cn", defect=defect)
        rep = gen.report
        assert gen.defects and all(d["rule"] == defect for d in gen.defects)
        arithmetic = identity_failures(rep)
        if defect in ("ROW_TOTAL_MISMATCH", "RESULT_TOTAL_MISMATCH", "BALANCE_MISMATCH", "APPEAL_TOTAL_MISMATCH"):
            assert arithmetic == {defect}
        else:
            assert arithmetic == set()
        if defect == "NARRATIVE_MISMATCH":
            d = gen.defects[0]
            assert d["expected"] == rep.applications["new"]["total"].value != d["actual"]
            assert f"申请{d['actual']}件" in rep.sections["1"]
        if defect == "MISSING_SECTION":
            assert "5" not in rep.sections and "五、存在的主要问题及改进情况" not in rep.text
        if defect == "MISSING_FEE_STATEMENT":
            assert "处理费" not in rep.sections["6"]
        if defect == "OUTDATED_LAYOUT":
            assert rep.layout == "2019" and rep.year == 2023 and "other" in rep.applications


def test_defects_needing_2021_are_refused_for_earlier_years():
    for defect in NEEDS_2021:
        with pytest.raises(ValueError):
            _report(defect=defect, year=2020)


def test_carry_over_and_stock_chain_across_years():
    state = AgencyState()
    prev = None
    for year in range(2021, 2025):
        rep = build_report("X县人民政府", "government", year, random.Random(year), county="X县", portal="www.x.gov.cn",
                           state=state).report
        if prev is not None:
            for c in [*APPLICANT_COLUMNS, "total"]:
                assert rep.applications["carried_in"][c].value == prev.applications["carried_out"][c].value
            nd, pnd = rep.disclosure["normative_documents"], prev.disclosure["normative_documents"]
            assert nd["in_force"].value == pnd["in_force"].value + nd["issued"].value - nd["repealed"].value
        assert rep.disclosure["rules"]["issued"].value == 0  # no 规章 at county level
        prev = rep


def _effective_widths(table) -> list[int]:
    """Columns each row covers, counting cells spanning down from rows above."""
    rows = table.xpath("./tbody/tr|./tr")
    carry = [0] * (len(rows) + 1)
    widths = []
    for i, tr in enumerate(rows):
        w = carry[i]
        for td in tr.xpath("./td|./th"):
            cs, rs = int(td.get("colspan", 1)), int(td.get("rowspan", 1))
            w += cs
            for k in range(i + 1, min(i + rs, len(rows))):
                carry[k] += cs
        widths.append(w)
    return widths


@pytest.mark.parametrize("layout_year", [2020, 2024])
@pytest.mark.parametrize("style", ["official", "word", "plain"])
def test_html_tables_follow_the_national_layout(layout_year, style):
    rep = _report(year=layout_year)
    doc = lxml_html.fromstring(render_page(rep, style))
    tables = doc.xpath("//table")
    assert len(tables) == 3
    expected = {0: 4, 1: 10, 2: 15}
    for i, t in enumerate(tables):
        assert set(_effective_widths(t)) == {expected[i]}, f"table {i} is ragged in {style}"
    sec3 = tables[1]
    spans = {td.text_content().replace("\n", "").strip(): (int(td.get("rowspan", 1)), int(td.get("colspan", 1)))
             for td in sec3.xpath(".//td")}
    results = len(RESULT_ROWS[rep.layout]) + 1
    assert spans["三、本年度办理结果"] == (results, 1)
    assert spans["申请人情况"] == (1, 7)
    assert spans["法人或其他组织"] == (1, 5)
    assert spans["总计"] == (2, 1)
    assert any(k.startswith("(本列数据的勾稽关系") or k.startswith("\uff08本列") for k in spans)
    assert len(sec3.xpath(".//tr")) == 3 + 2 + results + 1
    cells = [td.text_content().strip() for td in sec3.xpath(".//td")]
    assert str(rep.applications["total"]["total"].value) in cells


def test_word_export_looks_like_word():
    out = render_html(_report(), "word")
    for marker in ("class=MsoNormal", "<o:p></o:p>", "&nbsp;", "MsoNormalTable", "<br>", "lang=EN-US",
                   "urn:schemas-microsoft-com:office:office"):
        assert marker in out
    assert "结果<br>\n维持" in out


@pytest.mark.parametrize("style", ["pipe", "tab", "lines"])
def test_text_keeps_every_value(style):
    rep = _report()
    text = render_text(rep, style)
    assert "三、收到和处理政府信息公开申请情况" in text and "鞍山市立山区人民政府" in text.splitlines()[-2]
    if style == "pipe":
        line = next(ln for ln in text.splitlines() if ln.startswith("一、本年新收"))
        nums = [int(x) for x in line.split("|")[1:] if x.strip()]
        assert nums == [rep.applications["new"][c].value for c in [*APPLICANT_COLUMNS, "total"]]


def _variants(rep: Report) -> dict[str, tuple[bytes, str]]:
    from nianbao.sandbox.docx_fast import render_docx

    out = {f"html-{s}": (render_page(rep, s).encode("utf-8"), "x.html") for s in ("official", "word", "plain")}
    out.update({f"text-{s}": (render_text(rep, s, title=True).encode("utf-8"), "x.txt") for s in ("pipe", "tab", "lines")})
    out["docx"] = (render_docx(rep), "x.docx")
    try:
        from nianbao.sandbox.pdf_fast import render_pdf

        out["pdf"] = (render_pdf(rep), "x.pdf")
    except ImportError:  # reportlab not installed
        pass
    return out


@pytest.mark.parametrize("year,defect", [(2020, None), (2024, None), (2023, "BALANCE_MISMATCH"), (2022, "OUTDATED_LAYOUT")])
def test_every_rendered_variant_parses_back_to_its_own_values(year, defect):
    parsers = pytest.importorskip("nianbao.parsers.dispatch", reason="parsers not importable yet")
    del parsers
    from nianbao.parsers import read

    rep = _report(year=year, defect=defect, seed=year)
    want = rep.to_contract()
    for name, (data, source) in _variants(rep).items():
        got = read(data, source).to_contract()
        for table in ("applications", "appeals", "disclosure"):
            assert got[table] == want[table], f"{name}: {table} differs"
        assert (got["agency"], got["year"], got["layout"]) == (rep.agency, rep.year, rep.layout), name
        if name != "pdf":  # see test_pdf_sections_survive below
            assert got["sections"] == want["sections"], name


def test_pdf_sections_survive():
    pytest.importorskip("reportlab")
    from nianbao.parsers import read
    from nianbao.sandbox.pdf_fast import render_pdf

    lost = []
    for year in (2020, 2023, 2024):
        rep = _report(year=year, seed=year)
        got = read(render_pdf(rep), "x.pdf").to_contract()
        if got["sections"] != sorted(rep.sections):
            lost.append((year, got["sections"]))
    assert not lost
