"""Every keyword the readers match on, in one place: section headings, row and column
labels with their variants and typos, layout markers.

Labels are compared after :func:`key_text` (NFKC, no spaces, punctuation, brackets or list
numbering), so ``（三）不予公开 1、属于国家秘密`` and ``(三)不予公开1.属于国家秘密`` agree.
"""

from __future__ import annotations

import re
from functools import lru_cache

from nianbao.parsers.numbers import CACHE_SIZE
from nianbao.text import nfkc

__all__ = [
    "APPEAL_GROUP_PATTERNS",
    "APPLICATION_ROW_PATTERNS",
    "DISCLOSURE_ROW_PATTERNS",
    "LAYOUT_2019_MARKERS",
    "LAYOUT_2021_MARKERS",
    "SECTION_TITLES",
    "CANONICAL_HEADINGS",
    "bare_heading",
    "fuzzy_heading",
    "heading_at_start",
    "inline_heading_spans",
    "key_text",
]

_PUNCT = re.compile(
    r"[\s\u00a0\u3000\"'“”‘’`·•.,，。、:：;；!！?？()（）\[\]【】{}<>《》〈〉「」『』/\\|_~\-—–－*#]+"
)
_NUMBERING = re.compile(
    r"[(（][一二三四五六七八九十0-9]{1,2}[)）]|(?<![0-9])[0-9]{1,2}[、.．](?![0-9])|[一二三四五六七八九十]{1,2}[、.．]"
)


@lru_cache(maxsize=CACHE_SIZE)
def key_text(text: str) -> str:
    """Label text for matching: NFKC, list numbering and all punctuation removed."""
    t = nfkc(text).strip()
    t = re.sub(r"\s+", "", t)
    t = _NUMBERING.sub("", t)
    return _PUNCT.sub("", t)


# --- sections -------------------------------------------------------------------------------

_NUM = {"1": "一", "2": "二", "3": "三", "4": "四", "5": "五", "6": "六"}
SECTION_TITLES: dict[str, str] = {
    "1": r"(?:总体情况|概述|总体概况|基本情况)",
    "2": r"主动公开政府信息(?:的)?情况",
    "3": r"收到和处理政府信息公开申请(?:的)?情况",
    "4": (
        r"(?:(?:因)?政府信息公开(?:工作|申请)?(?:被申请|被)?)?(?:行政复议[、,，和及与]*(?:提起)?行政诉讼"
        r"|申请行政复议[、,，和及与]*(?:提起)?行政诉讼)(?:的)?情况"
    ),
    "5": r"(?:政府信息公开工作)?存在(?:的)?(?:主要)?问题(?:及|和|与)?(?:改进|整改)(?:情况|措施)",
    "6": r"其他需要报告的事项",
}
_SEP = r"\s*[、.．]\s*"
_ANY_NUMERAL = r"[一二三四五六七八九十]"
_LINE_HEADING = {
    k: re.compile(rf"^\s*#*\s*{_ANY_NUMERAL}{_SEP}{pat}", re.S) for k, pat in SECTION_TITLES.items()
}
_INLINE_HEADING = {k: re.compile(rf"{_NUM[k]}{_SEP}{pat}") for k, pat in SECTION_TITLES.items()}


_QUICK_HEADING = re.compile(r"^\s*#*\s*[一二三四五六七八九十]\s*[、.．]")


@lru_cache(maxsize=CACHE_SIZE)
def heading_at_start(line: str, max_extra: int = 12) -> str | None:
    """Section key if ``line`` is a section heading (numbered, short), else None.

    The national wording is matched first; failing that, a numbered short line is compared by
    meaning with the canonical titles (:func:`fuzzy_heading`), so typos, extra or missing
    characters, other numbering (一./（一）/第一部分/1.) and punctuation still name the section.
    """
    if len(line) > 120:
        return None
    if not _QUICK_HEADING.match(line):
        if _ANY_NUMBERING.match(line):
            return fuzzy_heading(line)
        return bare_heading(line)
    t = nfkc(line).strip().lstrip("#").strip()
    if len(t) > 60:
        return None
    for key, pat in _LINE_HEADING.items():
        m = pat.match(t)
        if m and len(t) - m.end() <= max_extra:
            rest = t[m.end() :].strip()
            # a table header like "一、总体情况 | 2 |" is not a heading; a trailing colon is fine
            if re.search(r"\d", rest) and key != "1":
                continue
            return key
    return fuzzy_heading(line)


