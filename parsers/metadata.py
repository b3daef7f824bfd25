"""Who published the report, for which year, and when: pure functions over text and meta.

Publication date candidates are all kept (``Report.dates``) with their source; the one used
is chosen by trust: ``<meta name="PubDate">`` > a visible 发布时间/日期 line of the article >
the date in a TRS-style URL (``/t20250120_123456.html``) > the signature date at the end >
the date the list page showed.  A page-header clock (``2024年05月19日 星期日``) is recorded
as ``header`` and never used.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Iterator
from functools import lru_cache

from nianbao.model import DateEvidence, Report
from nianbao.parsers.blocks import Extracted, GridBlock, TextBlock
from nianbao.text import nfkc

__all__ = [
    "TITLE_FROM_CONTEXT",
    "agency_from_title",
    "date_candidates",
    "fill",
    "find_agency",
    "find_title",
    "find_year",
    "metadata_table",
    "parse_date",
    "plausible_agency_name",
    "split_title",
]

TITLE_FROM_CONTEXT = "title taken from the crawl context: the document has none"
SOURCE_RANK = {"meta": 0, "visible": 1, "url": 2, "signature": 3, "list": 4}
_META_DATE_KEYS = (
    "pubdate", "publishdate", "publish_date", "firstpublishedtime", "article:published_time",
    "dc.date", "dcterms.issued", "releasedate", "og:release_date", "createdate", "issuedate",
    "publishtime",
)  # fmt: skip
_AGENCY_META_KEYS = ("ContentSource", "contentsource", "Source", "source", "SiteName", "sitename")

_CN_DIGITS = {"〇": "0", "○": "0", "零": "0", "Ｏ": "0", "O": "0", "一": "1", "二": "2", "三": "3", "四": "4", "五": "5",
              "六": "6", "七": "7", "八": "8", "九": "9"}  # fmt: skip
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_CN_DATE = re.compile(r"([〇○零一二三四五六七八九Ｏ]{4})年([一二三四五六七八九十]{1,3})月(?:([一二三四五六七八九十]{1,3})日)?")
_VISIBLE = re.compile(r"(发布时间|发布日期|发文日期|成文日期|公开日期|生成日期|日期|时间|发布)\s*[:：]?\s*(\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2})")
# when a page was collected, printed, viewed or archived, or what day it is: never a publication date
_NOT_PUBLICATION = re.compile(r"采集|抓取|归档|存档|打印|浏览|访问|点击|阅读|下载|今天是|今日是|当前时间|系统时间|截图|保存")
# dates of writing/generating a document: kept, used only after every web date
_WRITTEN_LABELS = ("成文日期", "生成日期", "成文时间", "印发日期")
# the 信息公开 metadata table (索引号 · 发布机构 · 成文日期 · 公开日期 …)
_META_TABLE_KEYS = ("索引号", "发布机构", "发文机关", "公开日期", "发布日期", "成文日期", "生成日期", "公开方式",
                    "主题分类", "文号", "信息分类", "公开时限", "发布时间", "有效性")  # fmt: skip
_META_PUBLISHED_KEYS = ("公开日期", "发布日期", "发布时间", "公开时间")
_META_DATE_LABELS = (*_META_PUBLISHED_KEYS, *_WRITTEN_LABELS)
_META_AGENCY_KEYS = ("发布机构", "发文机关", "公开主体", "信息来源")
_WEEKDAY = re.compile(r"星期[一二三四五六日天]|周[一二三四五六日]|礼拜")
_URL_DATE = (
    re.compile(r"/t(20\d{2})(\d{2})(\d{2})_\d+"),
    re.compile(r"/(20\d{2})-?(\d{2})-?(\d{2})/"),
    re.compile(r"[/_](20\d{2})(\d{2})(\d{2})[_/.]"),
)
_TITLE_SUFFIX = r"(?:政府|政务)?信息公开(?:工作)?(?:年度)?(?:报告|年报)"
# what makes a line look like a report's title: 年度报告, 年报, or …2023年度政府信息公开工作报告
_TITLE_WORDS = re.compile(r"年度?报告|年报|信息公开(?:工作)?报告")
_TITLE_AGENCY_FIRST = re.compile(rf"^(?P<agency>.{{2,40}}?)[(（]?(?P<year>(?:19|20)\d{{2}})\s*年度?[)）]?\s*{_TITLE_SUFFIX}")
_TITLE_YEAR_FIRST = re.compile(rf"^(?P<year>(?:19|20)\d{{2}})\s*年度?\s*(?P<agency>.{{2,40}}?){_TITLE_SUFFIX}")
_INLINE_TITLE = re.compile(rf"(?P<agency>[\u4e00-\u9fff（）()]{{2,40}}?)(?P<year>(?:19|20)\d{{2}})\s*年度?\s*{_TITLE_SUFFIX}")
_AGENCY_END = (
    r"(?:人民政府办公室|人民政府办公厅|人民政府|政府办公室|政府办|管理委员会|管委会|委员会|办公室|办公厅|办事处|"
    r"局|委|办|厅|署|中心|院|所|站|队|会|处|司|部|政府|社|馆|园区|新区|示范区|实验区|开发区)"
)
_AGENCY_LINE = re.compile(rf"^[\u4e00-\u9fff（）()·]{{2,40}}{_AGENCY_END}$")
_LEAD_NOISE = re.compile(r"^.*?(?:向社会公布|现将|现公布|公布|发布|印发|关于|根据|特向社会|，|,|。)")
_PERIOD = re.compile(r"(?:统计|期限|周期|时间|数据).{0,12}?((?:19|20)\d{2})\s*年\s*1\s*月\s*1\s*日")
_COMPILED_BY = re.compile(r"由([\u4e00-\u9fff]{2,30}?)(?:负责)?编制")


_NOT_AGENCY = {"我区", "我县", "我市", "本机关", "我局", "政府", "政务", "本单位", "我委", "我办", "本年度", "年度"}
_PLACE_PREFIX = (
    r"(?:(?<![\u4e00-\u9fff])|(?<=[由在于向和与经为对的以及将、]))"
    r"((?:(?![由在于向和与经为对的以及将可报告版网站])[\u4e00-\u9fff]){2,7}?(?:省|自治区|市|自治州|州|盟|地区))"
)


@lru_cache(maxsize=4096)
def _place_pattern(agency: str) -> re.Pattern[str]:
    # compiled once per agency: the re module's own cache (512 patterns) is too small for a crawl
    return re.compile(_PLACE_PREFIX + re.escape(agency))


def _fuller_name(agency: str, text: str) -> str:
    """``洪泽区人民政府`` -> ``淮安市洪泽区人民政府`` when the text names it in full."""
    if re.match(r"^[\u4e00-\u9fff]{1,6}?(?:省|自治区|市|州|盟)", agency) and not re.match(r"^[\u4e00-\u9fff]{1,4}?[区县]", agency):
        return agency
    m = _place_pattern(agency).search(text)
    if m and len(m.group(1)) <= 10:
        return m.group(1) + agency
    return agency


_SPACES = re.compile(r"\s+")


def _norm(text: str) -> str:
    return _SPACES.sub("", nfkc(text))


# An agency's name: Chinese characters (at least two, the first one Chinese), with Latin letters,
# digits, 〇, · and balanced round brackets; never quotes, other brackets, operators or a URL.
_NAME_CHARS = re.compile(r"[\u4e00-\u9fff][\u4e00-\u9fff〇·()A-Za-z0-9]{1,59}")
_URLISH = re.compile(r"(?i)https?|www|\.(?:com|cn|net|org|gov)")


def plausible_agency_name(name: str | None) -> bool:
    """Whether ``name`` can be an agency's name (``鞍山市人民政府``, ``中共XX县委办公室（县政府办公室）``).

    A publisher taken from page metadata may be anything; one holding quotes, square or angle
    brackets, ``=``/``+``/``-``/``@``, a URL, or too few Chinese characters is not a name (and
    could be a spreadsheet formula): callers fall back to the next source (title, signature, hint).
    """
    if not name:
        return False
    t = _norm(name)
    if not _NAME_CHARS.fullmatch(t) or _URLISH.search(t):
        return False
    if sum("\u4e00" <= ch <= "\u9fff" for ch in t) < 2 or re.fullmatch(r"[\d年度]+", t):
        return False
    depth = 0
    for ch in t:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0 or depth > 1:
            return False
    return depth == 0


def parse_date(text: str) -> dt.date | None:
    """The first date in ``text`` (2025-01-20, 2025年1月20日, 二〇二五年一月二十日)."""
    m = _DATE.search(text)
    if m:
        try:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            return None
    m = _CN_DATE.search(text)
    if m:
        try:
            y = int("".join(_CN_DIGITS.get(c, c) for c in m.group(1)))
            return dt.date(y, _cn_number(m.group(2)), _cn_number(m.group(3)) if m.group(3) else 1)
        except ValueError:
            return None
    return None


def _cn_number(s: str) -> int:
    if s == "十":
        return 10
    if s.startswith("十"):
        return 10 + int(_CN_DIGITS[s[1]])
    if "十" in s:
        a, _, b = s.partition("十")
        return int(_CN_DIGITS[a]) * 10 + (int(_CN_DIGITS[b]) if b else 0)
    return int(_CN_DIGITS[s])


_LATEST: list = [0.0, dt.date.today()]


def _latest() -> dt.date:
    """Latest plausible date (today + a year), refreshed hourly: ``date.today()`` is slow."""
    now = time.time()
    if now - _LATEST[0] > 3600:
        _LATEST[:] = [now, dt.date.today() + dt.timedelta(days=370)]
    return _LATEST[1]


def _plausible(d: dt.date | None) -> bool:
    return d is not None and dt.date(2000, 1, 1) <= d <= _latest()


# --- title, agency, year --------------------------------------------------------------------


def split_title(title: str) -> str:
    """The article part of a page title (``报告_栏目_站点`` -> ``报告``)."""
    parts = re.split(r"\s*(?:_|\||｜|—|--| - )\s*", title)
    for p in parts:
        if re.search(r"年度?报告|年报", p):
            return p.strip()
    return parts[0].strip() if parts else title


def find_title(ex: Extracted, hints: dict) -> str | None:
    """The report's title: crawler header, ``ArticleTitle`` meta, ``<title>``, or a first line."""
    for cand in (ex.meta.get("标题"), ex.meta.get("ArticleTitle"), ex.meta.get("articletitle")):
        if cand and cand.strip():
            return cand.strip()
    lines = [b.text for b in ex.blocks[:12] if isinstance(b, TextBlock)]
    for i, line in enumerate(lines):
        t = _norm(line)
        if len(t) <= 80 and _TITLE_WORDS.search(t) and not t.startswith(("根据", "本报告", "本年度")):
            # an agency line above a title that starts with the year ("洪泽区人民政府" / "2023年…")
            if i > 0 and re.match(r"^(?:19|20)\d{2}\s*年", t) and _AGENCY_LINE.match(_norm(lines[i - 1])):
                return lines[i - 1].strip() + line.strip()
            return line.strip()
        # a title broken over two lines ("…政府信息公开工作" / "年度报告")
        if i + 1 < len(lines) and len(t) <= 60 and re.fullmatch(r"(?:工作)?年度报告|年报", _norm(lines[i + 1])):
            return line.strip() + lines[i + 1].strip()
    if ex.title:
        return split_title(ex.title)
    return hints.get("title") or hints.get("link_text")


