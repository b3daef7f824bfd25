"""Where are the reports? Pure scoring of links and pages (no I/O).

Discovery is a pure function of (link text, URL, page title, depth, context): the spider asks
:func:`score_link` for every link it sees and follows the best ones first; it hands a document
over to storage and the parsers only when :func:`is_candidate_report` says so.  Pagers written
by script (TRS ``createPageHTML``) and lists filled in from JSON endpoints are turned into
URLs here too.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from nianbao.crawler import keywords as kw

# Link kinds, best first.
REPORT, COLUMN, PAGER, PATH, SUBSITE, ATTACHMENT, OTHER, DECOY = (
    "report",
    "column",
    "pager",
    "path",
    "subsite",
    "attachment",
    "other",
    "decoy",
)

BASE_SCORES = {REPORT: 100, COLUMN: 80, PAGER: 60, PATH: 50, SUBSITE: 40, ATTACHMENT: 30, OTHER: 0, DECOY: -100}
DEPTH_PENALTY = 4
FOLLOW_MIN = 20  # links scoring below this are not followed


@dataclass(frozen=True)
class LinkScore:
    """The verdict on one link: its kind, a priority score and why."""

    kind: str
    score: int
    reasons: tuple[str, ...] = field(default=())

    @property
    def follow(self) -> bool:
        return self.kind != DECOY and self.score >= FOLLOW_MIN


def norm(text: str | None) -> str:
    """NFKC, no whitespace inside (Chinese titles are often broken by spaces or newlines)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


def url_path(url: str) -> str:
    return urlsplit(url).path.lower()


def url_tokens(url: str) -> list[str]:
    """Path segments without extensions: ``/xxgk/zfxxgknb/index_1.html`` -> xxgk, zfxxgknb, index_1."""
    out = []
    for seg in url_path(url).split("/"):
        seg = seg.split(".")[0]
        if seg:
            out.append(seg)
    return out


def extension(url: str) -> str:
    path = url_path(url)
    last = path.rsplit("/", 1)[-1]
    return "." + last.rsplit(".", 1)[-1] if "." in last else ""


def is_attachment_url(url: str) -> bool:
    return extension(url) in kw.ATTACHMENT_EXTS


def is_followable_url(url: str) -> bool:
    """http(s) and not a media/archive/script file."""
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and extension(url) not in kw.NON_HTML_EXTS


def find_year(text: str) -> int | None:
    m = re.search(rf"({kw.YEAR})\s*年", norm(text))
    return int(m.group(1)) if m else None


def is_decoy(text: str) -> bool:
    """A title that names something other than a disclosure report (工作要点, 通知 about 编制 …)."""
    t = norm(text)
    if any(w in t for w in kw.DECOY_WORDS):
        return True
    if any(w in t for w in kw.SOFT_DECOY_WORDS) and "信息公开" not in t and "政务公开" not in t:
        return True
    return False


def _column_page(title: str, context: str, url: str) -> bool:
    """Is the page we are on (by its title, context or URL) a report column?"""
    t = norm(title) + "|" + norm(context)
    if any(w in t for w in kw.COLUMN_WORDS):
        return True
    return any(tok in kw.COLUMN_URL_TOKENS for tok in url_tokens(url))


def is_candidate_report(text: str, url: str = "", title: str = "") -> bool:
    """Does this link (text, URL) on a page titled ``title`` lead to an annual disclosure report?

    A report names a year and 政府信息公开/政务公开 …年度报告/年报; on a report column page a
    year plus 年度报告/年报 is enough.  Decoys (工作要点, 政府工作报告, company annual reports,
    the 指南, notices about 编制/报送) never are.
    """
    t = norm(text)
    if not t or is_decoy(t):
        return False
    if kw.REPORT_TITLE.search(t):
        return True
    if (kw.REPORT_LOOSE.search(t) or kw.REPORT_YEAR_ONLY.fullmatch(t)) and _column_page(title, "", url):
        return True
    return False


