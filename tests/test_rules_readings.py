"""READINGS_DISAGREE: a page and its attachment that give different numbers."""

from __future__ import annotations

import copy

from nianbao.rules.readings import compare_readings
from nianbao.rules.samples import report_2021, set_cell


def test_identical_readings_agree() -> None:
    page = report_2021()
    attachment = copy.deepcopy(page)
    attachment.read_by = "pdf"
    assert compare_readings(page, [attachment]) == []


def test_a_different_number_is_flagged_with_both_values() -> None:
    page = report_2021()
    attachment = copy.deepcopy(page)
    attachment.read_by = "pdf"
    attachment.source = "report.pdf"
    old = page.applications["new"]["total"].value
    set_cell(attachment, "applications", "new", "total", old + 5)
    [finding] = compare_readings(page, [attachment])
    assert finding.rule == "READINGS_DISAGREE"
    assert finding.where == "applications.new.total"
    assert (finding.expected, finding.actual) == (old, old + 5)
    assert "附件（pdf）" in finding.message and "网页版" in finding.message


def test_an_unreadable_cell_is_a_gap_not_a_disagreement() -> None:
    page = report_2021()
    attachment = copy.deepcopy(page)
    cell = attachment.applications["new"]["total"]
    cell.value, cell.status = None, "unreadable"
    assert compare_readings(page, [attachment]) == []
