"""Helpers shared by the rule modules: findings, cell access, labels, number formatting."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nianbao import layouts
from nianbao.model import Cell, Finding, Report
from nianbao.rules.catalog import severity

# Column labels for messages (layouts.APPLICATION_COLUMNS says only 其他 for other_org).
COLUMN_LABELS = {**layouts.APPLICATION_COLUMNS, "other_org": "其他组织"}
ROW_SHORT = {"new": "一", "carried_in": "二", "total": "（七）总计", "carried_out": "四"}


def finding(rule: str, where: str, message: str, *, expected: Any = None, actual: Any = None,
            evidence: str = "") -> Finding:
    """A finding with the catalog's severity for ``rule``."""
    return Finding(rule=rule, severity=severity(rule), where=where, message=message,  # type: ignore[arg-type]
                   expected=expected, actual=actual, evidence=evidence)


def fmt(value: int | float | None) -> str:
    """A number for a message: 12, 2517.23; None -> '?'."""
    if value is None:
        return "?"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def plain(value: int | float | None) -> int | float | None:
    """Integral floats as ints (for expected/actual)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def layout_of(report: Report) -> str | None:
    """The report's layout; inferred from its table keys, then its year, when the reader left it unset."""
    if report.layout in ("2019", "2021"):
        return report.layout
    rows = set(report.applications)
    if any(r.startswith("other.") for r in rows):
        return "2021"
    if "other" in rows or "procurement" in report.disclosure or "other_services" in report.disclosure:
        return "2019"
    if any("issued" in cols or "in_force" in cols for cols in report.disclosure.values()):
        return "2021"
    if report.year is not None and report.year >= 2021:
        return "2021"
    if report.year in (2019, 2020):
        return "2019"
    return None


def modern(report: Report) -> bool:
    """Whether the report falls under the 2019 Regulation and its national layouts."""
    if report.year is not None:
        return report.year >= 2019
    return report.layout is not None


@dataclass(slots=True)
class Value:
    """A cell looked up for arithmetic: ``number`` is usable unless ``missing`` or ``unreadable``."""

    number: int | float | None
    missing: bool = False
    unreadable: bool = False

    @property
    def usable(self) -> bool:
        return not self.missing and not self.unreadable and self.number is not None


def _cell(report: Report, table: str, row: str, col: str) -> Cell | None:
    """The cell at ``table.row.col`` or None (``table`` is one of the three table attributes)."""
    cols = getattr(report, table).get(row)
    return cols.get(col) if cols is not None else None


def _raw_numbers(report: Report, table: str, cells: list[tuple[str, str]]) -> list:
    t = report.table(table)
    return [t[r][c].number for r, c in cells if r in t and c in t[r]]


def omitted_total(report: Report, table: str, row: str, col: str) -> bool:
    """A blank total cell whose own addends are not all zero: the publisher left the total unwritten.

    Such a cell is not read as 0 (the identities that need it are not checked; BLANK_CELLS lists it).
    """
    cell = _cell(report, table, row, col)
    if cell is None or cell.status != "blank":
        return False
    return _addends_nonzero(report, table, row, col)


def _addends_nonzero(report: Report, table: str, row: str, col: str) -> bool:
    """Whether the addends of the total cell ``table.row.col`` hold any non-zero number."""
    if table == "applications" and col == "total":
        addends = [(row, c) for c in layouts.APPLICANT_COLUMNS]
    elif table == "applications" and row == "total":
        layout = layout_of(report)
        addends = [(r, col) for r in result_rows(report, layout)] if layout else []
    elif table == "appeals" and col == "total":
        addends = [(row, k) for k in layouts.APPEAL_KEYS if k != "total"]
    else:
        return False
    return any(_raw_numbers(report, table, addends))


def value(report: Report, table: str, row: str, col: str) -> Value:
    """Blank counts as 0, unreadable and absent cells (and omitted totals) are not usable."""
    cell = _cell(report, table, row, col)
    if cell is None:
        return Value(None, missing=True)
    status = cell.status
    if status == "blank":
        return Value(None, missing=True) if _addends_nonzero(report, table, row, col) else Value(0)
    if status == "unreadable" or cell.value is None:  # status ok but no value: treat like unreadable
        return Value(None, unreadable=True)
    return Value(cell.value)


def values(report: Report, table: str, cells: list[tuple[str, str]]) -> list[int | float] | None:
    """Numbers of all ``cells``, or None when any of them is absent or unreadable."""
    t = getattr(report, table)
    out = []
    for row, col in cells:
        cols = t.get(row)
        cell = cols.get(col) if cols is not None else None
        if cell is None:
            return None
        number = cell.value
        if number is None or cell.status != "ok":  # blank, unreadable...: value() decides
            number = value(report, table, row, col).number  # None exactly when not usable
            if number is None:
                return None
        out.append(number)
    return out


def side_blank(report: Report, table: str, left: list[tuple[str, str]], right: list[tuple[str, str]]) -> bool:
    """Whether one side of an identity is entirely blank while the other side is not all zero.

    Such a side was left unfilled (e.g. a 总计 column never written), not filled with zeros:
    the identity is not checked and BLANK_CELLS reports the cells.
    """

    def all_blank(cells):
        return all(report.table(table).get(r, {}).get(c, Cell(None)).status == "blank" for r, c in cells)

    def all_zero(cells):
        return all(not value(report, table, r, c).number for r, c in cells)

    return (all_blank(left) and not all_zero(right)) or (all_blank(right) and not all_zero(left))


def result_rows(report: Report, layout: str) -> list[str]:
    """Rows (一)..(六) of section 3; a single (六)其他处理 row stands in for the 2021 layout's
    three (and the three for the 2019 layout's one) when the document prints it that way."""
    rows = list(layouts.RESULT_ROWS[layout])
    apps = report.applications
    sub = [r for r in rows if r.startswith("other.")]
    if sub and not any(r in apps for r in sub) and "other" in apps:
        rows = [r for r in rows if r not in sub] + ["other"]
    elif "other" in rows and "other" not in apps:
        found = [r for r in layouts.RESULT_ROWS["2021"] if r.startswith("other.") and r in apps]
        if found:
            rows = [r for r in rows if r != "other"] + found
    return rows


def label(table: str, row: str, col: str, layout: str | None) -> str:
    return layouts.cell_label(table, row, col, layout or "2021")


def row_label(row: str, layout: str | None) -> str:
    rows = layouts.APPLICATION_ROWS.get(layout or "2021", layouts.APPLICATION_ROWS["2021"])
    return rows.get(row, row)


def equal(a: int | float, b: int | float) -> bool:
    return abs(a - b) < 1e-6
