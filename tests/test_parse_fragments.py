"""Fragments: a document carrying a report's tables is read as a report without title or agency."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nianbao.fragments import is_fragment
from nianbao.parsers import read
from nianbao.rules.registry import audit

DATA = Path(__file__).parent / "data"
# (fragment, the whole real report it was cut from, cells it must read at least)
FRAGMENTS = [
    ("corpus/f001_hongze_district_2023_pages3-4.pdf", "h001_hongze_district_2023", 170),  # PDF pages 3-4
    ("corpus/f002_shanghai_govoffice_2025_section3.txt", "k003_shanghai_govoffice_2025_pdfextract", 170),  # section 3
]


def _expected(name: str) -> dict:
    return json.loads((DATA / "expected" / f"{name}.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize(("path", "whole", "at_least"), FRAGMENTS)
def test_fragment_is_read_as_a_report_with_the_whole_reports_numbers(path, whole, at_least):
    report = read((DATA / path).read_bytes(), path)
    assert report.is_report and is_fragment(report)
    assert report.layout == "2021"
    exp = _expected(whole)
    read_cells = wrong = 0
    for table in ("disclosure", "applications", "appeals"):
        for row, cols in exp.get(table, {}).items():
            for col, value in cols.items():
                cell = report.table(table).get(row, {}).get(col)
                if cell is not None:
                    read_cells += 1
                    wrong += cell.value != value
    assert wrong == 0
    assert read_cells >= at_least


@pytest.mark.parametrize(("path", "whole", "at_least"), FRAGMENTS)
def test_fragment_without_metadata_gets_metadata_missing_not_missing_sections(path, whole, at_least):
    report = read((DATA / path).read_bytes(), path)
    audit(report)
    rules = {f.rule for f in report.findings}
    assert "METADATA_MISSING" in rules
    found = next(f for f in report.findings if f.rule == "METADATA_MISSING")
    assert "未能识别机构/年度" in found.message
    assert not rules & {"MISSING_SECTION", "MISSING_FEE_STATEMENT", "MISSING_ASSESSMENT_RESULTS"}


def test_crawl_context_fills_agency_and_year():
    path = "corpus/f001_hongze_district_2023_pages3-4.pdf"
    hints = {"title": "洪泽区人民政府2023年政府信息公开工作年度报告_政府信息公开年报", "agency": "淮安市洪泽区人民政府"}
    report = read((DATA / path).read_bytes(), path, hints=hints)
    audit(report)
    assert report.year == 2023
    assert report.agency == "洪泽区人民政府"
    assert report.is_report and is_fragment(report)
    rules = {f.rule for f in report.findings}
    assert "METADATA_MISSING" not in rules and "MISSING_SECTION" not in rules
    # only the site's agency known: the year is still missing
    report = read((DATA / path).read_bytes(), path, hints={"agency": "淮安市洪泽区人民政府"})
    audit(report)
    assert report.agency == "淮安市洪泽区人民政府" and report.year is None
    assert "METADATA_MISSING" in {f.rule for f in report.findings}


def test_whole_reports_are_not_fragments():
    for name in ("h001_hongze_district_2023", "k003_shanghai_govoffice_2025_pdfextract"):
        src = _expected(name)["source"]
        report = read((DATA.parent.parent / src).read_bytes(), src)
        assert report.is_report and not is_fragment(report)


@pytest.mark.parametrize("path", ["corpus/p2014n_pingtan_han_not_a_report.txt", "corpus/g002_blank_template_2021format.docx"])
def test_letters_and_blank_templates_stay_non_reports(path):
    assert not read((DATA / path).read_bytes(), path).is_report
