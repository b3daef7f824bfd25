"""History rules: findings that need earlier crawls or other reports (pure; see rules.md).

Every rule here is a function of a :class:`nianbao.rules.histories.History` (over the store, or in
memory) and returns :class:`HistoryFinding` objects: a :class:`~nianbao.model.Finding` plus the
agency, year and report it belongs to.  Nothing here fetches, parses or writes.

Rules: ``MISSING_REPORT``, ``CHANGED_AFTER_PUBLICATION``, ``REPORT_REMOVED``,
``COPIED_FROM_PRIOR_YEAR``, ``COPIED_FROM_OTHER_AGENCY``, ``CARRY_OVER_MISMATCH``,
``STOCK_MISMATCH``, ``HIERARCHY_MISMATCH``.

Settings (``settings`` dicts override by name; defaults in :data:`DEFAULTS`):

* ``missing_report_grace_days`` (30): days after the deadline before a missing report is flagged;
* ``missing_report_since`` (2019): first report year checked for watched agencies;
* ``copy_similarity`` (0.95): Jaccard similarity of masked prose from which a report is a copy;
* ``copy_min_chars`` (300): shorter masked prose is not compared (too little to tell);
* ``copy_shingle`` (5): characters per shingle;
* ``copy_num_perm`` (128) and ``copy_lsh_threshold`` (0.8): MinHash LSH that picks the candidate
  pairs (only those are compared exactly, so thousands of reports per year are not compared pairwise);
* ``copy_min_numbers`` (8): how many non-zero table numbers two reports must share, all equal,
  before "every number is the same" counts as a copy.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from nianbao import layouts
from nianbao.model import Finding, Report
from nianbao.regions.registry import registry
from nianbao.rules import settings as rule_settings
from nianbao.rules.common import COLUMN_LABELS, equal, finding, fmt, layout_of, plain, value
from nianbao.rules.deadlines import KIND_NAMES, deadline_for
from nianbao.text import nfkc

DEFAULTS: dict[str, Any] = {
    "missing_report_grace_days": 30,
    "missing_report_since": 2019,
    "copy_similarity": 0.95,
    "copy_min_chars": 300,
    "copy_shingle": 5,
    "copy_num_perm": 128,
    "copy_lsh_threshold": 0.8,
    "copy_min_numbers": 8,
}


def setting(settings: dict[str, Any] | None, name: str) -> Any:
    """A history-rule setting: the override, else the shared rules default, else ours."""
    if name in rule_settings.DEFAULTS:
        return rule_settings.get(settings, name)
    default = DEFAULTS[name]
    raw = (settings or {}).get(name)
    if raw is None:
        return default
    return type(default)(raw) if isinstance(raw, str) and not isinstance(default, str) else raw


@dataclass
class HistoryFinding:
    """A finding with what it belongs to (``report_id`` None: no report, e.g. MISSING_REPORT)."""

    finding: Finding
    agency: str | None
    year: int | None
    report_id: int | None = None
    document: str | None = None

    @property
    def fingerprint(self) -> str:
        return self.finding.fingerprint(self.agency, self.year)


def _hf(stored, f: Finding) -> HistoryFinding:
    return HistoryFinding(f, stored.agency, stored.year, stored.report_id, stored.document)


# ---------------------------------------------------------------- MISSING_REPORT


def due_year(kind: str | None, today: dt.date, grace_days: int, province: str | None = None) -> int | None:
    """The latest report year whose deadline plus grace has passed by ``today``."""

    for year in (today.year - 1, today.year - 2):
        d = deadline_for(kind or "government", year, province)
        if d is not None and d + dt.timedelta(days=grace_days) < today:
            return year
    return None


def missing_reports(history, today: dt.date, settings: dict | None = None) -> list[HistoryFinding]:
    """Watched agencies (and agencies seen reporting) without a report for a year that is due.

    Years checked: for an agency with reports, from its first report year (not before
    ``missing_report_since``) to the latest due year; for a watched agency with none, the latest
    due year only (when it began reporting is unknown).
    """

    grace = int(setting(settings, "missing_report_grace_days"))
    since = int(setting(settings, "missing_report_since"))
    years_of: dict[str, set[int]] = {}
    for s in history.reports():
        years_of.setdefault(s.agency, set()).add(s.year)
    out = []
    for a in history.agencies():
        have = years_of.get(a.name, set())
        if not a.watched and not have:
            continue
        last = due_year(a.kind, today, grace, a.province)
        if last is None:
            continue
        first = max(since, min(have)) if have else last
        for year in range(first, last + 1):
            if year in have:
                continue
            deadline = deadline_for(a.kind or "government", year, a.province)
            kind = KIND_NAMES.get(a.kind or "", "机关")
            f = finding(
                "MISSING_REPORT", "report",
                f"截至{today.isoformat()}，未在{a.name}的门户网站上找到{year}年度政府信息公开工作年度报告"
                f"（{kind}报告期限为{deadline.isoformat() if deadline else '未知'}，宽限{grace}天）。",
                expected=deadline.isoformat() if deadline else None, actual=None,
                evidence=f"已找到的年度：{'、'.join(str(y) for y in sorted(have)) or '无'}",
            )
            out.append(HistoryFinding(f, a.name, year))
    return out


# ---------------------------------------------------------------- CHANGED_AFTER_PUBLICATION

_VOLATILE = [
    re.compile(r"(浏览|访问|阅读|点击)(次数|量|数)?[:：]?\s*\d+\s*次?"),
    re.compile(r"(当前时间|今天是|现在时间)[:：]?[^\n。]{0,40}"),
    re.compile(r"\d{4}[-/年]\d{1,2}[-/月]\d{1,2}日?\s+\d{1,2}:\d{2}(:\d{2})?"),
    re.compile(r"(星期|礼拜)[一二三四五六日天]"),
]


def _clean(text: str) -> str:
    text = nfkc(text or "")
    for pat in _VOLATILE:
        text = pat.sub("", text)
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def cell_values(report: Report) -> dict[str, Any]:
    """Every cell as ``table.row.col -> number`` (blank = 0; unreadable = its raw text)."""
    out: dict[str, Any] = {}
    for t, r, c, cell in report.cells():
        out[f"{t}.{r}.{c}"] = plain(cell.number) if cell.status != "unreadable" else f"[{cell.raw}]"
    return out


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[。；;！？!?])|\n", text) if s.strip()]


def report_diff(old: Report, new: Report) -> tuple[list[str], list[str]]:
    """(cell changes like ``applications.new.total: 49 → 47``, text diff lines) between two readings.

    Compares the parsed report (tables and section texts), never raw bytes, so page furniture
    (a clock, a view counter) cannot count as a change.
    """
    a, b = cell_values(old), cell_values(new)
    cells = [f"{k}: {fmt(a.get(k)) if k in a else '无'} → {fmt(b.get(k)) if k in b else '无'}"
             for k in sorted(set(a) | set(b), key=_cell_order) if a.get(k) != b.get(k)]
    text: list[str] = []
    for key in sorted(set(old.sections) | set(new.sections)):
        sa, sb = _sentences(_clean(old.sections.get(key, ""))), _sentences(_clean(new.sections.get(key, "")))
        if sa == sb:
            continue
        title = layouts.SECTIONS.get(key, f"第{key}部分")
        for line in difflib.unified_diff(sa, sb, lineterm="", n=0):
            if line.startswith(("---", "+++")):
                continue
            text.append(f"[{title}] {line}" if line.startswith("@@") else line)
    return cells, text


def _cell_order(key: str) -> tuple[int, str]:
    return ({"disclosure": 0, "applications": 1, "appeals": 2}.get(key.split(".", 1)[0], 3), key)


def changed_after_publication(history, settings: dict | None = None) -> list[HistoryFinding]:
    """One finding per change between consecutive readings of the same document."""
    out = []
    for readings in history.versions():
        for old, new in zip(readings, readings[1:], strict=False):
            if not (old.report.is_report and new.report.is_report):
                continue
            cells, text = report_diff(old.report, new.report)
            if not cells and not text:
                continue
            when = f"第{old.version}版（{(old.fetched_at or '?')[:10]}）→ 第{new.version}版（{(new.fetched_at or '?')[:10]}）"
            parts = []
            if cells:
                parts.append(f"{len(cells)}个表格数值改变：" + "；".join(cells[:5]) + ("……" if len(cells) > 5 else ""))
            if text:
                parts.append(f"正文改动{sum(1 for x in text if x[:1] in '+-')}处")
            f = finding(
                "CHANGED_AFTER_PUBLICATION", f"versions.{new.version}",
                f"{new.agency}{new.year}年度报告发布后内容被修改（{when}）：" + "，".join(parts) + "。",
                expected=old.fetched_at, actual=new.fetched_at,
                evidence="\n".join(cells + text)[:4000],
            )
            out.append(_hf(new, f))
    return out


# ---------------------------------------------------------------- REPORT_REMOVED


def report_removed(history, settings: dict | None = None) -> list[HistoryFinding]:
    out = []
    for rm in history.removals():
        s = rm.stored
        if rm.how == "gone":
            msg = f"此前发现的{s.agency}{s.year}年度报告已被撤下：再次访问返回{rm.status or '错误'}（{s.document}）。"
        else:
            msg = f"此前发现的{s.agency}{s.year}年度报告已不在门户网站的栏目列表中（{s.document}）。"
        f = finding("REPORT_REMOVED", "document", msg, expected=s.document, actual=rm.status,
                    evidence=f"最后一次见到：{rm.since or '?'}")
        out.append(_hf(s, f))
    return out


# ---------------------------------------------------------------- CARRY_OVER / STOCK


def carry_over(report: Report, previous: Report) -> list[Finding]:
    """This year's 二、上年结转 vs the previous report's 四、结转下年度继续办理, per column."""
    out = []
    for col in layouts.APPLICATION_COLUMNS:
        now, before = value(report, "applications", "carried_in", col), value(previous, "applications",
                                                                              "carried_out", col)
        if not (now.usable and before.usable) or equal(now.number, before.number):
            continue
        out.append(finding(
            "CARRY_OVER_MISMATCH", f"applications.carried_in.{col}",
            f"“二、上年结转政府信息公开申请数量”（{COLUMN_LABELS.get(col, col)}）为{fmt(now.number)}件，"
            f"与{previous.year}年度报告“四、结转下年度继续办理”的{fmt(before.number)}件不符。",
            expected=plain(before.number), actual=plain(now.number),
            evidence=f"{previous.year}年度报告：{previous.url or previous.source}",
        ))
    return out


def stock(report: Report, previous: Report) -> list[Finding]:
    """2021 layout: 现行有效件数 = last year's + 本年制发 − 本年废止 (规章, 行政规范性文件)."""

    if layout_of(report) != "2021" or layout_of(previous) != "2021":
        return []
    out = []
    for row in ("rules", "normative_documents"):
        now = value(report, "disclosure", row, "in_force")
        issued = value(report, "disclosure", row, "issued")
        repealed = value(report, "disclosure", row, "repealed")
        before = value(previous, "disclosure", row, "in_force")
        if not all(v.usable for v in (now, issued, repealed, before)):
            continue
        expected = before.number + issued.number - repealed.number
        if equal(expected, now.number):
            continue
        name = layouts.DISCLOSURE_ROWS["2021"][row][0]
        out.append(finding(
            "STOCK_MISMATCH", f"disclosure.{row}.in_force",
            f"{name}现行有效件数为{fmt(now.number)}件，按上年{fmt(before.number)}件 + 本年制发{fmt(issued.number)}件"
            f" − 本年废止{fmt(repealed.number)}件应为{fmt(expected)}件。",
            expected=plain(expected), actual=plain(now.number),
            evidence=f"{previous.year}年度报告：{previous.url or previous.source}",
        ))
    return out


