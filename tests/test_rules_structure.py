"""MISSING_SECTION, MISSING_TABLE, TABLE_UNREADABLE, BLANK_CELLS, OUTDATED_LAYOUT."""

from __future__ import annotations

import pytest

from nianbao.rules.samples import report_2019, report_2021, run_rule, set_cell

SAMPLES = {"2021": report_2021, "2019": report_2019}


@pytest.mark.parametrize("layout", SAMPLES)
@pytest.mark.parametrize("rule", ["MISSING_SECTION", "MISSING_TABLE", "TABLE_UNREADABLE", "BLANK_CELLS",
                                  "OUTDATED_LAYOUT"])
def test_clean(layout, rule):
    assert run_rule(rule, SAMPLES[layout]()) == []


@pytest.mark.parametrize("missing", [["5"], ["1", "6"]])
def test_missing_section(missing):
    r = report_2021()
    for key in missing:
        del r.sections[key]
    found = run_rule("MISSING_SECTION", r)
    assert [f.where for f in found] == [f"sections.{k}" for k in missing]
    assert all(f.severity == "error" for f in found)
    assert "存在的主要问题及改进情况" in found[0].message or "总体情况" in found[0].message


def test_sections_not_required_before_2019():
    r = report_2021(2016)
    r.layout = None
    r.sections = {"1": "概述"}
    r.applications, r.appeals, r.disclosure = {}, {}, {}
    assert run_rule("MISSING_SECTION", r) == []
    assert run_rule("MISSING_TABLE", r) == []


def test_missing_table_when_section_has_no_table():
    r = report_2021()
    r.appeals = {}
    (f,) = run_rule("MISSING_TABLE", r)
    assert f.where == "appeals" and f.severity == "error"


def test_no_missing_table_when_the_section_is_missing_too():
    r = report_2021()
    r.appeals = {}
    del r.sections["4"]
    assert run_rule("MISSING_TABLE", r) == []


@pytest.mark.parametrize("layout, table, row", [
    ("2021", "applications", "other.other"),
    ("2019", "applications", "other"),
    ("2021", "disclosure", "fees"),
    ("2019", "disclosure", "procurement"),
    ("2021", "appeals", "litigation_after_review"),
])
def test_missing_row(layout, table, row):
    r = SAMPLES[layout]()
    del r.table(table)[row]
    (f,) = run_rule("MISSING_TABLE", r)
    assert f.where == table and f.actual == [row]
    assert "缺少行" in f.message


def test_missing_cell():
    r = report_2021()
    del r.disclosure["rules"]["in_force"]
    (f,) = run_rule("MISSING_TABLE", r)
    assert f.actual == ["rules.in_force"] and "现行有效件数" in f.message


def test_table_unreadable_lists_cells_once_per_table():
    r = report_2021()
    set_cell(r, "applications", "new", "natural_person", None, "unreadable", "4O")
    set_cell(r, "applications", "granted", "total", None, "unreadable", "l9")
    set_cell(r, "appeals", "review", "upheld", None, "unreadable", "?")
    found = run_rule("TABLE_UNREADABLE", r)
    assert [f.where for f in found] == ["applications", "appeals"]
    assert found[0].actual == ["applications.new.natural_person", "applications.granted.total"]
    assert "4O" in found[0].message and found[0].severity == "warning"


def test_blank_cells_once_per_table_info():
    r = report_2021()
    set_cell(r, "applications", "new", "research", None, "blank", "—")
    set_cell(r, "applications", "denied.state_secret", "total", None, "blank", "")
    (f,) = run_rule("BLANK_CELLS", r)
    assert f.severity == "info" and f.where == "applications"
    assert f.actual == ["applications.new.research", "applications.denied.state_secret.total"]
    assert "未填写而分项不为0" not in f.message


def test_blank_total_with_nonzero_parts_is_called_omitted():
    r = report_2021()
    set_cell(r, "applications", "granted", "total", None, "blank", "")
    (f,) = run_rule("BLANK_CELLS", r)
    assert "合计单元格未填写" in f.message


@pytest.mark.parametrize("year, layout, fires", [(2021, "2019", True), (2024, "2019", True),
                                                  (2020, "2019", False), (2024, "2021", False)])
def test_outdated_layout(year, layout, fires):
    r = report_2019(year) if layout == "2019" else report_2021(year)
    found = run_rule("OUTDATED_LAYOUT", r)
    assert len(found) == int(fires)
    if fires:
        assert (found[0].where, found[0].expected, found[0].actual) == ("layout", "2021", "2019")


def test_section_whose_table_was_read_is_not_missing():
    r = report_2021()
    del r.sections["4"]  # heading not recognised, but its table was read
    assert run_rule("MISSING_SECTION", r) == []
    r.appeals = {}
    assert [f.where for f in run_rule("MISSING_SECTION", r)] == ["sections.4"]
