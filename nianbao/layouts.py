"""The two national layouts as data: sections, rows, columns, their labels.

Keys are those of ``report-model.md``.  Readers map labels onto these keys (see
``nianbao.parsers.mapping``); rules iterate over them.  Label *variants* live with the matcher in
``parsers``; here are the official labels only.
"""

from __future__ import annotations

SECTIONS: dict[str, str] = {
    "1": "一、总体情况",
    "2": "二、主动公开政府信息情况",
    "3": "三、收到和处理政府信息公开申请情况",
    "4": "四、政府信息公开行政复议、行政诉讼情况",
    "5": "五、存在的主要问题及改进情况",
    "6": "六、其他需要报告的事项",
}

APPLICATION_COLUMNS: dict[str, str] = {
    "natural_person": "自然人",
    "commercial": "商业企业",
    "research": "科研机构",
    "nonprofit": "社会公益组织",
    "legal_service": "法律服务机构",
    "other_org": "其他",
    "total": "总计",
}
APPLICANT_COLUMNS = [c for c in APPLICATION_COLUMNS if c != "total"]

_DENIED = {
    "denied.state_secret": "1.属于国家秘密",
    "denied.prohibited_by_law": "2.其他法律行政法规禁止公开",
    "denied.security_stability": "3.危及“三安全一稳定”",
    "denied.third_party": "4.保护第三方合法权益",
    "denied.internal_affairs": "5.属于三类内部事务信息",
    "denied.process_info": "6.属于四类过程性信息",
    "denied.enforcement_file": "7.属于行政执法案卷",
    "denied.query_service": "8.属于行政查询事项",
}
_UNAVAILABLE = {
    "unavailable.not_held": "1.本机关不掌握相关政府信息",
    "unavailable.needs_compiling": "2.没有现成信息需要另行制作",
    "unavailable.unclear": "3.补正后申请内容仍不明确",
}
_NOT_PROCESSED = {
    "not_processed.complaint": "1.信访举报投诉类申请",
    "not_processed.repeated": "2.重复申请",
    "not_processed.publication": "3.要求提供公开出版物",
    "not_processed.excessive": "4.无正当理由大量反复申请",
    "not_processed.reissue": "5.要求行政机关确认或重新出具已获取信息",
}
_OTHER_2021 = {
    "other.no_correction": "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
    "other.fee_unpaid": "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
    "other.other": "3.其他",
}


def _rows(other: dict[str, str]) -> dict[str, str]:
    return {
        "new": "一、本年新收政府信息公开申请数量",
        "carried_in": "二、上年结转政府信息公开申请数量",
        "granted": "(一)予以公开",
        "partial": "(二)部分公开(区分处理的,只计这一情形,不计其他情形)",
        **_DENIED,
        **_UNAVAILABLE,
        **_NOT_PROCESSED,
        **other,
        "total": "(七)总计",
        "carried_out": "四、结转下年度继续办理",
    }


APPLICATION_ROWS: dict[str, dict[str, str]] = {
    "2021": _rows(_OTHER_2021),
    "2019": _rows({"other": "(六)其他处理"}),
}

# Rows (一)..(六) whose sum is (七)总计, per layout.
RESULT_ROWS: dict[str, list[str]] = {
    layout: [r for r in rows if r not in ("new", "carried_in", "total", "carried_out")]
    for layout, rows in APPLICATION_ROWS.items()
}

APPEAL_GROUPS: dict[str, str] = {
    "review": "行政复议",
    "litigation_direct": "行政诉讼·未经复议直接起诉",
    "litigation_after_review": "行政诉讼·复议后起诉",
}
APPEAL_KEYS: dict[str, str] = {
    "upheld": "结果维持",
    "corrected": "结果纠正",
    "other": "其他结果",
    "pending": "尚未审结",
    "total": "总计",
}

DISCLOSURE_ROWS: dict[str, dict[str, tuple[str, list[str]]]] = {
    "2021": {
        "rules": ("规章", ["issued", "repealed", "in_force"]),
        "normative_documents": ("行政规范性文件", ["issued", "repealed", "in_force"]),
        "licensing": ("行政许可", ["decisions"]),
        "penalty": ("行政处罚", ["decisions"]),
        "coercion": ("行政强制", ["decisions"]),
        "fees": ("行政事业性收费", ["amount"]),
    },
    "2019": {
        "rules": ("规章", ["made", "published", "public_total"]),
        "normative_documents": ("规范性文件", ["made", "published", "public_total"]),
        "licensing": ("行政许可", ["previous", "change", "decisions"]),
        "other_services": ("其他对外管理服务事项", ["previous", "change", "decisions"]),
        "penalty": ("行政处罚", ["previous", "change", "decisions"]),
        "coercion": ("行政强制", ["previous", "change", "decisions"]),
        "fees": ("行政事业性收费", ["previous", "change"]),
        "procurement": ("政府集中采购", ["projects", "amount"]),
    },
}

DISCLOSURE_COLUMNS: dict[str, str] = {
    "issued": "本年制发件数",
    "repealed": "本年废止件数",
    "in_force": "现行有效件数",
    "decisions": "处理决定数量",
    "amount": "金额(万元)",
    "made": "本年新制作数量",
    "published": "本年新公开数量",
    "public_total": "对外公开总数量",
    "previous": "上一年项目数量",
    "change": "本年增/减",
    "projects": "采购项目数量",
}

# Cells that are money (万元, may have decimals) or signed (本年增/减); every other is a count.
MONEY_COLUMNS = {"amount"}
SIGNED_COLUMNS = {"change"}


def cell_label(table: str, row: str, col: str, layout: str = "2021") -> str:
    """Chinese label of a cell for messages, e.g. ``一、本年新收…·总计``."""
    if table == "applications":
        rows = APPLICATION_ROWS.get(layout, APPLICATION_ROWS["2021"])
        return f"{rows.get(row, row)}·{APPLICATION_COLUMNS.get(col, col)}"
    if table == "appeals":
        return f"{APPEAL_GROUPS.get(row, row)}·{APPEAL_KEYS.get(col, col)}"
    rows = DISCLOSURE_ROWS.get(layout, DISCLOSURE_ROWS["2021"])
    return f"{rows.get(row, (row,))[0]}·{DISCLOSURE_COLUMNS.get(col, col)}"