def _clean_agency(name: str) -> str | None:
    name = _norm(name).strip("《》“”\"'：:，,。.（）()[]【】 ")
    name = re.sub(r"^(?:关于|公布|发布|印发)", "", name)
    name = _LEAD_NOISE.sub("", name) if re.search(r"公布|现将|关于|根据|，|,|。", name) else name
    name = re.sub(r"(?:关于)$", "", name)
    if len(name) < 2 or re.fullmatch(r"[\d年度]+", name) or name in _NOT_AGENCY:
        return None
    return name


def agency_from_title(title: str) -> tuple[str | None, int | None]:
    """(agency, year) from a title like ``XX人民政府2024年政府信息公开工作年度报告``."""
    t = _norm(split_title(title))
    t = re.sub(r"^#+", "", t)
    for pat in (_TITLE_YEAR_FIRST, _TITLE_AGENCY_FIRST):
        m = pat.search(t)
        if m:
            return _clean_agency(m.group("agency")), int(m.group("year"))
    m = re.search(r"((?:19|20)\d{2})\s*年", t)
    return None, int(m.group(1)) if m and _TITLE_WORDS.search(t) else None


def _signature(ex: Extracted) -> tuple[str | None, dt.date | None, str]:
    """Agency and date signed at the end (``XX人民政府`` / ``2025年1月20日``)."""
    lines = [b.text.strip() for b in ex.blocks[-8:] if isinstance(b, TextBlock) and b.text.strip()]
    agency, date, text = None, None, ""
    for i in range(len(lines) - 1, max(-1, len(lines) - 5), -1):
        t = _norm(lines[i]).strip("()（）")
        if len(t) <= 20 and parse_date(t) and re.fullmatch(r"[\d年月日〇○零一二三四五六七八九十Ｏ\-./]+", t):
            date, text = parse_date(t), lines[i]
            if i > 0 and _AGENCY_LINE.match(_norm(lines[i - 1])):
                agency = _norm(lines[i - 1])
            break
        if _AGENCY_LINE.match(t) and i == len(lines) - 1:
            agency = t
    return agency, date, text


