"""Rule registry, the audit context, and :func:`audit`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from nianbao.model import Finding, Report

RuleFunc = Callable[[Report, "AuditContext"], Iterable[Finding]]
RULES: dict[str, RuleFunc] = {}


@dataclass
class AuditContext:
    """What a rule may know beyond the report itself. Every field has a sensible default.

    ``level`` and ``kind`` come from the site list / region registry when known (they beat
    guessing from the agency name); ``settings`` overrides rule thresholds by name.
    """

    today: dt.date | None = None
    level: str | None = None  # province, city, county, township, department
    kind: str | None = None  # government, department, township (publisher kind for deadlines)
    province: str | None = None
    first_seen: dt.date | None = None  # when the crawler first saw the report
    deadlines: object | None = None  # nianbao.rules.deadlines.Deadlines; None = packaged table
    settings: dict[str, object] = field(default_factory=dict)


def rule(name: str) -> Callable[[RuleFunc], RuleFunc]:
    """Register a single-report rule under its catalog name (one function may emit several)."""

    def deco(func: RuleFunc) -> RuleFunc:
        RULES[name] = func
        return func

    return deco


def audit(report: Report, ctx: AuditContext | None = None) -> list[Finding]:
    """Run every single-report rule; return the findings (also set on ``report.findings``)."""
    import nianbao.rules.checks  # noqa: F401  (registers the rules)

    ctx = ctx or AuditContext()
    findings: list[Finding] = []
    if report.is_report:
        for func in RULES.values():
            findings.extend(func(report, ctx))
    report.findings = findings
    return findings
