"""The deadline calendar: when each agency's report for a year is due and where it stands (pure).

A report absent from the store after its deadline is 「未见报告」 unless the history rules found it
missing (a MISSING_REPORT finding not dismissed): only then is it 「未发布」 — the crawl may simply
not have found it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

STATES: dict[str, str] = {
    "ontime": "已按时发布",
    "published": "已发布（无法判断是否按时）",
    "late": "逾期发布",
    "missing": "未发布",
    "unseen": "已过期限，未见报告",
    "upcoming": "未到期限",
    "nodeadline": "无法定期限",
}


@dataclass(frozen=True)
class Due:
    state: str
    days: int | None  # days left (upcoming), days late (late), days past the deadline (missing/unseen)


def due_status(deadline: dt.date | None, published: dt.date | None, has_report: bool, today: dt.date,
               missing_finding: bool = False) -> Due:  # fmt: skip
    """Where one (agency, year) stands on ``today``."""
    if has_report:
        if deadline is None or published is None:
            return Due("published", None)  # published; no deadline or no date to compare
        late = (published - deadline).days
        return Due("late", late) if late > 0 else Due("ontime", None)
    if deadline is None:
        return Due("nodeadline", None)
    if today <= deadline:
        return Due("upcoming", (deadline - today).days)
    return Due("missing" if missing_finding else "unseen", (today - deadline).days)
