"""Every rule of ``rules.md``: severity and Chinese title (shown by the workbench and exports)."""

from __future__ import annotations

CATALOG: dict[str, tuple[str, str]] = {
    # Timeliness
    "LATE_PUBLICATION": ("error", "逾期发布"),
    "MISSING_REPORT": ("error", "未发布年度报告"),
    "UNKNOWN_PUBLICATION_DATE": ("info", "发布日期不明"),
    "DEADLINE_PASSED": ("info", "超过1月31日发布（无法定期限）"),
    "CHANGED_AFTER_PUBLICATION": ("warning", "发布后内容被修改"),
    "REPORT_REMOVED": ("warning", "报告已被撤下"),
    # Structure
    "MISSING_SECTION": ("error", "缺少报告部分"),
    "MISSING_TABLE": ("error", "缺少统计表或表格行"),
    "TABLE_UNREADABLE": ("warning", "表格数据无法识读"),
    "BLANK_CELLS": ("info", "表格存在空白单元格"),
    "OUTDATED_LAYOUT": ("warning", "使用已废止的报告格式"),
    "WRONG_PERIOD": ("error", "统计期限或年度错误"),
    "MISSING_FEE_STATEMENT": ("warning", "未说明信息处理费收取情况"),
    "MISSING_ASSESSMENT_RESULTS": ("warning", "未报告考核、评议和责任追究结果"),
    "METADATA_MISSING": ("warning", "未能识别机构/年度"),
    # Arithmetic
    "ROW_TOTAL_MISMATCH": ("error", "申请人合计与总计不符"),
    "RESULT_TOTAL_MISMATCH": ("error", "办理结果合计与（七）总计不符"),
    "BALANCE_MISMATCH": ("error", "勾稽关系不平衡（一+二≠三+四）"),
    "APPEAL_TOTAL_MISMATCH": ("error", "复议诉讼合计与总计不符"),
    "INVALID_VALUE": ("error", "数值无效（负数或非整数）"),
    "CARRY_OVER_MISMATCH": ("warning", "上年结转与上年报告结转下年度不符"),
    "STOCK_MISMATCH": ("warning", "现行有效件数与上年不衔接"),
    "IMPLAUSIBLE_RULES": ("warning", "无规章制定权却报告规章"),
    "CHANGE_MISMATCH": ("warning", "本年增/减与项目数量不符"),
    # Consistency
    "NARRATIVE_MISMATCH": ("error", "正文数字与表格不符"),
    "COPIED_FROM_PRIOR_YEAR": ("warning", "疑似照抄上年报告"),
    "COPIED_FROM_OTHER_AGENCY": ("warning", "疑似照抄其他机关报告"),
    "HIERARCHY_MISMATCH": ("warning", "政府汇总数小于所属部门之和"),
    "READINGS_DISAGREE": ("warning", "网页版与附件版数据不一致"),
}

GROUPS: dict[str, list[str]] = {
    "及时性": ["LATE_PUBLICATION", "MISSING_REPORT", "UNKNOWN_PUBLICATION_DATE", "DEADLINE_PASSED",
            "CHANGED_AFTER_PUBLICATION", "REPORT_REMOVED"],
    "完整性": ["MISSING_SECTION", "MISSING_TABLE", "TABLE_UNREADABLE", "BLANK_CELLS", "OUTDATED_LAYOUT",
            "WRONG_PERIOD", "MISSING_FEE_STATEMENT", "MISSING_ASSESSMENT_RESULTS", "METADATA_MISSING"],
    "数据勾稽": ["ROW_TOTAL_MISMATCH", "RESULT_TOTAL_MISMATCH", "BALANCE_MISMATCH", "APPEAL_TOTAL_MISMATCH",
             "INVALID_VALUE", "CARRY_OVER_MISMATCH", "STOCK_MISMATCH", "IMPLAUSIBLE_RULES", "CHANGE_MISMATCH"],
    "一致性": ["NARRATIVE_MISMATCH", "COPIED_FROM_PRIOR_YEAR", "COPIED_FROM_OTHER_AGENCY", "HIERARCHY_MISMATCH",
            "READINGS_DISAGREE"],
}

# Rules that need earlier reports or crawls (implemented over the store's history, not here).
HISTORY_RULES = frozenset({
    "MISSING_REPORT", "CHANGED_AFTER_PUBLICATION", "REPORT_REMOVED", "CARRY_OVER_MISMATCH",
    "STOCK_MISMATCH", "COPIED_FROM_PRIOR_YEAR", "COPIED_FROM_OTHER_AGENCY", "HIERARCHY_MISMATCH",
})

# Rules over several readings of one report (a page and its attachment), run by the crawler.
CROSS_DOCUMENT_RULES = frozenset({"READINGS_DISAGREE"})


def severity(name: str) -> str:
    """Severity of rule ``name`` (KeyError for a name not in the catalog)."""
    return CATALOG[name][0]


def title(name: str) -> str:
    """Chinese title of rule ``name``; the name itself when unknown."""
    return CATALOG.get(name, ("", name))[1]