def find_agency(ex: Extracted, title: str | None, hints: dict) -> tuple[str | None, str | None]:
    """(agency, source) by priority: title, signature, prose, meta, crawler hint; a short name
    (``洪泽区人民政府``) is completed from the text (``淮安市洪泽区人民政府``)."""
    agency, source = _find_agency(ex, title, hints)
    if agency and source in ("title", "signature", "text"):
        head = _norm(" ".join(b.text for b in ex.blocks[:40] if isinstance(b, TextBlock)))[:6000]
        agency = _fuller_name(agency, head)
    return agency, source


def _find_agency(ex: Extracted, title: str | None, hints: dict) -> tuple[str | None, str | None]:
    """The first plausible agency name (:func:`plausible_agency_name`) by source priority."""
    for agency, source in _agency_candidates(ex, title, hints):
        if plausible_agency_name(agency):
            return agency, source
    return None, None


def _agency_candidates(ex: Extracted, title: str | None, hints: dict) -> Iterator[tuple[str, str]]:
    if title:
        a, _ = agency_from_title(title)
        if a:
            yield a, "title"
    sig, _, _ = _signature(ex)
    if sig:
        yield sig, "signature"
    head = " ".join(b.text for b in ex.blocks[:6] if isinstance(b, TextBlock))
    m = _INLINE_TITLE.search(_norm(head))
    if m:
        a = _clean_agency(m.group("agency"))
        if a:
            yield a, "text"
    m = _COMPILED_BY.search(_norm(head))
    if m:
        a = _clean_agency(m.group(1))
        if a:
            a = re.sub(r"(?:人民)?政府办公室$|政府办$", "人民政府", a) if re.search(r"[区县市旗]", a) else a
            yield a, "text"
    table = metadata_table(ex)
    for key in _META_AGENCY_KEYS:
        a = _clean_agency(table.get(key, ""))
        if a:
            yield a, "meta"
    for key in _AGENCY_META_KEYS:
        if ex.meta.get(key):
            yield ex.meta[key].strip(), "meta"
    if hints.get("agency"):
        yield str(hints["agency"]), "hint"


