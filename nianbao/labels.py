"""The one table of Chinese labels: every coded value a user sees (rules, severities, statuses,
levels, kinds, health, date sources, readers).  The kernel: imports nothing of nianbao's own.

Every other module takes its Chinese words from here, so the workbench, the exports, the
notices and the command line cannot drift apart.
"""

from __future__ import annotations

# Every rule of ``rules.md``: name -> (severity, Chinese title).  The English name is the key.
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


# The rule groups of rules.md (for filters and the notice's problem types).
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


SEVERITIES: dict[str, str] = {"error": "错误", "warning": "警告", "info": "提示"}
LEVELS: dict[str, str] = {
    "province": "省级",
    "city": "市级",
    "county": "县级",
    "township": "乡镇",
    "department": "部门",
}
STATUSES: dict[str, str] = {"pending": "待审核", "confirmed": "已确认", "dismissed": "已驳回"}
TIMELINESS_LABELS: dict[str, str] = {
    "ontime": "按时发布",
    "late": "逾期发布",
    "missing": "未发布",
    "unknown": "时间不明",
    "notdue": "未到期或不要求",
}

REGION_LEVEL_LABELS: dict[str, str] = {"province": "省", "prefecture": "市（地、州）", "county": "县（区）"}

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

HEALTH: dict[str, str] = {
    "ok": "正常",
    "unreachable": "无法访问",
    "blocked": "被robots/反爬阻止",
    "empty": "栏目为空",
    "degraded": "错误较多",
    "no_reports": "未找到报告",
    "unreadable": "候选报告均无法读取",
}
RUN_STATUSES: dict[str, str] = {"running": "进行中", "finished": "已完成", "failed": "失败", "interrupted": "已中断"}
PUBLISHER_KINDS: dict[str, str] = {"government": "人民政府", "department": "政府部门", "township": "乡镇（街道）"}
REGISTRY_CHANGES: dict[str, str] = {
    "new": "新增", "removed": "撤销", "renamed": "更名", "moved": "隶属变更", "recoded": "代码变更",
    "portal-new": "新增门户", "portal-removed": "门户移除", "portal-url": "门户网址变更",
    "portal-access": "访问方式变更", "portal-unknown-code": "代码不在区划表中",
}


def rule_title(name: str) -> str:
    """Chinese title of rule ``name``; the name itself when unknown."""
    return CATALOG.get(name, ("", name))[1]


def rule_titles() -> dict[str, str]:
    """Rule name -> Chinese title, for every rule of the catalog."""
    return {name: title for name, (_, title) in CATALOG.items()}


def rule_severity(name: str) -> str:
    """Severity of rule ``name`` (KeyError for a name not in the catalog)."""
    return CATALOG[name][0]
