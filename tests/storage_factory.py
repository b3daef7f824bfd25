"""Build complete canonical reports for the storage tests (no parser needed)."""

from __future__ import annotations

import datetime as dt

from nianbao.layouts import APPEAL_GROUPS, APPEAL_KEYS, APPLICATION_COLUMNS, APPLICATION_ROWS, DISCLOSURE_ROWS
from nianbao.model import Cell, Finding, Report


def make_report(
    agency: str = "鞍山市立山区人民政府",
    year: int = 2024,
    *,
    layout: str = "2021",
    published: dt.date | None = dt.date(2025, 1, 20),
    seed: int = 0,
    findings: list[Finding] | None = None,
) -> Report:
    """A full report of ``layout``: every application row x column, appeals and disclosure cells."""
    r = Report(
        source=f"{agency}-{year}.txt",
        agency=agency,
        year=year,
        layout=layout,
        published=published,
        published_source="meta",
        title=f"{agency}{year}年政府信息公开工作年度报告",
    )
    r.sections = {str(i): f"第{i}部分" for i in range(1, 7)}
    r.text = "全文" * 50
    for i, row in enumerate(APPLICATION_ROWS[layout]):
        r.applications[row] = {
            col: Cell(i + j + seed, str(i + j + seed)) for j, col in enumerate(APPLICATION_COLUMNS)
        }
    r.applications["granted"]["research"] = Cell(None, "—", "blank")
    r.applications["partial"]["research"] = Cell(None, "l2", "unreadable", 0.4, "OCR below confidence")
    for g in APPEAL_GROUPS:
        r.appeals[g] = {k: Cell(seed, str(seed)) for k in APPEAL_KEYS}
    for row, (_, cols) in DISCLOSURE_ROWS[layout].items():
        r.disclosure[row] = {c: Cell(1.5 if c == "amount" else 3, "3") for c in cols}
    r.findings = (
        findings
        if findings is not None
        else [
            Finding(
                "ROW_TOTAL_MISMATCH",
                "error",
                "applications.new.total",
                "总计与各列之和不符",
                21,
                20 + seed,
                "证据",
            ),
            Finding("BLANK_CELLS", "info", "applications", "有空白单元格", None, None, "granted.research"),
            Finding("MISSING_FEE_STATEMENT", "warning", "sections.6", "未说明信息处理费"),
        ]
    )
    return r


def n_cells(report: Report) -> int:
    return sum(1 for _ in report.cells())