def find_year(ex: Extracted, title: str | None, text: str) -> int | None:
    """Report year: from the title, else the statistical period, else the first lines."""
    if title:
        _, y = agency_from_title(title)
        if y:
            return y
    m = _PERIOD.search(_norm(text[:3000]))
    if m:
        return int(m.group(1))
    head = _norm(" ".join(b.text for b in ex.blocks[:4] if isinstance(b, TextBlock)))
    m = _INLINE_TITLE.search(head)
    if m:
        return int(m.group("year"))
    return None


# --- dates ----------------------------------------------------------------------------------


def _url_date(url: str | None) -> dt.date | None:
    if not url:
        return None
    for pat in _URL_DATE:
        m = pat.search(url)
        if m:
            try:
                return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                continue
    return None


def _labelled_dates(line: str) -> list[DateEvidence]:
    """Dates that follow a label in ``line``: publication labels are ``visible``, 成文日期 and
    生成日期 rank with the signature, and a date said to be when the page was collected,
    printed, viewed or archived (采集时间, 打印时间, 浏览次数 …, 今天是…) is ``header``."""
    out: list[DateEvidence] = []
    for m in _VISIBLE.finditer(line):
        d = parse_date(m.group(2))
        if not _plausible(d):
            continue
        before = line[max(0, m.start() - 6) : m.start() + len(m.group(1))]
        if _NOT_PUBLICATION.search(before):
            out.append(DateEvidence(d, "header", line[:80]))  # type: ignore[arg-type]
        elif m.group(1) in _WRITTEN_LABELS:
            out.append(DateEvidence(d, "signature", line[:80]))  # type: ignore[arg-type]
        else:
            out.append(DateEvidence(d, "visible", line[:80]))  # type: ignore[arg-type]
    return out