def year_over_year(history, settings: dict | None = None) -> list[HistoryFinding]:
    """CARRY_OVER_MISMATCH and STOCK_MISMATCH for every current report with a previous one."""
    out = []
    for s in history.reports():
        prev = history.report(s.agency, s.year - 1)
        if prev is None:
            continue
        out += [_hf(s, f) for f in carry_over(s.report, prev.report) + stock(s.report, prev.report)]
    return out


# ---------------------------------------------------------------- HIERARCHY_MISMATCH

HIERARCHY_CELLS = [("applications", "new", "total"), ("applications", "total", "total")] + [
    ("appeals", g, "total") for g in layouts.APPEAL_GROUPS
]


def _registry():
    try:
        return registry()
    except Exception:  # noqa: BLE001 - no registry data: parent links from the store only
        return None


def parent_links(agencies: list) -> dict[str, str]:
    """Each department's and township's government (child name -> parent name).

    The agency's own parent link (the store's ``parent_id``) wins; else the government of its
    division: the agency's region code, or the divisions named in its name (registry), matched
    to a known government of that code, else to the registry's formal name of that government
    when it is a known agency. Governments are nobody's bodies here (a county is not a
    department of its city).
    """
    known = {a.name for a in agencies}
    governments: dict[str, str] = {}
    for a in agencies:
        if a.kind == "government" and a.region and re.fullmatch(r"\d{6}", a.region):
            governments.setdefault(a.region, a.name)
    reg: Any = False  # loaded on first need
    links: dict[str, str] = {}
    for a in agencies:
        if a.kind == "government":
            continue
        if a.parent:
            links[a.name] = a.parent
            continue
        if reg is False:
            reg = _registry()
        code = a.region if a.region and re.fullmatch(r"\d{6}", a.region) else None
        if code is None and reg is not None:
            code = reg.attribute(a.name, None)
        parent = governments.get(code) if code else None
        if parent is None and code and reg is not None:
            region = reg.get(code)
            parent = region.agency if region is not None and region.agency in known else None
        if parent and parent != a.name:
            links[a.name] = parent
    return links


