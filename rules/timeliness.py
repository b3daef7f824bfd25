"""LATE_PUBLICATION, DEADLINE_PASSED, UNKNOWN_PUBLICATION_DATE."""

from __future__ import annotations

from collections.abc import Iterator

from nianbao.model import Finding, Report
from nianbao.rules import settings
from nianbao.rules.common import finding
from nianbao.rules.context import AuditContext
from nianbao.rules.deadlines import KIND_NAMES, Deadlines, days_late, default_table, publisher_kind

_SOURCES = {"meta": "网页元数据", "visible": "页面发布时间", "url": "网址日期", "signature": "落款日期",
            "list": "栏目列表日期", "header": "页眉日期"}


def report_kind(report: Report, ctx: AuditContext) -> str | None:
    """The publisher kind used for deadlines: the context's, else from name and level, else the reader's."""
    return ctx.kind or publisher_kind(report.agency, ctx.level) or report.agency_kind


def _table(ctx: AuditContext) -> Deadlines:
    return ctx.deadlines if isinstance(ctx.deadlines, Deadlines) else default_table()


def deadline_of(report: Report, ctx: AuditContext):
    """(deadline, kind) that LATE_PUBLICATION uses for this report."""
    kind = report_kind(report, ctx)
    return _table(ctx).deadline_for(kind, report.year, ctx.province), kind


def _date_source(report: Report) -> str:
    return _SOURCES.get(report.published_source or "", report.published_source or "")


def late_publication(report: Report, ctx: AuditContext) -> Iterator[Finding]:
    if report.published is None or report.year is None:
        return
    deadline, kind = deadline_of(report, ctx)
    late = days_late(report.published, deadline)
    if late is None or late <= settings.get(ctx.settings, "late_grace_days"):
        return
    who = KIND_NAMES.get(kind or "", "发布机关类型不明，按最晚期限")
    source = _date_source(report)
    yield finding(
        "LATE_PUBLICATION", "published",
        f"{report.year}年度报告发布于{report.published.isoformat()}，晚于截止日期{deadline.isoformat()}"
        f"（{who}），逾期{late}天",
        expected=deadline.isoformat(), actual=report.published.isoformat(),
        evidence=f"发布日期来源：{source}" if source else "",
    )


def deadline_passed(report: Report, ctx: AuditContext) -> Iterator[Finding]:
    if report.published is None or report.year is None:
        return
    kind = report_kind(report, ctx)
    table = _table(ctx)
    notice = table.notice_for(kind, report.year, ctx.province)
    deadline = table.deadline_for(kind, report.year, ctx.province)
    if notice is None or report.published <= notice:
        return
    if deadline is not None and report.published > deadline:
        return  # LATE_PUBLICATION says it
    yield finding(
        "DEADLINE_PASSED", "published",
        f"{report.year}年度报告发布于{report.published.isoformat()}，晚于{notice.month}月{notice.day}日"
        f"（乡镇、街道报告条例未规定期限，请核对当地要求）",
        expected=notice.isoformat(), actual=report.published.isoformat(),
    )


def unknown_publication_date(report: Report, ctx: AuditContext) -> Iterator[Finding]:
    if report.published is not None:
        return
    seen = f"；首次发现于{ctx.first_seen.isoformat()}" if ctx.first_seen else ""
    yield finding("UNKNOWN_PUBLICATION_DATE", "published",
                  f"未能确定报告的发布日期（网页元数据、发布时间、网址、落款均无可信日期）{seen}")