def _meta_key(text: str) -> str:
    return re.sub(r"[\s\u3000:：]+", "", nfkc(text))


def metadata_table(ex: Extracted) -> dict[str, str]:
    """The 信息公开 metadata table of a page (索引号 | … | 发布机构 | … | 公开日期 | …) as
    label -> value, from the first grids of the document; {} when it has none.

    A label cell is followed by its value cell, or holds ``label：value`` itself.
    """
    for b in ex.blocks[:20]:
        if not isinstance(b, GridBlock) or len(b.rows) > 12:
            continue
        cells = [c.text for row in b.rows for c in row if c.span_origin]
        keys = {k for t in cells for k in _META_TABLE_KEYS if _meta_key(t).startswith(k)}
        if "索引号" not in keys and len(keys) < 3:
            continue
        found: dict[str, str] = {}
        for row in b.rows:
            texts = [c.text for c in row if c.span_origin]
            for i, t in enumerate(texts):
                k = _meta_key(t)
                key = next((m for m in (*_META_TABLE_KEYS, *_META_DATE_LABELS, *_META_AGENCY_KEYS) if k.startswith(m)), None)
                if key is None or key in found:
                    continue
                rest = k[len(key) :]
                value = rest if rest else (texts[i + 1].strip() if i + 1 < len(texts) else "")
                if value and _meta_key(value) not in _META_TABLE_KEYS:
                    found[key] = value[:120]
        return found
    return {}