def _is_pager(text: str, url: str) -> bool:
    t = norm(text).lower()
    if t in kw.PAGER_WORDS or t in ("上一页", "上页", "前页"):
        return True
    if re.fullmatch(r"\d{1,3}", t) and kw.PAGER_URL.search(urlsplit(url).path + "?" + urlsplit(url).query):
        return True
    return bool(kw.PAGER_URL.search(url_path(url))) and (not t or re.fullmatch(r"[\d\[\]第页]+", t) is not None)


def score_link(text: str, url: str, *, title: str = "", depth: int = 0, context: str = "") -> LinkScore:
    """Score a link by its text, URL, the title of the page it is on, the crawl depth and context.

    ``context`` is what surrounds the link (its row, its menu heading, the column name of the
    page).  Higher is better; decoys are negative and never followed.
    """
    t = norm(text)
    toks = url_tokens(url)
    reasons: list[str] = []
    kind = OTHER

    if is_candidate_report(t, url, title + "|" + context):
        kind, reasons = REPORT, ["report title"]
    elif t and (find_year(t) or kw.REPORT_TITLE.search(t) or kw.REPORT_LOOSE.search(t)) and is_decoy(t):
        kind, reasons = DECOY, ["decoy title"]
    elif is_attachment_url(url) or any(w in t for w in kw.ATTACHMENT_WORDS):
        if is_decoy(t):
            kind, reasons = DECOY, ["decoy attachment"]
        else:
            kind, reasons = ATTACHMENT, ["attachment"]
    elif any(w in t for w in kw.COLUMN_WORDS) and not find_year(t):
        kind, reasons = COLUMN, ["column name"]
    elif _is_pager(t, url):
        kind, reasons = PAGER, ["pager"]
        if not _column_page(title, context, url):
            return LinkScore(PAGER, BASE_SCORES[PATH] - DEPTH_PENALTY * depth - 20, ("pager off-column",))
    elif any(tok in kw.COLUMN_URL_TOKENS for tok in toks) and not is_decoy(t):
        kind, reasons = COLUMN, ["column url"]
    elif any(w in t for w in kw.SUBSITE_WORDS):
        kind, reasons = SUBSITE, ["sub-site menu"]
    elif any(w in t for w in kw.PATH_WORDS) and not (is_decoy(t) and not any(w in t for w in kw.NAVIGATION_OK_DECOYS)):
        kind, reasons = PATH, ["disclosure menu"]
    elif any(tok in kw.PATH_URL_TOKENS for tok in toks):
        kind, reasons = PATH, ["disclosure url"]
    elif kw.BODY_NAME.match(t) and any(w in norm(title + context) for w in kw.SUBSITE_WORDS + ("信息公开",)):
        kind, reasons = SUBSITE, ["body on a sub-site index"]
    elif any(tok in kw.SUBSITE_URL_TOKENS for tok in toks):
        kind, reasons = SUBSITE, ["sub-site url"]

    score = BASE_SCORES[kind]
    if kind == REPORT:
        year = find_year(t)
        if year:
            score += max(0, min(year - 2000, 30)) // 3  # newer first
    if kind not in (REPORT, DECOY):
        score -= DEPTH_PENALTY * depth
    return LinkScore(kind, score, tuple(reasons))


# --- pagers written by script ---------------------------------------------------------


def trs_pager_urls(script: str, base_url: str) -> list[str]:
    """Page URLs of a TRS WCM pager: ``createPageHTML(5, 0, "index", "html")``.

    TRS numbers the first page ``index.html`` and the next ones ``index_1.html`` …
    ``index_{total-1}.html`` in the same folder as the list page.
    """
    out: list[str] = []
    for m in kw.TRS_PAGER.finditer(script or ""):
        total = _js_int(m.group(1), script)
        stem, ext = m.group(3), m.group(4)
        if total is None:
            continue
        for i in range(min(total, 500)):
            name = f"{stem}.{ext}" if i == 0 else f"{stem}_{i}.{ext}"
            out.append(urljoin(base_url, name))
    return list(dict.fromkeys(out))


def _js_int(token: str, script: str) -> int | None:
    """A number, or the number a script variable is set to (``var countPage = 5``)."""
    if token.isdigit():
        return int(token)
    m = re.search(kw.JS_NUMBER_VAR.format(name=re.escape(token)), script)
    return int(m.group(1)) if m else None


