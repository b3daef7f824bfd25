"""Pure pieces of the workbench: grids and marks, identities, evidence, charts, places, rollups, passwords."""

from __future__ import annotations

import pytest

from nianbao.layouts import APPLICATION_COLUMNS, APPLICATION_ROWS
from nianbao.storage.users import hash_password, verify_password
from nianbao.workbench import overview as ov
from nianbao.workbench import tables
from nianbao.workbench.charts import Bar, Segment, bar_chart
from nianbao.workbench.places import place_of


def cell(tbl, row, col, value, status="ok"):
    return {"tbl": tbl, "row_key": row, "col_key": col, "value": value, "raw": str(value), "status": status,
            "confidence": None, "note": None}  # fmt: skip


@pytest.fixture()
def balance_cells():
    """Column 总计: 一 49 + 二 0 ≠ (七) 47 + 四 0."""
    rows = {"new": 49, "carried_in": 0, "total": 47, "carried_out": 0, "granted": 47}
    out = [cell("applications", r, "total", v) for r, v in rows.items()]
    out.append(cell("applications", "carried_in", "natural_person", None, "blank"))
    return out


def grid_width(grid) -> int:
    """Columns of the first row, and every row must cover the same width given spans above."""
    covered: dict[int, int] = {}
    widths = []
    for i, row in enumerate(grid):
        width = covered.get(i, 0) + sum(c.colspan for c in row)
        widths.append(width)
        for c in row:
            for k in range(1, c.rowspan):
                covered[i + k] = covered.get(i + k, 0) + c.colspan
    assert len(set(widths)) == 1, widths
    return widths[0]


@pytest.mark.parametrize("layout", ["2021", "2019"])
def test_application_grid_is_rectangular_and_has_every_cell(layout):
    grid = tables.applications_grid({}, layout)
    assert grid_width(grid) == 3 + len(APPLICATION_COLUMNS)
    keys = {c.key for row in grid for c in row if c.key}
    assert keys == {f"applications.{r}.{c}" for r in APPLICATION_ROWS[layout] for c in APPLICATION_COLUMNS}


def test_appeals_and_disclosure_grids_are_rectangular():
    assert grid_width(tables.appeals_grid({})) == 15
    assert grid_width(tables.disclosure_grid({}, "2021")) == 4
    assert grid_width(tables.disclosure_grid({}, "2019")) == 4


@pytest.mark.parametrize(
    ("rule", "where", "bad", "related"),
    [
        ("BALANCE_MISMATCH", "applications.balance.total",
         {("applications", r, "total") for r in ("new", "carried_in", "total", "carried_out")}, set()),
        ("RESULT_TOTAL_MISMATCH", "applications.total.commercial", {("applications", "total", "commercial")},
         {("applications", "granted", "commercial")}),
        ("ROW_TOTAL_MISMATCH", "applications.denied.state_secret.total",
         {("applications", "denied.state_secret", "total")}, {("applications", "denied.state_secret", "research")}),
        ("APPEAL_TOTAL_MISMATCH", "appeals.review.total", {("appeals", "review", "total")},
         {("appeals", "review", "upheld")}),
        ("NARRATIVE_MISMATCH", "applications.new.total", {("applications", "new", "total")}, set()),
        ("MISSING_SECTION", "sections.5", set(), set()),
    ],
)  # fmt: skip
def test_involved_cells(rule, where, bad, related):
    got_bad, got_related = tables.involved_cells(rule, where)
    assert got_bad == bad
    assert related <= got_related


def test_explain_spells_the_balance_with_the_reports_numbers(balance_cells):
    text = tables.explain({"rule": "BALANCE_MISMATCH", "location": "applications.balance.total"},
                          tables.cell_map(balance_cells))  # fmt: skip
    assert text == "「总计」列：一 + 二 = 49 + 0 = 49 ≠ (七)总计 + 四 = 47 + 0 = 47"
    unreadable = [c | {"status": "unreadable"} if c["row_key"] == "carried_in" else c for c in balance_cells]
    assert "?" in tables.explain({"rule": "BALANCE_MISMATCH", "location": "applications.total.total"},
                                 tables.cell_map(unreadable))  # fmt: skip
    assert tables.explain({"rule": "MISSING_SECTION", "location": "sections.5"}, {}) is None