def date_candidates(ex: Extracted, url: str | None, hints: dict) -> list[DateEvidence]:
    """Every publication-date candidate found, with where it came from."""
    out: list[DateEvidence] = []
    lowered = {k.lower(): v for k, v in ex.meta.items()}
    for key in _META_DATE_KEYS:
        if key in lowered:
            d = parse_date(lowered[key])
            if _plausible(d):
                out.append(DateEvidence(d, "meta", f"{key}={lowered[key]}"))  # type: ignore[arg-type]
    for key in ("发布时间", "发布日期"):
        if key in ex.meta:
            d = parse_date(ex.meta[key])
            if _plausible(d):
                out.append(DateEvidence(d, "visible", f"{key}: {ex.meta[key]}"))  # type: ignore[arg-type]
    table = metadata_table(ex)
    for key in _META_DATE_LABELS:
        if key in table:
            d = parse_date(table[key])
            if _plausible(d):
                source = "meta" if key in _META_PUBLISHED_KEYS else "signature"
                out.append(DateEvidence(d, source, f"信息公开元数据表 {key}：{table[key]}"[:80]))  # type: ignore[arg-type]
    texts = [b for b in ex.blocks[:15] if isinstance(b, TextBlock)]
    for i, b in enumerate(texts):
        line = b.text.strip()
        if len(line) > 160:
            continue
        found = _labelled_dates(line)
        if found:
            out.extend(found)
            continue
        d = parse_date(line)
        if d and _NOT_PUBLICATION.search(line):
            out.append(DateEvidence(d, "header", line[:80]))
        elif d and (_WEEKDAY.search(line) or (i == 0 and len(_norm(line)) <= 24)):
            out.append(DateEvidence(d, "header", line[:80]))
        elif d and _plausible(d) and i < 6 and re.fullmatch(r"[(（]?[\d年月日〇○零一二三四五六七八九十Ｏ\-./]+[)）]?", _norm(line)):
            out.append(DateEvidence(d, "signature", line[:80]))  # a dateline under the title
    for u in (url, ex.meta.get("Url"), ex.meta.get("url"), ex.meta.get("原文链接")):
        d = _url_date(u)
        if _plausible(d):
            out.append(DateEvidence(d, "url", u or ""))  # type: ignore[arg-type]
            break
    _, sd, stext = _signature(ex)
    if _plausible(sd):
        out.append(DateEvidence(sd, "signature", stext[:80]))  # type: ignore[arg-type]
    if hints.get("list_date"):
        d = parse_date(str(hints["list_date"]))
        if _plausible(d):
            out.append(DateEvidence(d, "list", str(hints["list_date"])))  # type: ignore[arg-type]
    seen, unique = set(), []
    for e in out:
        if (e.date, e.source) not in seen:
            seen.add((e.date, e.source))
            unique.append(e)
    return unique


def _from_crawl_context(report: Report, hints: dict) -> None:
    """Agency and year a document does not state, from where the crawl found it: the page
    title, the list entry's text, then the site's agency (recorded with source ``hint``)."""
    for key in ("title", "link_text"):
        if not hints.get(key):
            continue
        agency, year = agency_from_title(str(hints[key]))
        if report.year is None and year is not None:
            report.year = year
            report.notes.append(f"report year taken from the crawl context ({key})")
        if report.agency is None and agency:
            report.agency, report.agency_source = agency, "hint"
    if report.agency is None and hints.get("agency"):
        report.agency, report.agency_source = str(hints["agency"]), "hint"


def fill(report: Report, ex: Extracted, hints: dict) -> None:
    """Set title, agency, year, dates and the chosen publication date on ``report``."""
    title = find_title(ex, hints)
    report.title = title
    if title is not None and hints and find_title(ex, {}) is None:
        report.notes.append(TITLE_FROM_CONTEXT)
    report.agency, report.agency_source = find_agency(ex, title, hints)
    report.year = find_year(ex, title, report.text)
    if report.year is None or report.agency is None:
        _from_crawl_context(report, hints)
    if report.url is None:
        report.url = ex.meta.get("原文链接") or ex.meta.get("Url") or None
    report.dates = date_candidates(ex, report.url, hints)
    usable = [e for e in report.dates if e.source in SOURCE_RANK]
    if usable:
        best = min(usable, key=lambda e: SOURCE_RANK[e.source])
        report.published, report.published_source = best.date, best.source
