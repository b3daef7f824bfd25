"""Rule thresholds: every tunable number of the single-report rules, with its default, in one place.

A run overrides any of them by name through ``AuditContext.settings`` (the crawler's
``-s NAME=VALUE`` ends up there). Values given as strings are converted to the type of the default.
"""

from __future__ import annotations

from typing import Any

DEFAULTS: dict[str, Any] = {
    # LATE_PUBLICATION: days after the deadline still tolerated (0 = the deadline day is the last
    # day on time, as rules.md says). Does not change the reported deadline or days_late.
    "late_grace_days": 0,
    # MISSING_REPORT (history rule, implemented with the store): days after the deadline before a
    # missing report is flagged.
    "missing_report_grace_days": 30,
    # NARRATIVE_MISMATCH: largest absolute difference between a number in the prose and the table
    # cell it describes that is still accepted.
    "narrative_tolerance": 0,
    # NARRATIVE_MISMATCH: which sections' prose is searched for numbers (comma-separated keys).
    "narrative_sections": "1",
    # CHANGE_MISMATCH: how many rows with non-zero numbers must obey 上一年 ± 增减 = 处理决定 before
    # the report counts as following that convention.
    "change_min_rows": 2,
    # COPIED_FROM_PRIOR_YEAR / COPIED_FROM_OTHER_AGENCY (history rules): similarity cut-off, 0..1.
    "copy_similarity": 0.95,
}


def get(settings: dict[str, Any] | None, name: str) -> Any:
    """The value of setting ``name``: the override in ``settings`` if any, else the default."""
    default = DEFAULTS[name]
    if not settings or name not in settings or settings[name] is None:
        return default
    value = settings[name]
    if isinstance(value, str) and not isinstance(default, str):
        try:
            return type(default)(value)
        except ValueError as exc:
            raise ValueError(f"setting {name}: cannot read {value!r} as {type(default).__name__}") from exc
    return value