def hierarchy(history, settings: dict | None = None) -> list[HistoryFinding]:
    """A government's consolidated totals smaller than the sum of its own bodies' reports of the year
    (bodies: its departments and townships, by :func:`parent_links`)."""
    agencies = history.agencies()
    kids: dict[str, list[str]] = {}
    for child, parent in parent_links(agencies).items():
        kids.setdefault(parent, []).append(child)
    kinds = {a.name: a.kind for a in agencies}
    out = []
    for s in history.reports():
        if kinds.get(s.agency) != "government" or s.agency not in kids:
            continue
        children = [c for c in (history.report(k, s.year) for k in kids[s.agency]) if c is not None]
        if not children:
            continue
        for table, row, col in HIERARCHY_CELLS:
            own = value(s.report, table, row, col)
            parts = [(c.agency, value(c.report, table, row, col)) for c in children]
            if not own.usable or not all(v.usable for _, v in parts):
                continue
            total = sum(v.number for _, v in parts)
            if own.number + 1e-6 >= total:
                continue
            label = layouts.cell_label(table, row, col, s.report.layout or "2021")
            f = finding(
                "HIERARCHY_MISMATCH", f"{table}.{row}.{col}",
                f"{s.agency}{s.year}年度报告“{label}”为{fmt(own.number)}件，小于其所属{len(parts)}个部门（单位）"
                f"同年度报告之和{fmt(total)}件。",
                expected=plain(total), actual=plain(own.number),
                evidence="；".join(f"{name}：{fmt(v.number)}" for name, v in parts),
            )
            out.append(_hf(s, f))
    return out


