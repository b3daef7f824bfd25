"""What a rule may know beyond the report itself (:class:`AuditContext`), and a rule's signature."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from nianbao.model import Finding, Report

RuleFunc = Callable[[Report, "AuditContext"], Iterable[Finding]]


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