def page_count_urls(script: str, base_url: str) -> list[str]:
    """Pages of a ``var countPage = N`` style pager, assuming index_N naming like TRS."""
    m = kw.PAGE_COUNT.search(script or "")
    if not m or "createPageHTML" in (script or ""):
        return []
    total = min(int(m.group(1)), 500)
    name = url_path(base_url).rsplit("/", 1)[-1] or "index.html"
    stem, _, ext = name.partition(".")
    ext = ext or "html"
    return [urljoin(base_url, f"{stem}.{ext}" if i == 0 else f"{stem}_{i}.{ext}") for i in range(total)]


# --- lists filled in by script ----------------------------------------------------------


def find_endpoints(script: str, base_url: str) -> list[str]:
    """Data endpoints named in inline scripts (``.json``, ``/api/``, ``getJSON(``, ``fetch(``)."""
    out: list[str] = []
    for pat in kw.ENDPOINT_PATTERNS:
        for m in pat.finditer(script or ""):
            raw = m.group(1)
            if raw.startswith(("javascript:", "#", "data:")) or raw.endswith((".js", ".css")):
                continue
            if "{" in raw or "+" in raw:
                continue
            low = raw.lower()
            if pat is kw.ENDPOINT_PATTERNS[1] and not any(
                s in low for s in (".json", "/api/", ".xml", "data", "list", "query", "search")
            ):
                continue  # ``url: '…'`` is an endpoint only when it looks like data
            out.append(urljoin(base_url, raw))
    return list(dict.fromkeys(out))


@dataclass(frozen=True)
class DataLink:
    """A link found in a JSON (or XML) list: URL, title and the date shown."""

    url: str
    title: str
    date: str | None = None


def _pick(d: dict[str, Any], keys: tuple[str, ...]) -> Any:
    lower = {str(k).lower(): v for k, v in d.items()}
    for k in keys:
        v = lower.get(k)
        if isinstance(v, (str, int)) and str(v).strip():
            return v
    return None


def links_from_json(data: Any, base_url: str) -> list[DataLink]:
    """Every object in a JSON document that has a URL and a title (any nesting)."""
    out: list[DataLink] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            u, t = _pick(node, kw.JSON_URL_KEYS), _pick(node, kw.JSON_TITLE_KEYS)
            if isinstance(u, str) and t is not None and not u.startswith(("javascript:", "#")):
                d = _pick(node, kw.JSON_DATE_KEYS)
                out.append(DataLink(urljoin(base_url, u.strip()), str(t).strip(), str(d) if d else None))
            for v in node.values():
                if isinstance(v, (dict, list)):
                    walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(data)
    seen: set[str] = set()
    uniq = []
    for link in out:
        if link.url not in seen:
            seen.add(link.url)
            uniq.append(link)
    return uniq


def links_from_json_text(body: str | bytes, base_url: str) -> list[DataLink]:
    """Parse a JSON (or JSONP ``cb({...})``) body and return its links; [] when it is not JSON."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    text = text.strip().lstrip("\ufeff")
    m = re.fullmatch(r"[\w.$]+\s*\(\s*(.*)\s*\)\s*;?", text, re.S)
    if m:
        text = m.group(1)
    try:
        data = json.loads(text)
    except ValueError:
        return []
    return links_from_json(data, base_url)


_XML_ITEM = re.compile(r"<(?:item|record|doc|row)\b[^>]*>(.*?)</(?:item|record|doc|row)>", re.S | re.I)
_XML_FIELD = re.compile(r"<(\w+)[^>]*>\s*(?:<!\[CDATA\[)?(.*?)(?:\]\]>)?\s*</\1>", re.S)


def links_from_xml_text(body: str | bytes, base_url: str) -> list[DataLink]:
    """Links of an XML list (``<record><url>…</url><title>…</title></record>``)."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    out = []
    for item in _XML_ITEM.finditer(text):
        fields = {k.lower(): v.strip() for k, v in _XML_FIELD.findall(item.group(1))}
        u, t = _pick(fields, kw.JSON_URL_KEYS), _pick(fields, kw.JSON_TITLE_KEYS)
        if u and t:
            out.append(DataLink(urljoin(base_url, u), t, _pick(fields, kw.JSON_DATE_KEYS)))
    return out


