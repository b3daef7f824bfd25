"""Helpers shared by the rule modules: findings, cell access, labels, number formatting."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nianbao import layouts
from nianbao.model import Cell, Finding, Report
from rules.catalog import severity

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


@dataclass
class Value:
    """A cell looked up for arithmetic: ``number`` is usable unless ``missing`` or ``unreadable``."""

    number: int | float | None
    missing: bool = False
    unreadable: bool = False

    @property
    def usable(self) -> bool:
        return not self.missing and not self.unreadable and self.number is not None


def value(report: Report, table: str, row: str, col: str) -> Value:
    """Blank counts as 0, unreadable and absent cells are not usable."""
    cell: Cell | None = report.table(table).get(row, {}).get(col)
    if cell is None:
        return Value(None, missing=True)
    if cell.status == "unreadable":
        return Value(None, unreadable=True)
    number = cell.number
    if number is None:  # status ok but no value: treat like unreadable
        return Value(None, unreadable=True)
    return Value(number)


def values(report: Report, table: str, cells: list[tuple[str, str]]) -> list[int | float] | None:
    """Numbers of all ``cells``, or None when any of them is absent or unreadable."""
    out = []
    for row, col in cells:
        v = value(report, table, row, col)
        if not v.usable:
            return None
        out.append(v.number)
    return out


def label(table: str, row: str, col: str, layout: str | None) -> str:
    return layouts.cell_label(table, row, col, layout or "2021")


def row_label(row: str, layout: str | None) -> str:
    rows = layouts.APPLICATION_ROWS.get(layout or "2021", layouts.APPLICATION_ROWS["2021"])
    return rows.get(row, row)


def equal(a: int | float, b: int | float) -> bool:
    return abs(a - b) < 1e-6
