"""Complete, consistent sample reports built in code (for tests and demos): no rule fires on them.

Tests mutate a copy to produce exactly one defect. Pure data; no I/O.
"""

from __future__ import annotations

import datetime as dt

from nianbao import layouts
from nianbao.model import Cell, Report, Table
from nianbao.rules.registry import RULES, AuditContext

# Section 3 of the 2021 sample: natural-person and commercial applicants; every identity holds.
_APPS_2021 = {
    "new": (40, 9),
    "carried_in": (2, 0),
    "granted": (15, 4),
    "partial": (2, 0),
    "denied.third_party": (1, 0),
    "unavailable.not_held": (20, 3),
    "not_processed.repeated": (1, 0),
    "other.other": (1, 1),
    "carried_out": (2, 1),
}
_APPS_2019 = {
    "new": (20, 3),
    "carried_in": (1, 0),
    "granted": (8, 1),
    "partial": (1, 0),
    "unavailable.not_held": (9, 2),
    "other": (1, 0),
    "carried_out": (2, 0),
}
_APPEALS = {"review": (2, 1, 0, 1), "litigation_direct": (1, 0, 0, 0), "litigation_after_review": (0, 0, 0, 1)}

SECTION_TEXT = {
    "1": ("2024年，立山区认真落实《中华人民共和国政府信息公开条例》。\n"
          "（二）依申请公开情况\n"
          "全年共收到政府信息公开申请49件，上年结转2件，共办结48件，其中予以公开19件，部分公开2件。"
          "因政府信息公开引起的行政复议4件，行政诉讼2件。\n"
          "（五）监督保障情况\n"
          "本年度政务公开工作考核结果为优秀，社会评议满意，未发生责任追究情况。"),
    "5": "一是公开内容不够全面。改进措施：加强培训。",
    "6": "本年度未收取政府信息公开信息处理费。",
}


def _cell(v: int | float | None, raw: str | None = None) -> Cell:
    return Cell(value=v, raw=raw if raw is not None else str(v))


def _applications(layout: str, counts: dict[str, tuple[int, int]]) -> Table:
    rows = layouts.APPLICATION_ROWS[layout]
    table: Table = {}
    for row in rows:
        table[row] = {c: _cell(0) for c in layouts.APPLICATION_COLUMNS}
    for row in list(rows):
        if row in counts:
            person, company = counts[row]
            table[row]["natural_person"] = _cell(person)
            table[row]["commercial"] = _cell(company)
            table[row]["total"] = _cell(person + company)
    for col in layouts.APPLICATION_COLUMNS:
        table["total"][col] = _cell(sum(table[r][col].value for r in layouts.RESULT_ROWS[layout]))
    return table


def _appeals() -> Table:
    out: Table = {}
    for group, (upheld, corrected, other, pending) in _APPEALS.items():
        out[group] = {"upheld": _cell(upheld), "corrected": _cell(corrected), "other": _cell(other),
                      "pending": _cell(pending), "total": _cell(upheld + corrected + other + pending)}
    return out


def _sections(year: int) -> dict[str, str]:
    out = {k: layouts.SECTIONS[k] + "\n" + SECTION_TEXT.get(k, "见下表。").replace("2024", str(year))
           for k in layouts.SECTIONS}
    return out


def report_2021(year: int = 2024) -> Report:
    """A district government's report in the 2021 layout, published on time."""
    disclosure: Table = {
        "rules": {"issued": _cell(0), "repealed": _cell(0), "in_force": _cell(0)},
        "normative_documents": {"issued": _cell(3), "repealed": _cell(1), "in_force": _cell(12)},
        "licensing": {"decisions": _cell(14494)},
        "penalty": {"decisions": _cell(127)},
        "coercion": {"decisions": _cell(1)},
        "fees": {"amount": _cell(233.5)},
    }
    return _report(year, "2021", disclosure, _applications("2021", _APPS_2021))


def report_2019(year: int = 2020) -> Report:
    """A district government's report in the 2019 (试行) layout, its section 2 following
    上一年项目数量 ± 本年增/减 = 处理决定数量."""
    disclosure: Table = {
        "rules": {"made": _cell(0), "published": _cell(0), "public_total": _cell(0)},
        "normative_documents": {"made": _cell(1), "published": _cell(1), "public_total": _cell(3)},
        "licensing": {"previous": _cell(27676), "change": _cell(9623, "9623(增)"), "decisions": _cell(37299)},
        "other_services": {"previous": _cell(3810), "change": _cell(-361, "361(减)"), "decisions": _cell(3449)},
        "penalty": {"previous": _cell(1485), "change": _cell(-317, "317(减)"), "decisions": _cell(1168)},
        "coercion": {"previous": _cell(30), "change": _cell(27, "27(增)"), "decisions": _cell(57)},
        "fees": {"previous": _cell(3), "change": _cell(0)},
        "procurement": {"projects": _cell(16), "amount": _cell(2517.23)},
    }
    report = _report(year, "2019", disclosure, _applications("2019", _APPS_2019))
    report.sections["1"] = report.sections["1"].replace("49件", "23件").replace("上年结转2件", "上年结转1件") \
        .replace("办结48件", "办结22件").replace("予以公开19件", "予以公开9件").replace("部分公开2件", "部分公开1件")
    report.text = _text(report)
    return report


def _text(report: Report) -> str:
    period = f"本报告所列数据统计期限自{report.year}年1月1日起至{report.year}年12月31日止。"
    return "\n".join([report.title or "", period, *(report.sections[k] for k in sorted(report.sections))])


def _report(year: int, layout: str, disclosure: Table, applications: Table) -> Report:
    report = Report(
        source="sample",
        agency="鞍山市立山区人民政府",
        agency_kind="government",
        title=f"鞍山市立山区人民政府{year}年政府信息公开工作年度报告",
        year=year,
        layout=layout,  # type: ignore[arg-type]
        published=dt.date(year + 1, 1, 20),
        published_source="meta",
        sections=_sections(year),
        disclosure=disclosure,
        applications=applications,
        appeals=_appeals(),
    )
    report.text = _text(report)
    return report


def run_rule(name: str, report: Report, ctx=None) -> list:
    """The findings of one registered rule on ``report`` (for tests)."""
    return list(RULES[name](report, ctx or AuditContext()))


def set_cell(report: Report, table: str, row: str, col: str, value: int | float | None,
             status: str = "ok", raw: str | None = None) -> None:
    """Replace one cell (for tests that break one identity)."""
    report.table(table).setdefault(row, {})[col] = Cell(
        value=value, raw=raw if raw is not None else ("" if value is None else str(value)), status=status)  # type: ignore[arg-type]
