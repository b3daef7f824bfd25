"""Chinese labels for coded values shown in the workbench (rules, severities, statuses, levels)."""

from __future__ import annotations

from nianbao.storage.exports import LEVEL_LABELS, SEVERITY_LABELS
from nianbao.storage.schema import REVIEW_STATUSES

# Used when nianbao.rules.catalog is absent or lacks a title; names from the rule catalog (rules.md).
FALLBACK_RULE_TITLES: dict[str, str] = {
    "LATE_PUBLICATION": "逾期发布",
    "MISSING_REPORT": "未发布年度报告",
    "UNKNOWN_PUBLICATION_DATE": "发布日期不明",
    "DEADLINE_PASSED": "超过一月底发布",
    "CHANGED_AFTER_PUBLICATION": "发布后内容被修改",
    "REPORT_REMOVED": "报告已被撤下",
    "MISSING_SECTION": "缺少章节",
    "MISSING_TABLE": "缺少表格",
    "TABLE_UNREADABLE": "表格无法识读",
    "BLANK_CELLS": "表格存在空白单元格",
    "OUTDATED_LAYOUT": "使用旧版格式",
    "WRONG_PERIOD": "统计期间错误",
    "MISSING_FEE_STATEMENT": "未说明信息处理费",
    "MISSING_ASSESSMENT_RESULTS": "未报告考核评议追责结果",
    "METADATA_MISSING": "未能识别机构/年度",
    "ROW_TOTAL_MISMATCH": "行合计不符",
    "RESULT_TOTAL_MISMATCH": "办理结果总计不符",
    "BALANCE_MISMATCH": "收结平衡不符",
    "APPEAL_TOTAL_MISMATCH": "复议诉讼总计不符",
    "INVALID_VALUE": "数值无效",
    "CARRY_OVER_MISMATCH": "上年结转不一致",
    "STOCK_MISMATCH": "现行有效件数不一致",
    "IMPLAUSIBLE_RULES": "不应制定规章",
    "CHANGE_MISMATCH": "增减数不符",
    "NARRATIVE_MISMATCH": "正文与表格不一致",
    "COPIED_FROM_PRIOR_YEAR": "疑似照抄上年报告",
    "COPIED_FROM_OTHER_AGENCY": "疑似照抄其他机构报告",
    "HIERARCHY_MISMATCH": "汇总数小于所属部门之和",
}

TIMELINESS_LABELS: dict[str, str] = {
    "ontime": "按时发布",
    "late": "逾期发布",
    "missing": "未发布",
    "unknown": "时间不明",
    "notdue": "未到期或不要求",
}

REGION_LEVEL_LABELS: dict[str, str] = {"province": "省", "prefecture": "市（地、州）", "county": "县（区）"}
SEVERITIES = SEVERITY_LABELS
STATUSES = REVIEW_STATUSES
LEVELS = LEVEL_LABELS


def rule_titles() -> dict[str, str]:
    """Rule name -> Chinese title: ``nianbao.rules.catalog`` when present, else the packaged fallback."""
    titles = dict(FALLBACK_RULE_TITLES)
    try:
        from nianbao.rules import catalog
    except ImportError:
        return titles
    title_of = getattr(catalog, "title", None)
    for name in getattr(catalog, "CATALOG", {}):
        try:
            title = title_of(name) if callable(title_of) else None
        except KeyError:
            title = None
        if isinstance(title, str) and title:
            titles[name] = title
    return titles


def rule_title(name: str) -> str:
    return rule_titles().get(name, name)

DATE_SOURCES: dict[str, str] = {
    "meta": "网页元数据",
    "visible": "页面所示日期",
    "url": "网址中的日期",
    "signature": "落款日期",
    "list": "栏目列表日期",
    "header": "页眉日期",
}
READ_BY: dict[str, str] = {
    "text": "文本",
    "html": "网页",
    "pdf": "PDF",
    "docx": "Word",
    "xlsx": "Excel",
    "ocr": "图片识别（OCR）",
    "sandbox": "生成样例",
}
