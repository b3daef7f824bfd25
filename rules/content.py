"""WRONG_PERIOD, MISSING_FEE_STATEMENT, MISSING_ASSESSMENT_RESULTS: what the prose must say."""

from __future__ import annotations

import re
from collections.abc import Iterator

from nianbao.fragments import is_fragment
from nianbao.model import Finding, Report
from nianbao.rules.common import finding, modern
from nianbao.rules.context import AuditContext
from nianbao.rules.timeliness import report_kind
from nianbao.text import nfkc

_DATE = r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日"
_PERIOD = re.compile(
    r"统计(?:期限|期间|时限|时间|周期|区间|时段)[^。；]{0,20}?" + _DATE
    + r"[^。；\d]{0,8}?(?:至|到|—|－|-|~|～)\s*(?:(\d{4})\s*年\s*)?(\d{1,2})\s*月\s*(\d{1,2})\s*日"
)
_TITLE_YEAR = re.compile(r"((?:19|20)\d{2})\s*年度?\s*(?:政府)?(?:信息公开|政务公开)(?:工作)?(?:年度)?(?:报告|年报)")
_FIRST_LINES = 3


def norm(text: str) -> str:
    """NFKC (full-width digits and punctuation to ASCII, CJK radical look-alikes to characters)."""
    return nfkc(text or "")


def full_text(report: Report) -> str:
    """The report's prose: its text, plus its sections when the reader kept them apart."""
    parts = [report.text or ""]
    joined = "\n".join(report.sections[k] for k in sorted(report.sections))
    if joined and joined not in parts[0]:
        parts.append(joined)
    return norm("\n".join(parts))


def _first_lines(text: str) -> str:
    lines = [ln for ln in text.splitlines() if ln.strip()]
    return "\n".join(lines[:_FIRST_LINES])


def wrong_period(report: Report, ctx: AuditContext) -> Iterator[Finding]:
    text = full_text(report)
    period = _PERIOD.search(text)
    title = norm(report.title or "")
    title_hit = _TITLE_YEAR.search(title) if title else None
    heading_hit = _TITLE_YEAR.search(_first_lines(text))
    named = [(int(h.group(1)), h.group(0)) for h in (title_hit, heading_hit) if h]
    year = report.year
    if year is None:
        year = int(period.group(1)) if period else (named[0][0] if named else None)
    if year is None:
        return
    if period:
        y1, m1, d1, y2, m2, d2 = period.groups()
        start = (int(y1), int(m1), int(d1))
        end = (int(y2 or y1), int(m2), int(d2))
        if start != (year, 1, 1) or end != (year, 12, 31):
            shown = f"{start[0]}-{start[1]:02d}-{start[2]:02d}至{end[0]}-{end[1]:02d}-{end[2]:02d}"
            yield finding(
                "WRONG_PERIOD", "period",
                f"统计期限{shown}不是报告年度{year}年全年（应为{year}年1月1日至{year}年12月31日）",
                expected=f"{year}-01-01至{year}-12-31", actual=shown, evidence=period.group(0),
            )
    for named_year, quote in named:
        if named_year != year:
            yield finding(
                "WRONG_PERIOD", "title",
                f"标题或开头写明{named_year}年度，与报告年度{year}年（统计期限）不一致",
                expected=year, actual=named_year, evidence=quote,
            )
            break


_FEE = re.compile(r"处理费|收费|免费|(?:收取|产生|缴纳)[^。；，,]{0,12}费")


def missing_fee_statement(report: Report, ctx: AuditContext) -> Iterator[Finding]:
    if report.year is None or report.year < 2021 or is_fragment(report):
        return
    # With section 6 missing (MISSING_SECTION says so), accept a statement anywhere in the text.
    text = norm(report.sections["6"]) if "6" in report.sections else full_text(report)
    if _FEE.search(text):
        return
    yield finding(
        "MISSING_FEE_STATEMENT", "sections.6",
        "第六部分“其他需要报告的事项”未说明信息处理费的收取情况"
        "（国办函〔2020〕109号《政府信息公开信息处理费管理办法》要求报告）",
        evidence=(report.sections.get("6") or "")[:200],
    )


_SENTENCE = re.compile(r"[^。！？!?\n]+")
_ASSESS = re.compile(r"考核|评议|测评|评估|追究|问责|追责|处分")
_OUTCOME = re.compile(
    r"结果|等次|等级|优秀|良好|合格|满意|得分|\d+(?:\.\d+)?分|排名|名列|位列|第[一二三四五六七八九十\d]+名"
    r"|未发生|没有发生|未出现|未受到|未有|不存在|无[^。，,]{0,8}(?:追究|问责|追责|处分|情况)|零(?:追究|问责)"
)


def is_peoples_government(report: Report, ctx: AuditContext) -> bool:
    """A 人民政府 of any level (a 街道办事处 is not one)."""
    if report.agency and "街道" in report.agency:
        return False
    return report_kind(report, ctx) in ("government", "township")


def missing_assessment_results(report: Report, ctx: AuditContext) -> Iterator[Finding]:
    if not modern(report) or not is_peoples_government(report, ctx) or is_fragment(report):
        return
    text = full_text(report)
    for sentence in _SENTENCE.findall(text):
        if _ASSESS.search(sentence) and _OUTCOME.search(sentence):
            return
    yield finding(
        "MISSING_ASSESSMENT_RESULTS", "sections.1",
        "人民政府的年度报告未载明政府信息公开工作考核、社会评议和责任追究结果（条例第五十条第（四）项）",
    )