def test_marks_on_grid(balance_cells):
    findings = [{"rule": "BALANCE_MISMATCH", "location": "applications.balance.total", "message": "不平衡"}]
    grids = tables.report_grids(balance_cells, findings, "2021")
    marked = {c.key: c for row in grids["3"] for c in row if c.mark}
    assert set(marked) == {f"applications.{r}.total" for r in ("new", "carried_in", "total", "carried_out")}
    assert all(c.mark == "bad" and c.notes == ["不平衡"] for c in marked.values())
    blank = next(c for row in grids["3"] for c in row if c.key == "applications.carried_in.natural_person")
    assert "cell-blank" in blank.css


def test_highlight_matches_across_full_and_half_width_punctuation():
    text = "一、总体情况\n2023年我区共收到政府信息公开申请12件，办结13件（予以公开1件）。其他。"
    segs = tables.highlight(text, ["共收到政府信息公开申请12件,办结13件(予以公开1件)"])
    assert "".join(s for s, _ in segs) == text
    assert [s for s, hit in segs if hit] == ["共收到政府信息公开申请12件，办结13件（予以公开1件）"]
    assert tables.highlight("没有", ["不在"]) == [("没有", False)]


def test_chart_escapes_labels_and_scales():
    svg = str(bar_chart([Bar("<script>x</script>", [Segment(3, "seg-late", "a&b")], "/?a=1&b=2", "3"),
                         Bar("乙", [Segment(1, "seg-ontime", "t")])], width=400))  # fmt: skip
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "a&amp;b" in svg and "&amp;b=2" in svg
    assert svg.startswith("<svg") and svg.count("<rect") == 4  # two tracks, two segments
    assert "暂无数据" in str(bar_chart([]))


def test_places_and_rollup_buckets():
    lishan = place_of("210304")
    assert lishan.province == ("210000", "辽宁省") and lishan.prefecture == ("210300", "鞍山市")
    assert lishan.bucket("prefecture") == ("210300", "鞍山市") and lishan.within("210300")
    city = place_of("210300")
    assert city.bucket("county") == ("210300:self", "鞍山市本级")
    dongcheng = place_of("110101")
    assert dongcheng.bucket("province") == ("110000", "北京市")
    assert place_of(None).bucket("province") == ("", "地区不明")


def test_overview_build_counts_missing_late_and_unknown():
    agencies = [{"id": 1, "region_code": "210304", "level": "county"},
                {"id": 2, "region_code": "210302", "level": "county"},
                {"id": 3, "region_code": "210202", "level": "county"}]  # fmt: skip
    timeliness = [{"agency_id": 1, "ontime": 1, "late": 1, "unknown": 0, "reported": 2},
                  {"agency_id": 3, "ontime": 0, "late": 0, "unknown": 1, "reported": 1}]  # fmt: skip
    by_agency = [{"agency_id": 1, "severity": "error", "status": "pending", "n": 2},
                 {"agency_id": 3, "severity": "warning", "status": "confirmed", "n": 1}]  # fmt: skip
    data = ov.build(agencies, timeliness, by_agency, [], ov.Filters(region="210000"), [2023, 2024],
                    group_by="prefecture")  # fmt: skip
    rows = {r.name: r for r in data.rows}
    assert rows["鞍山市"].counts == {"ontime": 1, "late": 1, "missing": 2, "unknown": 0}
    assert rows["大连市"].counts["unknown"] == 1 and rows["大连市"].counts["missing"] == 1
    assert data.total.expected == 6 and data.total.findings == {"error": 2, "warning": 1}
    only_dalian = ov.build(agencies, timeliness, by_agency, [], ov.Filters(region="210200"), [2023, 2024],
                           group_by="county")  # fmt: skip
    assert only_dalian.agency_ids == [3]


def test_password_hashes_are_salted_and_verified():
    a, b = hash_password("correct horse"), hash_password("correct horse")
    assert a != b and a.startswith("scrypt$")
    assert verify_password("correct horse", a) and not verify_password("wrong horse", a)
    assert not verify_password("x", "garbage")