_CLICK_WORTHY = re.compile(r"年报|年度报告|信息公开|政务公开|公开目录|^(下一?页|下页|后页|>|›|»|更多|加载更多)$")


def is_click_worthy(text: str) -> bool:
    """A clickable element's text that a person would follow towards reports or the next page."""
    text = (text or "").strip()
    return bool(_CLICK_WORTHY.search(text)) and not is_decoy(text)


_SCRIPT_PAGER = re.compile(r"page|分页|下一页|翻页|尾页", re.I)


def script_pager_hint(scripts: str) -> bool:
    """Inline scripts that may write a pager (whatever the CMS: a call, a loop, a template)."""
    return bool(_SCRIPT_PAGER.search(scripts or ""))


def js_only_suspect(*, title: str, url: str, n_candidate_links: int, n_pager_links: int, scripts: str) -> bool:
    """A column page whose static HTML lists nothing but whose scripts fill the list in."""
    if n_candidate_links or n_pager_links or not scripts.strip():
        return False
    if not _column_page(title, "", url):
        return False
    markers = ("getJSON", "fetch(", "ajax", "XMLHttpRequest", "innerHTML", "appendChild", "ms-repeat", "v-for",
               "template", "render", ".json", "/api/", "axios")
    return any(m in scripts for m in markers)


# --- challenge pages -------------------------------------------------------------------


def is_challenge(status: int, body: bytes, *, max_size: int = 8192) -> bool:
    """An anti-bot gateway's answer: HTTP 412/521 with a small script that sets a cookie and reloads."""
    if status not in kw.CHALLENGE_STATUSES or len(body) > max_size:
        return False
    text = body.decode("utf-8", "replace")
    if "<script" not in text.lower():
        return False
    return "cookie" in text.lower() and any(m in text for m in kw.CHALLENGE_MARKERS)


# --- breadth limits --------------------------------------------------------------------


@dataclass
class Budget:
    """Per-site breadth limits: pages fetched, depth followed, reports taken (settings NIANBAO_MAX_*)."""

    max_pages: int = 300
    max_depth: int = 6
    max_reports: int = 0  # candidate reports per site; 0 = no limit
    pages: int = 0
    reports: int = 0
    # reliability: link traps (calendars, session ids) -- see admit()
    max_per_pattern: int = 25
    seen: set[str] = field(default_factory=set)
    patterns: dict[str, int] = field(default_factory=dict)

    def allows(self, depth: int, kind: str) -> bool:
        if kind == REPORT:
            return not self.max_reports or self.reports < self.max_reports
        if kind == ATTACHMENT:
            return True  # a report's files are part of the report
        return depth <= self.max_depth and self.pages < self.max_pages

    def spend(self) -> None:
        self.pages += 1

    def admit(self, url: str, kind: str) -> bool:
        """A navigation URL not requested before on this site, whose URL pattern is not a trap.

        Duplicates do not spend the budget; more than ``max_per_pattern`` pages of one pattern
        (same path with other digits or query values: a calendar, an endless query) are refused.
        Pagers are exempt from the pattern cap (a long column has many ``index_N`` pages).
        """
        if url in self.seen:
            return False
        if kind != PAGER:
            pat = url_pattern(url)
            n = self.patterns.get(pat, 0)
            if n >= self.max_per_pattern:
                return False
            self.patterns[pat] = n + 1
        self.seen.add(url)
        return True


def site_base(host: str) -> str:
    """A portal's base host: www.xx.gov.cn -> xx.gov.cn (its sub-sites are *.xx.gov.cn)."""
    host = (host or "").lower().split(":")[0]
    return host[4:] if host.startswith("www.") else host


def is_government_host(host: str) -> bool:
    """A host of a Chinese government (``*.gov.cn``), where a county's disclosure platform may live."""
    host = (host or "").lower().split(":")[0]
    return host.endswith(".gov.cn")