# canonical wordings of each section title, as printed after key_text (no punctuation)
CANONICAL_HEADINGS: dict[str, tuple[str, ...]] = {
    "1": ("总体情况", "总体概况", "基本情况", "概述"),
    "2": ("主动公开政府信息情况",),
    "3": ("收到和处理政府信息公开申请情况",),
    "4": (
        "政府信息公开行政复议行政诉讼情况",
        "因政府信息公开工作被申请行政复议提起行政诉讼情况",
        "政府信息公开被申请行政复议提起行政诉讼情况",
        "行政复议行政诉讼情况",
    ),
    "5": ("存在的主要问题及改进情况", "政府信息公开工作存在的主要问题及改进情况"),
    "6": ("其他需要报告的事项",),
}
_ANY_NUMBERING = re.compile(
    r"^\s*#*\s*(?:第\s*[一二三四五六七八九十]{1,2}\s*(?:部分|章|节)|[(（]\s*[一二三四五六七八九十0-9]{1,2}\s*[)）]"
    r"|[一二三四五六七八九十]{1,2}\s*[、.．,，:：\s]|[0-9]{1,2}\s*[、.．](?![0-9]))"
)
_HEADING_NUMERAL = re.compile(r"^\s*#*\s*(?:第\s*)?[(（]?\s*([一二三四五六七八九十]{1,2}|[0-9]{1,2})")
FUZZY_HEADING_MIN = 0.8  # similarity to a canonical title needed when the numeral disagrees
FUZZY_HEADING_NUMBERED = 0.7  # ... and when the numeral is the section's own


def _similarity(a: str, b: str) -> float:
    """Dice similarity of the longest-common-subsequence kind (difflib's ratio)."""
    from difflib import SequenceMatcher

    return SequenceMatcher(None, a, b, autojunk=False).ratio()


BARE_HEADING_MIN = 0.9  # an unnumbered line must be (almost) exactly a section title
BARE_HEADING_START_DIFFERS = 0.95  # ... more so when it does not start like one ("二是主动公开…")


@lru_cache(maxsize=CACHE_SIZE)
def bare_heading(line: str) -> str | None:
    """Section key of a short line that is a section title without its numbering (an OCR that
    lost the 三、, a title printed alone); the whole line must be the title, nearly verbatim."""
    body = _PUNCT.sub("", nfkc(line))
    if not 6 <= len(body) <= 24 or re.search(r"\d", body):
        return None
    best_key, best = None, 0.0
    for key, titles in CANONICAL_HEADINGS.items():
        for title in titles:
            if len(title) < 6:
                continue  # 总体情况 alone is too common a phrase
            s = _similarity(body, title)
            floor = BARE_HEADING_MIN if body[0] == title[0] else BARE_HEADING_START_DIFFERS
            if s >= floor and s > best:
                best_key, best = key, s
    return best_key


@lru_cache(maxsize=CACHE_SIZE)
def fuzzy_heading(line: str) -> str | None:
    """Section key of a numbered short line whose words are close to a canonical title.

    Pure: numbering (一、 一. （一） 第一部分 1.), punctuation and spaces are dropped, then the
    rest is compared with every canonical wording; the best section wins when its similarity
    reaches :data:`FUZZY_HEADING_MIN` (or :data:`FUZZY_HEADING_NUMBERED` when the line's numeral
    is that section's own number).  Lines holding figures or table separators are never headings.
    """
    t = nfkc(line).strip()
    if len(t) > 60 or "|" in t or "\t" in t:
        return None
    m = _ANY_NUMBERING.match(t)
    if not m:
        return None
    body = t[m.end() :]
    body = re.sub(r"^\s*(?:部分|章|节)", "", body)
    body = _PUNCT.sub("", body)
    if not body or re.search(r"\d", body) or len(body) > 40:
        return None
    num = _HEADING_NUMERAL.match(t)
    numeral = num.group(1) if num else ""
    if numeral.isdigit():
        numeral = _NUM.get(numeral, "")
    best_key, best = None, 0.0
    for key, titles in CANONICAL_HEADINGS.items():
        floor = FUZZY_HEADING_NUMBERED if numeral == _NUM[key] else FUZZY_HEADING_MIN
        for title in titles:
            s = _similarity(body, title)
            if s >= floor and s > best:
                best_key, best = key, s
    return best_key


