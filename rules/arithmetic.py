"""The table identities of sections 3 and 4, value checks, and the section 2 plausibility rules.

``where`` of a BALANCE_MISMATCH is the virtual path ``applications.balance.<column>``: the
identity 一+二 = （七）总计+四 does not tell which of its four cells is wrong.

Blank cells count as 0 (``Cell.number``); an identity that needs an unreadable or absent cell is
not checked (TABLE_UNREADABLE / MISSING_TABLE say why), nor is one whose whole side is blank while
the other is not zero (a 总计 never written is an omission, reported by BLANK_CELLS, not a claim of 0).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from nianbao import layouts
from nianbao.model import Finding, Report
from nianbao.rules import settings
from nianbao.rules.common import (
    COLUMN_LABELS,
    equal,
    finding,
    fmt,
    label,
    layout_of,
    plain,
    result_rows,
    row_label,
    side_blank,
    value,
    values,
)
from nianbao.rules.context import AuditContext
from nianbao.rules.timeliness import report_kind


def _sum_text(numbers: list[int | float]) -> str:
    return "+".join(fmt(n) for n in numbers)


def _nonzero_sum_text(numbers: list[int | float]) -> str:
    shown = [n for n in numbers if n]
    if not shown:
        return "0"
    rest = "（其余为0）" if len(shown) < len(numbers) else ""
    return "+".join(fmt(n) for n in shown) + rest


Cells = list[tuple[str, str]]


def _broken(report: Report, table: str, identities: Iterable[tuple[Any, Cells, Cells]]
            ) -> Iterator[tuple[Any, list[int | float], list[int | float]]]:
    """``(key, left, right)`` for every identity sum(left cells) = sum(right cells) that the table breaks.

    An identity with an absent or unreadable cell, or with one side left blank (``side_blank``), is
    not checked: a blank is not an error of arithmetic (BLANK_CELLS reports it)."""
    for key, left, right in identities:
        a, b = values(report, table, left), values(report, table, right)
        if a is None or b is None or equal(sum(a), sum(b)) or side_blank(report, table, left, right):
            continue
        yield key, a, b


def row_total_mismatch(report: Report, ctx: AuditContext) -> Iterator[Finding]:
    layout = layout_of(report)
    rows = [(row, [(row, c) for c in layouts.APPLICANT_COLUMNS], [(row, "total")]) for row in report.applications]
    for row, nums, (total,) in _broken(report, "applications", rows):
        yield finding(
            "ROW_TOTAL_MISMATCH", f"applications.{row}.total",
            f"{row_label(row, layout)}：自然人+商业企业+科研机构+社会公益组织+法律服务机构+其他 = "
            f"{_sum_text(nums)} = {fmt(sum(nums))} ≠ 总计 {fmt(total)}",
            expected=plain(sum(nums)), actual=plain(total),
        )


def result_total_mismatch(report: Report, ctx: AuditContext) -> Iterator[Finding]:
    layout = layout_of(report)
    if layout is None:
        return
    rows = result_rows(report, layout)
    cols = [(col, [(r, col) for r in rows], [("total", col)]) for col in layouts.APPLICATION_COLUMNS]
    for col, nums, (total,) in _broken(report, "applications", cols):
        yield finding(
            "RESULT_TOTAL_MISMATCH", f"applications.total.{col}",
            f"{COLUMN_LABELS[col]}列：（一）至（六）各项之和 = {_nonzero_sum_text(nums)} = {fmt(sum(nums))}"
            f" ≠ （七）总计 {fmt(total)}",
            expected=plain(sum(nums)), actual=plain(total),
        )


def balance_mismatch(report: Report, ctx: AuditContext) -> Iterator[Finding]:
    cols = [(col, [("new", col), ("carried_in", col)], [("total", col), ("carried_out", col)])
            for col in layouts.APPLICATION_COLUMNS]  # fmt: skip
    for col, (new, carried_in), (total, carried_out) in _broken(report, "applications", cols):
        left, right = new + carried_in, total + carried_out
        yield finding(
            "BALANCE_MISMATCH", f"applications.balance.{col}",
            f"{COLUMN_LABELS[col]}列：一+二 = {fmt(new)}+{fmt(carried_in)} = {fmt(left)} ≠ "
            f"（七）总计+四 = {fmt(total)}+{fmt(carried_out)} = {fmt(right)}"
            "（第一项加第二项之和应等于第三项加第四项之和）",
            expected=plain(left), actual=plain(right),
        )


def appeal_total_mismatch(report: Report, ctx: AuditContext) -> Iterator[Finding]:
    parts = ["upheld", "corrected", "other", "pending"]
    groups = [(g, [(g, k) for k in parts], [(g, "total")]) for g in layouts.APPEAL_GROUPS]
    for group, nums, (total,) in _broken(report, "appeals", groups):
        yield finding(
            "APPEAL_TOTAL_MISMATCH", f"appeals.{group}.total",
            f"{layouts.APPEAL_GROUPS[group]}：结果维持+结果纠正+其他结果+尚未审结 = {_sum_text(nums)} = "
            f"{fmt(sum(nums))} ≠ 总计 {fmt(total)}",
            expected=plain(sum(nums)), actual=plain(total),
        )


def invalid_value(report: Report, ctx: AuditContext) -> Iterator[Finding]:
    layout = layout_of(report)
    for table, row, col, cell in report.cells():
        v = cell.value
        if v is None or cell.status != "ok":
            continue
        if type(v) is int and v >= 0:
            continue  # a non-negative whole number is valid in every column
        whole = float(v).is_integer()
        if col in layouts.MONEY_COLUMNS:
            problem = "金额不能为负数" if v < 0 else None
        elif col in layouts.SIGNED_COLUMNS:
            problem = None if whole else "增减数应为整数"
        else:
            problem = "件数不能为负数" if v < 0 else (None if whole else "件数应为整数")
        if problem:
            yield finding(
                "INVALID_VALUE", f"{table}.{row}.{col}",
                f"{label(table, row, col, layout)}的值{fmt(v)}无效：{problem}",
                actual=plain(v), evidence=cell.raw,
            )


# --- section 2 ------------------------------------------------------------------------------

RULE_COLUMNS = {"2021": ["issued", "repealed", "in_force"], "2019": ["made", "published", "public_total"]}
_COUNTY_OR_BELOW = re.compile(r"[县旗区乡镇]|街道")
_HIGHER_UNITS = re.compile(r"自治区|特别行政区|地区")
_CENTRAL = re.compile(r"^(国务院|国家|中华人民共和国|中国)")
_GOV_OFFICE = re.compile(r"人民政府办公[厅室]$")


def _county_or_below(name: str | None) -> bool:
    return bool(name) and bool(_COUNTY_OR_BELOW.search(_HIGHER_UNITS.sub("", name)))


def rules_implausible(report: Report, ctx: AuditContext) -> str | None:
    """Why this body cannot make 规章 (a Chinese phrase), or None when it may or we cannot tell."""
    name = report.agency or ""
    if ctx.level in ("county", "township"):
        return "区县及以下机关"
    if ctx.level in ("province", "city"):
        return None
    kind = report_kind(report, ctx)
    if kind == "department":
        if _CENTRAL.search(name):
            return None  # State Council departments make 部门规章
        if _GOV_OFFICE.search(name) and not _county_or_below(name):
            return None  # a provincial/city government's office publishes its government's 规章
        return "政府部门"
    if kind in ("government", "township") and _county_or_below(name):
        return "区县及以下机关"
    return None  # unknown kind (e.g. a 管委会): do not guess


def implausible_rules(report: Report, ctx: AuditContext) -> Iterator[Finding]:
    layout = layout_of(report)
    if layout is None or "rules" not in report.disclosure:
        return
    cols = [c for c in RULE_COLUMNS[layout] if value(report, "disclosure", "rules", c).usable]
    found = {c: value(report, "disclosure", "rules", c).number for c in cols}
    if not any(found.values()):
        return
    why = rules_implausible(report, ctx)
    if why is None:
        return
    shown = "、".join(f"{layouts.DISCLOSURE_COLUMNS[c]}{fmt(v)}" for c, v in found.items())
    yield finding(
        "IMPLAUSIBLE_RULES", "disclosure.rules",
        f"{report.agency or '本机关'}（{why}）报告了规章（{shown}），但只有国务院部门和省、自治区、直辖市、"
        "设区的市、自治州人民政府可以制定规章，可能把上级规章计入了本机关",
        expected=0, actual={c: plain(v) for c, v in found.items()},
    )


CHANGE_ROWS = ["licensing", "other_services", "penalty", "coercion"]


def _change_text(previous, change) -> str:
    sign = "−" if change < 0 else "+"
    return f"{fmt(previous)} {sign} {fmt(abs(change))}"


def change_mismatch(report: Report, ctx: AuditContext) -> Iterator[Finding]:
    if layout_of(report) != "2019":
        return
    rows: dict[str, tuple] = {}
    for row in CHANGE_ROWS:
        nums = values(report, "disclosure", [(row, "previous"), (row, "change"), (row, "decisions")])
        if nums is not None and any(nums):
            rows[row] = tuple(nums)
    obeying = [r for r, (p, c, d) in rows.items() if equal(p + c, d)]
    convention = len(obeying) >= settings.get(ctx.settings, "change_min_rows")
    for row, (previous, change, decisions) in rows.items():
        if row in obeying:
            continue
        name = layouts.DISCLOSURE_ROWS["2019"][row][0]
        overdrawn = change < 0 and -change > previous
        if not overdrawn and not convention:
            continue
        msg = (f"{name}：上一年项目数量 ± 本年增/减 = {_change_text(previous, change)} = "
               f"{fmt(previous + change)} ≠ 处理决定数量 {fmt(decisions)}")
        if overdrawn:
            msg += f"；本年减少{fmt(-change)}大于上一年项目数量{fmt(previous)}"
        if convention:
            msg += f"（本表另有{len(obeying)}行按“上一年项目数量 ± 本年增/减 = 处理决定数量”填写"
            if change < 0 and equal(previous - change, decisions):
                msg += f"；若为增加则 {fmt(previous)} + {fmt(-change)} = {fmt(decisions)}，增减方向可能写反"
            msg += "）"
        cell = report.disclosure[row]["change"]
        yield finding(
            "CHANGE_MISMATCH", f"disclosure.{row}.change", msg,
            expected=plain(decisions - previous) if convention else None, actual=plain(change),
            evidence=" | ".join([name, fmt(previous), cell.raw or fmt(change), fmt(decisions)]),
        )
