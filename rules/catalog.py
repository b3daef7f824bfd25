"""Every rule of ``rules.md``: severity and Chinese title (shown by the workbench and exports)."""

from __future__ import annotations

from nianbao.labels import CATALOG, GROUPS, rule_severity, rule_title

__all__ = ["CATALOG", "GROUPS", "HISTORY_RULES", "CROSS_DOCUMENT_RULES", "severity", "title"]

# Rules that need earlier reports or crawls (implemented over the store's history, not here).
HISTORY_RULES = frozenset({
    "MISSING_REPORT", "CHANGED_AFTER_PUBLICATION", "REPORT_REMOVED", "CARRY_OVER_MISMATCH",
    "STOCK_MISMATCH", "COPIED_FROM_PRIOR_YEAR", "COPIED_FROM_OTHER_AGENCY", "HIERARCHY_MISMATCH",
})

# Rules over several readings of one report (a page and its attachment), run by the crawler.
CROSS_DOCUMENT_RULES = frozenset({"READINGS_DISAGREE"})


severity = rule_severity


title = rule_title
