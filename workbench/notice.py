"""The 通报 draft of a region and report year: its content, assembled from plain rows (pure).

:func:`assemble` builds a :class:`Notice` (标题, 主送, 正文 with 一、（一）1. numbering, 附件 tables)
from per-agency timeliness and the findings to report; :func:`collect` reads those rows from a
store.  Writing it as DOCX/PDF is :mod:`nianbao.workbench.notice_docx`.

Figures: 按时发布率 = 按时发布 ÷ (按时 + 逾期 + 未发布); reports whose publication date is not
known, and years not yet due, are left out of the rate and said so.  Only confirmed findings are
named unless ``include_open`` is set, and then each open one is marked （待审核）.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from nianbao import labels
from nianbao.regions.registry import get
from nianbao.storage import views as q
from nianbao.workbench import overview as ov
from nianbao.workbench.wording import value_text

CN_NUMS = "一二三四五六七八九十"
MAX_EVIDENCE = 80
# rules whose evidence is a sentence of the report (others hold a URL or a date source)
QUOTED_RULES = {"NARRATIVE_MISMATCH", "CHANGE_MISMATCH", "WRONG_PERIOD", "COPIED_FROM_PRIOR_YEAR",
                "COPIED_FROM_OTHER_AGENCY", "IMPLAUSIBLE_RULES"}
TIMELINESS_RULES = {"LATE_PUBLICATION": "逾期发布年度报告", "MISSING_REPORT": "截至核查时未发布年度报告"}
MAX_ITEMS_PER_TYPE = 60
CHILD_TITLES = {"province": "各市（州）人民政府，省政府各部门", "prefecture": "各县（市、区）人民政府，市政府各部门",
                "county": "各乡（镇）人民政府、街道办事处，县政府各部门"}  # fmt: skip
ISSUERS = {"province": "省政府办公厅", "prefecture": "市政府办公室", "county": "县政府办公室"}


def cn_number(n: int) -> str:
    """1 -> 一, 10 -> 十, 12 -> 十二, 21 -> 二十一 (up to 99)."""
    if n <= 10:
        return CN_NUMS[n - 1]
    tens, ones = divmod(n, 10)
    return (CN_NUMS[tens - 1] if tens > 1 else "") + "十" + (CN_NUMS[ones - 1] if ones else "")


@dataclass
class Para:
    text: str
    kind: str = "body"  # body | h1 (一、 黑体) | h2 (（一） 楷体) | item (1. 仿宋)


@dataclass
class Table:
    title: str
    header: list[str]
    rows: list[list[Any]]


@dataclass
class Notice:
    title: str
    recipients: str
    paragraphs: list[Para]
    attachments: list[Table]
    issuer: str
    date: dt.date
    figures: dict[str, Any] = field(default_factory=dict)  # what the text states, for checking


def on_time_rate(statuses: Iterable[str]) -> tuple[float | None, Counter]:
    """(rate in %, counts) from per-agency statuses ontime/late/missing/unknown/notdue."""
    counts = Counter(statuses)
    due = counts["ontime"] + counts["late"] + counts["missing"]
    return (round(100 * counts["ontime"] / due, 1) if due else None), counts


def _change(now: float | None, before: float | None) -> str:
    if now is None or before is None:
        return "上年无可比数据"
    diff = round(now - before, 1)
    if diff > 0:
        return f"较上年提高 {diff} 个百分点"
    if diff < 0:
        return f"较上年下降 {-diff} 个百分点"
    return "与上年持平"


def _evidence_words(f: dict[str, Any], layout: str | None = None) -> str:
    """A finding in words: its message, the printed and expected figures, the sentence quoted."""
    text = (f.get("message") or "").rstrip("。")
    expected, actual = f.get("expected"), f.get("actual")
    if expected not in (None, "", "null") and actual not in (None, "", "null") and not str(actual).startswith("["):
        exp, act = value_text(expected, f.get("location"), layout), value_text(actual, f.get("location"), layout)
        if exp and act and f"{act}" not in text:
            text += f"（填报 {act}，应为 {exp}）"
    evidence = (f.get("evidence") or "").strip()
    if evidence and f.get("rule") in QUOTED_RULES:
        quoted = evidence if len(evidence) <= MAX_EVIDENCE else evidence[:MAX_EVIDENCE] + "……"
        text += f"，原文：“{quoted}”"
    if f.get("status") != "confirmed":
        text += "（待审核）"
    return text + "。"


def assemble(
    *,
    region_name: str,
    region_level: str,
    year: int,
    statuses: dict[str, str],
    statuses_before: dict[str, str],
    findings: Sequence[dict[str, Any]],
    rule_titles: dict[str, str],
    deadline: dt.date,
    today: dt.date,
    scores: Sequence[Sequence[Any]] | None = None,
) -> Notice:
    """The 通报 of ``region_name`` for ``year``.

    ``statuses``: agency name -> timeliness status of ``year`` (``statuses_before`` for year − 1);
    ``findings``: rows with agency, rule, severity, message, expected, actual, evidence, location,
    status; ``scores``: optional ranking rows (rank, agency, score) for an annex.
    """
    rate, counts = on_time_rate(statuses.values())
    rate_before, _ = on_time_rate(statuses_before.values())
    agencies_with = sorted({f["agency"] for f in findings})
    confirmed = [f for f in findings if f.get("status") == "confirmed"]
    paras: list[Para] = []
    paras.append(Para(
        f"根据《中华人民共和国政府信息公开条例》和《国务院办公厅政府信息公开办公室关于印发〈中华人民共和国政府信息公开"
        f"工作年度报告格式〉的通知》要求，现将{region_name}{year}年度政府信息公开工作年度报告核查情况通报如下。"))
    paras.append(Para("一、总体情况", "h1"))
    due = counts["ontime"] + counts["late"] + counts["missing"]
    overall = (f"本次共核查{len(statuses)}家单位{year}年度政府信息公开工作年度报告。应于规定期限前发布的{due}家中，"
               f"按时发布{counts['ontime']}家，逾期发布{counts['late']}家，未发布{counts['missing']}家，")
    overall += (f"按时发布率为{rate}%，{_change(rate, rate_before)}。" if rate is not None else "暂无可计算的按时发布率。")
    if counts["unknown"]:
        overall += f"另有{counts['unknown']}家发布时间无法确认，未计入按时发布率。"
    if counts["unverified"]:
        overall += f"另有{counts['unverified']}家暂未找到报告、尚待核实，未计入按时发布率。"
    overall += (f"经核查和人工审核，确认存在问题{len(confirmed)}个，涉及{len({f['agency'] for f in confirmed})}家单位。")
    if len(confirmed) != len(findings):
        overall += f"另有{len(findings) - len(confirmed)}个问题尚待审核，文中标注“待审核”。"
    paras.append(Para(overall))
    paras.append(Para("二、存在的主要问题", "h1"))
    by_rule: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for f in findings:
        by_rule[f["rule"]].append(f)
    # agencies are named for lateness or absence only by their (confirmed) findings, never by a
    # missing row in the store: a report the crawl did not find is not proof the agency published none
    groups: list[tuple[str, list[str]]] = []
    timely_items = []
    for rule, words in TIMELINESS_RULES.items():
        named_rows = sorted(by_rule.get(rule, []), key=lambda r: r["agency"])
        if named_rows:
            names = "、".join(r["agency"] + ("（待审核）" if r.get("status") != "confirmed" else "") for r in named_rows)
            timely_items.append(f"{words}：{names}。")
    if timely_items:
        groups.append(("未按时发布年度报告", timely_items))
    order = {"error": 0, "warning": 1, "info": 2}
    for rule, rows in sorted(by_rule.items(), key=lambda kv: (min(order.get(f["severity"], 3) for f in kv[1]),
                                                               -len(kv[1]), rule_titles.get(kv[0], kv[0]))):
        if rule in TIMELINESS_RULES or rule == "DEADLINE_PASSED":
            continue  # said above
        items = []
        for f in sorted(rows, key=lambda r: (r["agency"], r.get("location") or ""))[:MAX_ITEMS_PER_TYPE]:
            items.append(f"{f['agency']}：{_evidence_words(f, f.get('layout'))}")
        if len(rows) > MAX_ITEMS_PER_TYPE:
            items.append(f"另有{len(rows) - MAX_ITEMS_PER_TYPE}个同类问题，详见附件1。")
        groups.append((f"{rule_titles.get(rule, rule)}（{len(rows)}个）", items))
    if not groups:
        paras.append(Para("本次核查未发现经确认的问题。"))
    for i, (heading, items) in enumerate(groups, start=1):
        paras.append(Para(f"（{cn_number(i)}）{heading}", "h2"))
        for j, item in enumerate(items, start=1):
            paras.append(Para(f"{j}. {item}", "item"))
    paras.append(Para("三、整改要求", "h1"))
    named = sorted(set(agencies_with))
    paras.append(Para(
        f"请{'、'.join(named) if named else '各单位'}对照本通报指出的问题认真核实，于{deadline.year}年{deadline.month}月"
        f"{deadline.day}日前完成整改：更正年度报告中的错误数据和表述，在政府网站原栏目重新发布更正后的报告并作出说明，"
        f"未发布的须立即发布。整改情况请于期限内书面报送{ISSUERS.get(region_level, '政务公开主管部门')}。"
        f"逾期未整改的，将予以再次通报。"))
    attach = [Table(
        "附件1：问题清单",
        ["序号", "单位", "问题类型", "问题描述", "审核状态"],
        [[i, f["agency"], rule_titles.get(f["rule"], f["rule"]), _evidence_words(f, f.get("layout")),
          "已确认" if f.get("status") == "confirmed" else "待审核"]
         for i, f in enumerate(sorted(findings, key=lambda r: (r["agency"], r["rule"])), start=1)],
    )]  # fmt: skip
    attach.append(Table(
        "附件2：年度报告发布情况",
        ["序号", "单位", "发布情况", "问题数"],
        [[i, a, {"ontime": "按时发布", "late": "逾期发布", "missing": "未发布", "unknown": "发布时间不明",
                 "notdue": "未到期", "unverified": "暂未找到，待核实"}.get(s, s), sum(1 for f in findings if f["agency"] == a)]
         for i, (a, s) in enumerate(sorted(statuses.items()), start=1)],
    ))  # fmt: skip
    if scores:
        attach.append(Table("附件3：得分排名", ["层级", "名次", "单位", "得分"], [list(r) for r in scores]))
    paras.append(Para("附件：" + "；".join(t.title.split("：", 1)[1] for t in attach)))
    return Notice(
        title=f"关于{region_name}{year}年度政府信息公开工作年度报告核查情况的通报",
        recipients=CHILD_TITLES.get(region_level, "各有关单位") + "：",
        paragraphs=paras,
        attachments=attach,
        issuer=region_name + ("人民政府办公厅" if region_level == "province" else "人民政府办公室"),
        date=today,
        figures={"agencies": len(statuses), "ontime": counts["ontime"], "late": counts["late"],
                 "missing": counts["missing"], "rate": rate, "rate_before": rate_before,
                 "confirmed": len(confirmed), "named": named},
    )  # fmt: skip


# ---------------------------------------------------------------- reading the rows from a store


def _statuses(store: Any, agencies: Sequence[dict[str, Any]], year: int) -> dict[str, str]:
    reports = {r["agency_id"]: r for r in q.current_reports(store, year=year)}
    audited = q.history_audited(store)
    missing = {m["agency_id"]: m for m in q.missing_report_findings(store, year=year)} if audited else {}
    out = {}
    for a in agencies:
        status = ov.agency_year_status(reports.get(a["id"]), missing.get(a["id"]), audited)
        if status == "missing" and not audited:
            status = "unverified"  # absent from the store, but no history audit has said it is due and missing
        if status != ov.NOT_DUE:
            out[a["name"]] = status
    return out


def collect(
    store: Any, *, region: str, year: int, deadline: dt.date, today: dt.date | None = None,
    include_open: bool = False, rule_titles: dict[str, str] | None = None,
    scores: Sequence[Sequence[Any]] | None = None,
) -> Notice:
    """The 通报 of division ``region`` (a code) for ``year`` from the findings in ``store``."""

    place = get(region)
    if place is None:
        raise ValueError(f"未知的行政区划代码：{region}")
    agencies = [a for a, _ in ov.select_agencies(q.agencies(store), ov.Filters(region=region))]
    ids = [a["id"] for a in agencies]
    statuses = {"confirmed"} | ({"pending"} if include_open else set())
    rows = [f for f in q.findings(store, year=year, agency_ids=ids, statuses=sorted(statuses))
            if f["status"] == "confirmed" or f["severity"] in ("error", "warning")]
    return assemble(
        region_name=place.full_name if hasattr(place, "full_name") else place.name,
        region_level="province" if place.level == "province" else place.level,
        year=year,
        statuses=_statuses(store, agencies, year),
        statuses_before=_statuses(store, agencies, year - 1),
        findings=rows,
        rule_titles=rule_titles or labels.rule_titles(),
        deadline=deadline,
        today=today or dt.date.today(),
        scores=scores,
    )