def inline_heading_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, key) of correctly numbered section headings inside running text."""
    t = nfkc(text)
    if len(t) != len(text):  # NFKC changed lengths: search the original
        t = text
    spans = []
    for key, pat in _INLINE_HEADING.items():
        for m in pat.finditer(t):
            spans.append((m.start(), m.end(), key))
    spans.sort()
    return spans


# --- layouts --------------------------------------------------------------------------------

LAYOUT_2021_MARKERS = ("本年制发件数", "本年废止件数", "现行有效件数", "本年度止件数", "逾期未按收费通知", "逾期不补正", "本年收费金额")
LAYOUT_2019_MARKERS = ("本年新制作数量", "本年新公开数量", "对外公开总数量", "上一年项目数量", "政府集中采购", "采购项目数量")

# --- section 3 rows: key -> patterns over key_text(label) -----------------------------------

APPLICATION_ROW_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("new", re.compile(r"本年新收|新收政府信息公开申请|本年度?收到.{0,6}申请")),
    ("carried_in", re.compile(r"上年结转|上一年度?结转|上年度结转")),
    ("carried_out", re.compile(r"结转下年|转下一?年度|结转至下一?年")),
    ("granted", re.compile(r"予以公开$")),
    ("partial", re.compile(r"部分公开")),
    ("denied.state_secret", re.compile(r"国家秘密")),
    ("denied.prohibited_by_law", re.compile(r"法律行政法规禁止|法规禁止公开")),
    ("denied.security_stability", re.compile(r"三安全一稳定|危及")),
    ("denied.third_party", re.compile(r"第三方合法权益|第三方")),
    ("denied.internal_affairs", re.compile(r"三类内部事务|内部事务")),
    ("denied.process_info", re.compile(r"四类过程性|过程性信息")),
    ("denied.enforcement_file", re.compile(r"行政执法案卷|执法案卷")),
    ("denied.query_service", re.compile(r"行政查询事项|查询事项")),
    ("unavailable.not_held", re.compile(r"不掌握")),
    ("unavailable.needs_compiling", re.compile(r"没有现成信息|另行制作")),
    ("unavailable.unclear", re.compile(r"补正后|仍不明确")),
    ("not_processed.complaint", re.compile(r"信访|举报投诉")),
    ("not_processed.repeated", re.compile(r"^重复申请$|^不予处理重复申请$|重复申请$")),
    ("not_processed.publication", re.compile(r"公开出版物")),
    ("not_processed.excessive", re.compile(r"大量反复|反复申请")),
    ("not_processed.reissue", re.compile(r"重新出具|确认或重新")),
    ("other.no_correction", re.compile(r"逾期不补正|无正当理由逾期")),
    ("other.fee_unpaid", re.compile(r"缴纳费用|收费通知|逾期未按")),
    ("other.other", re.compile(r"^其他$|^其他处理其他$")),
    ("other", re.compile(r"^其他处理$")),
    ("total", re.compile(r"^总计$|^合计$")),
]

# --- section 2 rows -------------------------------------------------------------------------

DISCLOSURE_ROW_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("rules", re.compile(r"^规章$|规章$")),
    ("normative_documents", re.compile(r"规范性文件$|规范性文件件?$")),
    ("licensing", re.compile(r"行政许可$")),
    ("other_services", re.compile(r"其他对外管理服务事项$|对外管理服务事项$")),
    ("penalty", re.compile(r"行政处罚$")),
    ("coercion", re.compile(r"行政强制$")),
    ("fees", re.compile(r"行政事业性收费$|事业性收费$")),
    ("procurement", re.compile(r"政府集中采购$|集中采购$")),
]

# --- section 4 groups (for tables printed one group per row) --------------------------------

APPEAL_GROUP_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("litigation_after_review", re.compile(r"复议后起诉")),
    ("litigation_direct", re.compile(r"未经复议|直接起诉")),
    ("review", re.compile(r"行政复议")),
]