# ---------------------------------------------------------------- COPIED_FROM_*

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_URL = re.compile(r"(?:https?://)?[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?:/[\x21-\x7e]*)?")
_SELF = re.compile(r"(我|本|该)(县|区|市|局|委|办|镇|乡|街道|中心|院|所|单位|机关|部门|府)")
_SPACE = re.compile(r"\s+")
_SUFFIXES = ("人民政府办公室", "人民政府", "街道办事处", "办事处", "政府")


def name_forms(names: Iterable[str]) -> list[str]:
    """Agency names and their short forms (鞍山市立山区人民政府 → 鞍山市立山区), longest first."""
    forms: set[str] = set()
    for n in names:
        n = nfkc(n or "").strip()
        if len(n) < 2:
            continue
        forms.add(n)
        for suf in _SUFFIXES:
            if n.endswith(suf) and len(n) - len(suf) >= 2:
                forms.add(n[: -len(suf)])
    return sorted(forms, key=len, reverse=True)


def prose(report: Report) -> str:
    """The report's prose: section texts in order (tables are not in them), else the whole text."""
    if report.sections:
        return "\n".join(report.sections[k] for k in sorted(report.sections))
    return report.text


def mask(text: str, names_re: re.Pattern | None) -> str:
    """Prose with agency names, URLs, numbers (years included) and self-references masked."""
    text = nfkc(text or "")
    if names_re is not None:
        text = names_re.sub("机", text)
    text = _URL.sub("网", text)
    text = _NUMBER.sub("#", text)
    text = _SELF.sub("我", text)
    return _SPACE.sub("", text)


