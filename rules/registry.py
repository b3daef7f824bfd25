"""The rule registry, written out: every single-report rule by its catalog name, and :func:`audit`.

No registration by import side effect: a rule runs because it is listed here, in this order.
"""

from __future__ import annotations

from nianbao.model import Finding, Report
from nianbao.rules import arithmetic, content, narrative, structure, timeliness
from nianbao.rules.context import AuditContext, RuleFunc

__all__ = ["RULES", "AuditContext", "RuleFunc", "audit"]

RULES: dict[str, RuleFunc] = {
    "LATE_PUBLICATION": timeliness.late_publication,
    "DEADLINE_PASSED": timeliness.deadline_passed,
    "UNKNOWN_PUBLICATION_DATE": timeliness.unknown_publication_date,
    "MISSING_SECTION": structure.missing_section,
    "MISSING_TABLE": structure.missing_table,
    "TABLE_UNREADABLE": structure.table_unreadable,
    "BLANK_CELLS": structure.blank_cells,
    "OUTDATED_LAYOUT": structure.outdated_layout,
    "METADATA_MISSING": structure.metadata_missing,
    "WRONG_PERIOD": content.wrong_period,
    "MISSING_FEE_STATEMENT": content.missing_fee_statement,
    "MISSING_ASSESSMENT_RESULTS": content.missing_assessment_results,
    "ROW_TOTAL_MISMATCH": arithmetic.row_total_mismatch,
    "RESULT_TOTAL_MISMATCH": arithmetic.result_total_mismatch,
    "BALANCE_MISMATCH": arithmetic.balance_mismatch,
    "APPEAL_TOTAL_MISMATCH": arithmetic.appeal_total_mismatch,
    "INVALID_VALUE": arithmetic.invalid_value,
    "IMPLAUSIBLE_RULES": arithmetic.implausible_rules,
    "CHANGE_MISMATCH": arithmetic.change_mismatch,
    "NARRATIVE_MISMATCH": narrative.narrative_mismatch,
}


def audit(report: Report, ctx: AuditContext | None = None) -> list[Finding]:
    """Run every single-report rule; return the findings (also set on ``report.findings``)."""
    ctx = ctx or AuditContext()
    findings: list[Finding] = []
    if report.is_report:
        for func in RULES.values():
            findings.extend(func(report, ctx))
    report.findings = findings
    return findings