_DISCLOSURE = re.compile(r"信息公开|政务公开|公开目录|公开平台|xxgk|zfxxgk|gkml|opendata|open", re.I)


def is_disclosure_link(text: str, url: str) -> bool:
    """A link into the 信息公开 platform (by its text, or by the path or host that names it)."""
    return bool(_DISCLOSURE.search(text or "")) or bool(_DISCLOSURE.search(urlsplit(url).netloc + url_path(url)))


def same_site(url: str, site_url: str) -> bool:
    """Is ``url`` on the portal of ``site_url`` (its host, or a sub-site host under the same base)?"""
    host = (urlsplit(url).hostname or "").lower()
    base = site_base(urlsplit(site_url).hostname or "")
    return bool(base) and (host == base or host.endswith("." + base))


_PAGE_PARAM = re.compile(r"[?&]((?:page|pageNo|pageNum|pageIndex|curPage|currentPage|p))=", re.I)
_TOTAL_PAGE_KEYS = ("pagecount", "totalpage", "totalpages", "pages", "page_count", "total_page")


def json_page_urls(endpoint: str, body: str | bytes, scripts: str = "") -> list[str]:
    """Further pages of a paginated JSON list: ``?page=2`` … up to its ``pageCount``.

    The page parameter's name is read from the page's scripts (``api + "?page=" + p``);
    the count from the JSON (``pageCount``/``totalPage``/``pages``, or ``total``/``pageSize``).
    """
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    try:
        data = json.loads(text.strip().lstrip("\ufeff"))
    except ValueError:
        return []
    if not isinstance(data, dict):
        return []
    flat = {str(k).lower(): v for k, v in data.items()}
    for v in list(data.values()):
        if isinstance(v, dict):  # {"data": {"pageCount": …, "list": […]}}
            flat.update({str(k).lower(): x for k, x in v.items() if str(k).lower() not in flat})
    count = None
    for k in _TOTAL_PAGE_KEYS:
        if isinstance(flat.get(k), (int, str)) and str(flat[k]).isdigit():
            count = int(flat[k])
            break
    if count is None:
        total, size = flat.get("total"), flat.get("pagesize")
        if isinstance(total, int) and isinstance(size, int) and size > 0:
            count = -(-total // size)
    if not count or count <= 1:
        return []
    m = _PAGE_PARAM.search(scripts or "")
    param = m.group(1) if m else "page"
    base = re.sub(rf"([?&]){re.escape(param)}=\d+", "", endpoint).rstrip("?&")
    sep = "&" if "?" in base else "?"
    return [f"{base}{sep}{param}={n}" for n in range(2, min(count, 500) + 1)]


# --- reliability: URL canonicalisation and link-trap patterns (pure) --------------------

SESSION_PARAMS = ("jsessionid", "phpsessid", "sessionid", "sid", "aspsessionid", "cfid", "cftoken")
_PATH_SESSION = re.compile(r";(?:jsessionid|phpsessid|sessionid|sid)=[^?#/]*", re.I)


def clean_url(url: str) -> str:
    """``url`` without fragment, ``;jsessionid=`` path parameters, session ids and ``utm_*`` tracking."""
    from w3lib.url import url_query_cleaner

    url = _PATH_SESSION.sub("", url.split("#", 1)[0])
    parts = urlsplit(url)
    if not parts.query:
        return url
    keys = {q.split("=", 1)[0] for q in parts.query.split("&")}
    drop = [k for k in keys if k.lower() in SESSION_PARAMS or k.lower().startswith("utm_")]
    return url_query_cleaner(url, drop, remove=True) if drop else url


def url_pattern(url: str) -> str:
    """Host, path with digit runs as ``#`` and the sorted query keys: pages of one generator share it."""
    parts = urlsplit(url)
    keys = sorted({q.split("=", 1)[0] for q in parts.query.split("&") if q})
    return f"{(parts.hostname or '').lower()}{re.sub(r'[0-9]+', '#', parts.path)}?{'&'.join(keys)}"