def shingles(text: str, k: int) -> set[str]:
    return {text[i: i + k] for i in range(max(1, len(text) - k + 1))}


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def _numbers(report: Report) -> dict[str, Any]:
    return {k: v for k, v in cell_values(report).items() if not isinstance(v, str)}


def identical_numbers(a: Report, b: Report, min_numbers: int) -> bool:
    """Every table number of both reports is the same, with at least ``min_numbers`` non-zero ones."""
    na, nb = _numbers(a), _numbers(b)
    common = set(na) & set(nb)
    if not common or len(common) < 0.9 * max(len(na), len(nb)):
        return False
    nonzero = [k for k in common if na[k]]
    return len(nonzero) >= min_numbers and all(na[k] == nb[k] for k in common)


@dataclass
class _Doc:
    stored: Any
    text: str
    grams: set[str]


class CopyIndex:
    """Masked-prose shingles of every current report, and a MinHash LSH over them for candidates."""

    def __init__(self, reports: list, agencies: Iterable[str], settings: dict | None = None) -> None:
        from datasketch import MinHash, MinHashLSH

        self.settings = settings
        forms = name_forms(agencies)
        names_re = re.compile("|".join(map(re.escape, forms))) if forms else None
        k = int(setting(settings, "copy_shingle"))
        min_chars = int(setting(settings, "copy_min_chars"))
        num_perm = int(setting(settings, "copy_num_perm"))
        self.docs: dict[str, _Doc] = {}
        self.lsh = MinHashLSH(threshold=float(setting(settings, "copy_lsh_threshold")), num_perm=num_perm)
        for i, s in enumerate(reports):
            text = mask(prose(s.report), names_re)
            if len(text) < min_chars:
                continue
            key = f"{i}"
            grams = shingles(text, k)
            m = MinHash(num_perm=num_perm)
            m.update_batch([g.encode("utf-8") for g in grams])
            self.docs[key] = _Doc(s, text, grams)
            self.lsh.insert(key, m)
            self.docs[key].minhash = m  # type: ignore[attr-defined]

    def candidates(self) -> Iterable[tuple[_Doc, _Doc, float]]:
        """Pairs whose exact masked-prose Jaccard reaches ``copy_similarity`` (each pair once)."""
        cut = float(setting(self.settings, "copy_similarity"))
        seen: set[tuple[str, str]] = set()
        for key, d in self.docs.items():
            for other in self.lsh.query(d.minhash):  # type: ignore[attr-defined]
                pair = tuple(sorted((key, other)))
                if other == key or pair in seen:
                    continue
                seen.add(pair)  # type: ignore[arg-type]
                o = self.docs[other]
                sim = jaccard(d.grams, o.grams)
                if sim >= cut:
                    yield d, o, sim


def _later(a, b) -> list:
    """Which of two stored reports copied: one whose text changed into the copy (a later version of
    its document) over an original reading; else the later published; both when it cannot tell."""
    if (a.version > 1) != (b.version > 1):
        return [a] if a.version > 1 else [b]
    pa, pb = a.report.published, b.report.published
    if pa and pb and pa != pb:
        return [a] if pa > pb else [b]
    return [a, b]


