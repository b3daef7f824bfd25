"""MISSING_SECTION, MISSING_TABLE, TABLE_UNREADABLE, BLANK_CELLS, OUTDATED_LAYOUT, METADATA_MISSING.

Section and table rules apply to reports under the 2019 Regulation (report year 2019 or later,
or a national layout recognised); earlier reports had no prescribed sections or tables.
"""

from __future__ import annotations

from collections.abc import Iterator

from nianbao import layouts
from nianbao.fragments import is_fragment
from nianbao.model import Finding, Report
from nianbao.rules.common import finding, label, layout_of, modern, omitted_total
from nianbao.rules.context import AuditContext

TABLE_SECTION = {"disclosure": "2", "applications": "3", "appeals": "4"}
TABLE_NAMES = {
    "disclosure": "第二部分（主动公开政府信息情况）表格",
    "applications": "第三部分（收到和处理政府信息公开申请情况）表格",
    "appeals": "第四部分（行政复议、行政诉讼情况）表格",
}
_LIST_MAX = 8


def expected_cells(table: str, layout: str) -> list[tuple[str, str]]:
    """Every (row, column) the layout prescribes for ``table``."""
    if table == "applications":
        return [(r, c) for r in layouts.APPLICATION_ROWS[layout] for c in layouts.APPLICATION_COLUMNS]
    if table == "appeals":
        return [(g, k) for g in layouts.APPEAL_GROUPS for k in layouts.APPEAL_KEYS]
    return [(r, c) for r, (_, cols) in layouts.DISCLOSURE_ROWS[layout].items() for c in cols]


def _listing(items: list[str]) -> str:
    shown = "；".join(items[:_LIST_MAX])
    return shown + (f"等{len(items)}处" if len(items) > _LIST_MAX else "")


def missing_section(report: Report, ctx: AuditContext) -> Iterator[Finding]:
    if not modern(report) or is_fragment(report):
        return  # a fragment lacks sections because it is a part, not because the report does
    found_tables = {section for table, section in TABLE_SECTION.items() if report.table(table)}
    for key, title in layouts.SECTIONS.items():
        # a section whose table was read is there, whatever its heading says
        if key not in report.sections and key not in found_tables:
            yield finding("MISSING_SECTION", f"sections.{key}", f"报告缺少第{key}部分“{title}”",
                          expected=title, actual=None)


def missing_table(report: Report, ctx: AuditContext) -> Iterator[Finding]:
    if not modern(report):
        return
    layout = layout_of(report)
    for table, section in TABLE_SECTION.items():
        data = report.table(table)
        if section not in report.sections and not data:
            continue  # MISSING_SECTION says it
        if section not in report.sections and is_fragment(report):
            continue  # a fragment holding only the end of this table: its start is elsewhere
        name = TABLE_NAMES[table]
        if not data:
            yield finding("MISSING_TABLE", table, f"{name}缺失：第{section}部分没有可读的统计表",
                          expected=layouts.SECTIONS[section], actual=None)
            continue
        if layout is None:
            continue
        missing_rows: list[str] = []
        missing_cells: list[str] = []
        for row, col in expected_cells(table, layout):
            if row not in data:
                if row not in missing_rows:
                    missing_rows.append(row)
            elif col not in data[row]:
                missing_cells.append(f"{row}.{col}")
        if not missing_rows and not missing_cells:
            continue
        parts = []
        if missing_rows:
            row_labels = [label(table, r, "", layout).rstrip("·") for r in missing_rows]
            parts.append("缺少行：" + _listing(row_labels))
        if missing_cells:
            cell_labels = [label(table, *c.rsplit(".", 1), layout) for c in missing_cells]
            parts.append("缺少单元格：" + _listing(cell_labels))
        yield finding("MISSING_TABLE", table, f"{name}不完整（{layout}版格式）。" + "；".join(parts),
                      expected=None, actual=missing_rows + missing_cells)


def _cells_with(report: Report, table: str, status: str) -> list[tuple[str, str, str]]:
    return [(row, col, cell.raw) for row, cols in report.table(table).items()
            for col, cell in cols.items() if cell.status == status]


def table_unreadable(report: Report, ctx: AuditContext) -> Iterator[Finding]:
    layout = layout_of(report)
    for table in TABLE_SECTION:
        bad = _cells_with(report, table, "unreadable")
        if not bad:
            continue
        items = [f"{label(table, r, c, layout)}“{raw}”" if raw else label(table, r, c, layout)
                 for r, c, raw in bad]
        yield finding(
            "TABLE_UNREADABLE", table,
            f"{TABLE_NAMES[table]}有{len(bad)}个单元格无法识读为数字，涉及的勾稽关系未核对：{_listing(items)}",
            actual=[f"{table}.{r}.{c}" for r, c, _ in bad],
            evidence="；".join(raw for _, _, raw in bad if raw)[:300],
        )


def blank_cells(report: Report, ctx: AuditContext) -> Iterator[Finding]:
    layout = layout_of(report)
    for table in TABLE_SECTION:
        blank = _cells_with(report, table, "blank")
        if not blank:
            continue
        items = [label(table, r, c, layout) for r, c, _ in blank]
        omitted = [label(table, r, c, layout) for r, c, _ in blank if omitted_total(report, table, r, c)]
        extra = (f"；其中{len(omitted)}个合计单元格未填写而分项不为0，相关勾稽关系未核对：{_listing(omitted)}"
                 if omitted else "")
        yield finding(
            "BLANK_CELLS", table,
            f"{TABLE_NAMES[table]}有{len(blank)}个单元格空白或为横线（应填写0，核对时按0计）：{_listing(items)}{extra}",
            actual=[f"{table}.{r}.{c}" for r, c, _ in blank],
        )


def outdated_layout(report: Report, ctx: AuditContext) -> Iterator[Finding]:
    if report.year is not None and report.year >= 2021 and report.layout == "2019":
        yield finding(
            "OUTDATED_LAYOUT", "layout",
            f"{report.year}年度报告仍使用2019年试行格式（国办公开办函〔2019〕60号），"
            "应使用国办公开办函〔2021〕30号格式",
            expected="2021", actual="2019",
        )


def metadata_missing(report: Report, ctx: AuditContext) -> Iterator[Finding]:
    """A document read as a report (often a fragment) whose agency or year could not be found."""
    missing = [name for name, value in (("机构", report.agency), ("年度", report.year)) if value is None]
    if not missing:
        return
    what = "和".join(missing)
    yield finding(
        "METADATA_MISSING", "metadata",
        f"未能识别机构/年度：文档中找不到报告的{what}"
        + ("（文档只是报告的一部分）" if is_fragment(report) else "") + "，请人工补充后再核对时效",
        expected=None, actual=missing,
    )
