"""READINGS_DISAGREE: one report published twice (an article page and its attachment) whose
two readings give different numbers.

Not a registered single-report rule: the crawler calls :func:`compare_readings` when it keeps
one reading of a report and has others of the same report.  Only cells read as numbers on
both sides are compared (a blank or unreadable cell is a reading gap, not a disagreement).
"""

from __future__ import annotations

from nianbao.layouts import cell_label
from nianbao.model import Finding, Report


def compare_readings(kept: Report, others: list[Report], *, limit: int = 20) -> list[Finding]:
    """Findings for every cell where another reading of the same report has another number."""
    findings: list[Finding] = []
    for other in others:
        if other is kept or not other.is_report or other.year != kept.year:
            continue
        diffs = []
        for table, row, col, cell in kept.cells():
            theirs = other.table(table).get(row, {}).get(col)
            if cell.status != "ok" or theirs is None or theirs.status != "ok":
                continue
            if cell.value is not None and theirs.value is not None and abs(cell.value - theirs.value) > 1e-6:
                diffs.append((table, row, col, cell.value, theirs.value))
        for table, row, col, mine, theirs in diffs[:limit]:
            label = cell_label(table, row, col, kept.layout or "2021")
            findings.append(
                Finding(
                    rule="READINGS_DISAGREE",
                    severity="warning",
                    where=f"{table}.{row}.{col}",
                    expected=mine,
                    actual=theirs,
                    message=f"同一报告的两个版本数据不一致：{label} 在{_kind(kept)}中为 {mine}，在{_kind(other)}中为 {theirs}",
                    evidence=f"{kept.source} ↔ {other.source}",
                )
            )
    return findings


def _kind(report: Report) -> str:
    return "网页版" if report.read_by in ("html", "text") else f"附件（{report.read_by}）"