def copies(history, settings: dict | None = None) -> list[HistoryFinding]:
    """COPIED_FROM_PRIOR_YEAR and COPIED_FROM_OTHER_AGENCY.

    Prose: masked (agency names, URLs, numbers and years, 我县/本机关) 5-character shingles;
    MinHash LSH proposes pairs, the exact Jaccard decides (``copy_similarity``).  Numbers: the
    tables of the two reports are identical (``copy_min_numbers`` non-zero values at least).
    """
    reports = history.reports()
    agencies = [a.name for a in history.agencies()] + [s.agency for s in reports]
    min_numbers = int(setting(settings, "copy_min_numbers"))
    index = CopyIndex(reports, agencies, settings)
    hits: dict[tuple[str, str, int], tuple[Any, Any, str]] = {}

    def add(rule: str, copier, source, how: str) -> None:
        key = (rule, copier.agency, copier.year)
        if key not in hits:
            hits[key] = (copier, source, how)

    for d, o, sim in index.candidates():
        a, b = d.stored, o.stored
        if a.agency == b.agency and abs(a.year - b.year) == 1:
            later, earlier = (a, b) if a.year > b.year else (b, a)
            add("COPIED_FROM_PRIOR_YEAR", later, earlier, f"正文（屏蔽年份、数字和机关名称后）相似度{sim:.0%}")
        elif a.agency != b.agency and a.year == b.year:
            for copier in _later(a, b):
                add("COPIED_FROM_OTHER_AGENCY", copier, b if copier is a else a,
                    f"正文（屏蔽数字和机关名称后）相似度{sim:.0%}")
    # every number unchanged while the year changed
    by_key = {(s.agency, s.year): s for s in reports}
    for s in reports:
        prev = by_key.get((s.agency, s.year - 1))
        if prev is not None and identical_numbers(s.report, prev.report, min_numbers):
            add("COPIED_FROM_PRIOR_YEAR", s, prev, "统计表全部数字与上年相同")
    by_year: dict[int, dict[tuple, list]] = {}
    for s in reports:
        nums = _numbers(s.report)
        if sum(1 for v in nums.values() if v) >= min_numbers:
            by_year.setdefault(s.year, {}).setdefault(tuple(sorted(nums.items())), []).append(s)
    for groups in by_year.values():
        for same in groups.values():
            for a in same:
                for b in same:
                    if a is not b and a.agency != b.agency and any(x is a for x in _later(a, b)):
                        add("COPIED_FROM_OTHER_AGENCY", a, b, "统计表全部数字相同")
    out = []
    for (rule, _, _), (copier, source, how) in sorted(hits.items(), key=lambda kv: kv[0]):
        if rule == "COPIED_FROM_PRIOR_YEAR":
            msg = f"{copier.agency}{copier.year}年度报告与其{source.year}年度报告几乎相同（{how}），疑似照抄上年报告。"
        else:
            msg = (f"{copier.agency}{copier.year}年度报告与{source.agency}同年度报告几乎相同（{how}），"
                   "疑似照抄其他机关报告。")
        f = finding(rule, "text", msg, expected=None, actual=source.agency if rule != "COPIED_FROM_PRIOR_YEAR"
                    else source.year, evidence=f"对照报告：{source.agency} {source.year}年度 {source.document or ''}")
        out.append(_hf(copier, f))
    return out


# ---------------------------------------------------------------- all of them

RULES = {
    "MISSING_REPORT": "missing_reports",
    "CHANGED_AFTER_PUBLICATION": "changed_after_publication",
    "REPORT_REMOVED": "report_removed",
    "CARRY_OVER_MISMATCH": "year_over_year",
    "STOCK_MISMATCH": "year_over_year",
    "HIERARCHY_MISMATCH": "hierarchy",
    "COPIED_FROM_PRIOR_YEAR": "copies",
    "COPIED_FROM_OTHER_AGENCY": "copies",
}


def audit_history(history, *, today: dt.date | None = None, settings: dict | None = None) -> list[HistoryFinding]:
    """Every history rule over ``history``."""
    today = today or dt.date.today()
    out = missing_reports(history, today, settings)
    out += changed_after_publication(history, settings)
    out += report_removed(history, settings)
    out += year_over_year(history, settings)
    out += hierarchy(history, settings)
    out += copies(history, settings)
    return out
