"""Links, title and scripts of an HTML page (pure: bytes in, plain data out).

Only what discovery needs: every ``<a href>`` with its text, the text of the row it sits in
(for the list date) and the page's title and inline scripts.  No table is read here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urldefrag, urljoin

import lxml.html
from lxml import etree

from nianbao.crawler.dates import list_date

_ROW_TAGS = {"li", "tr", "dl", "p", "article"}
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w-]+)""", re.I)


@dataclass(frozen=True)
class Link:
    url: str
    text: str
    row: str = ""  # text of the list row / menu item around the link
    list_date: str | None = None
    how: str = "a"  # a | frame (an embedded document) | handler (onclick/javascript:) | option | script


# A URL written as a string literal in script or a handler: absolute, rooted, relative with a page
# extension, or a query-only link to a page script.
_URL_LITERAL = re.compile(
    r"""["']((?:https?://[^"'\s<>]+)|(?:\.{0,2}/[^"'\s<>]*)|(?:[\w./-]+\.(?:s?html?|jsp|aspx?|php|do|action)"""
    r"""(?:\?[^"'\s<>]*)?))["']"""
)
_CJK_LITERAL = re.compile(r"""["']([^"'\n]{0,80}?[\u4e00-\u9fff][^"'\n]{0,80}?)["']""")
_HTML_IN_SCRIPT = re.compile(r"""<a\s[^<>]*?href\s*=\s*\\?["']([^"'\\<>]+)\\?["'][^<>]*>(.{1,200}?)</a>""", re.S | re.I)
_NOT_PAGE = (".js", ".css", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".ico", ".woff", ".woff2", ".ttf", ".map")


def url_literals(code: str) -> list[str]:
    """URL-like string literals of a piece of script (an onclick handler, a ``javascript:`` href)."""
    out = []
    for m in _URL_LITERAL.finditer(code or ""):
        raw = m.group(1)
        if raw in ("/", "./", "../") or raw.startswith("//") or raw.lower().split("?")[0].endswith(_NOT_PAGE):
            continue
        out.append(raw)
    return out


_JS_STR = r"""(?:"[^"\\\n]*"|'[^'\\\n]*')"""
_CALL = re.compile(r"([A-Za-z_$][\w$]*)\s*\(([^()]*)\)")
_CONCAT = re.compile(rf"""(?:{_JS_STR}|[A-Za-z_$][\w$]*|\d+)(?:\s*\+\s*(?:{_JS_STR}|[A-Za-z_$][\w$]*|\d+))+""")
_ARG = re.compile(rf"""\s*({_JS_STR}|-?\d+(?:\.\d+)?|[A-Za-z_$][\w$.]*)\s*(?:,|$)""")


def _function_body(scripts: str, name: str) -> tuple[list[str], str] | None:
    """Parameters and body of ``function name(a, b) {…}`` (or ``name = function(a, b) {…}``) in ``scripts``."""
    m = re.search(rf"(?:function\s+{re.escape(name)}|\b{re.escape(name)}\s*=\s*function)\s*\(([^)]*)\)\s*\{{",
                  scripts)  # fmt: skip
    if m is None:
        return None
    depth, i = 1, m.end()
    while i < len(scripts) and depth and i - m.end() < 4000:
        depth += {"{": 1, "}": -1}.get(scripts[i], 0)
        i += 1
    return [p.strip() for p in m.group(1).split(",") if p.strip()], scripts[m.end():i - 1]


def call_targets(code: str, scripts: str) -> list[str]:
    """URLs a handler's call (``goPage(2)``, ``javascript:show('a', 3)``) builds in the page's own function.

    The called function is looked up in the page's inline scripts; string concatenations in its
    body (``"/list.jsp?pageNo=" + p``) are evaluated with the call's literal arguments; what looks
    like a URL is kept.  Nothing is run: a body that computes its URL any other way gives nothing
    (and the browser clicks it instead).
    """
    out: list[str] = []
    for call in _CALL.finditer(code or ""):
        name = call.group(1)
        if name in ("void", "return", "if", "function", "alert", "confirm"):
            continue
        args: list[str | None] = []
        for a in _ARG.findall(call.group(2)):
            args.append(a[1:-1] if a[:1] in "'\"" else a if re.fullmatch(r"-?\d+(?:\.\d+)?", a) else None)
        found = _function_body(scripts or "", name)
        if found is None:
            continue
        params, body = found
        env = {p: v for p, v in zip(params, args, strict=False) if v is not None}
        for expr in _CONCAT.finditer(body):
            parts, ok = [], True
            for term in re.findall(rf"{_JS_STR}|[A-Za-z_$][\w$]*|\d+", expr.group(0)):
                if term[:1] in "'\"":
                    parts.append(term[1:-1])
                elif term.isdigit():
                    parts.append(term)
                elif term in env:
                    parts.append(env[term])
                else:
                    ok = False
                    break
            if ok and any(p in env for p in re.findall(r"[A-Za-z_$][\w$]*", expr.group(0))):
                out += url_literals(f"'{''.join(parts)}'")
    return out


def _record_bounds(text: str, start: int, end: int, reach: int = 240) -> tuple[int, int]:
    """The record a literal sits in: its enclosing ``{…}`` (or ``<tr>…</tr>`` row), else its line, within ``reach``."""
    lo, hi = max(0, start - reach), min(len(text), end + reach)
    for opener, closer in (("{", "}"), ("<tr", "</tr>"), ("<li", "</li>"), ("[", "]"), ("\n", "\n")):
        a = text.rfind(opener, lo, start)
        b = text.find(closer, end, hi)
        if a >= 0 and b >= 0:
            return a, b + len(closer)
    return lo, hi


def script_links(scripts: str, base: str) -> list[Link]:
    """Links written into script as data: a URL literal with a Chinese title literal beside it.

    Covers the common shapes of script-written lists without knowing the CMS: JS arrays of
    objects (``{title:'…', url:'…'}``), ``document.write`` rows, arrays of pairs.  The title is the
    nearest Chinese string literal within the same object-sized window.
    """
    out: list[Link] = []
    text = scripts or ""
    seen: set[str] = set()
    for m in _HTML_IN_SCRIPT.finditer(text):  # markup written by script (document.write, innerHTML +=)
        absu = urldefrag(urljoin(base, m.group(1)))[0]
        label = re.sub(r"<[^>]+>|\s+", " ", m.group(2)).strip()
        if label and absu not in seen and not m.group(1).startswith(("javascript:", "#")):
            seen.add(absu)
            lo, hi = _record_bounds(text, m.start(), m.end())
            d = list_date(text[lo:hi], label)
            out.append(Link(absu, label, text[lo:hi][:300], d.isoformat() if d else None, "script"))
    folder: tuple[int, int, str] | None = None  # the last folder-like literal: (record start, record end, URL)
    for m in _URL_LITERAL.finditer(text):
        raw = m.group(1)
        if raw in ("/", "./", "../") or raw.startswith("//") or raw.lower().split("?")[0].endswith(_NOT_PAGE):
            continue
        lo, hi = _record_bounds(text, m.start(), m.end())
        window = text[lo:hi]
        here = base
        if raw.endswith("/"):
            folder = (lo, hi, urljoin(base, raw))
        elif folder and folder[0] == lo and folder[1] == hi and not raw.startswith(("/", ".", "?", "http")):
            here = folder[2]  # a record split into folder and file name (["http://x/col/", "c_1.html", …])
        best, dist = "", None
        for t in _CJK_LITERAL.finditer(window):
            d = abs((lo + t.start()) - m.start())
            if dist is None or d < dist:
                best, dist = t.group(1), d
        if not best:
            continue
        absu = urldefrag(urljoin(here, raw))[0]
        if absu in seen:
            continue
        seen.add(absu)
        label = re.sub(r"<[^>]+>", "", best).strip()
        d = list_date(window, label)
        out.append(Link(absu, label, window[:300], d.isoformat() if d else None, "script"))
    return out


@dataclass
class Page:
    url: str
    title: str = ""
    column: str = ""  # ColumnName meta (政府网站 meta set) or empty
    links: list[Link] = field(default_factory=list)
    scripts: str = ""
    text_len: int = 0
    frames: int = 0  # embedded documents (frame, iframe)
    handlers: int = 0  # onclick handlers and javascript: links
    forms: int = 0  # forms and select menus
    script_srcs: int = 0  # external scripts
    unresolved: list[str] = field(default_factory=list)  # texts of clickable elements with no URL in sight

    @property
    def interactive(self) -> bool:
        """Whether a browser could show more than the static HTML (scripts, frames, handlers, forms)."""
        return bool(self.scripts.strip() or self.script_srcs or self.frames or self.handlers or self.forms)
    links_dropped: bool = False  # more links than ``max_links``: the rest were not read


# what a pager's or a "more" button's label says when nothing else in the markup shows it is clickable
LISTENER_WORDS = re.compile(r"^(下一?页|下页|后一?页|>>?|›|»|加载更多|查看更多|点击加载更多)$")


def _bad(text: str) -> int:
    return text.count("\ufffd")


def decode_html(body: bytes, declared: str | None = None) -> str:
    """Decode a page whose declared charset may be wrong: declared, meta, UTF-8, GB18030; fewest errors wins."""
    candidates: list[str] = []
    if body.startswith(b"\xef\xbb\xbf"):
        return body[3:].decode("utf-8", "replace")
    for enc in ("utf-8", declared, None, "gb18030"):  # strict UTF-8 success is strong evidence
        if enc is None:
            m = _META_CHARSET.search(body[:4096])
            enc = m.group(1).decode("ascii", "ignore") if m else None
        if enc:
            enc = enc.lower()
            if enc in ("gb2312", "gbk", "x-gbk"):
                enc = "gb18030"
            if enc not in candidates:
                candidates.append(enc)
    best, best_bad = "", None
    for enc in candidates:
        try:
            return body.decode(enc)
        except (LookupError, UnicodeDecodeError):
            try:
                text = body.decode(enc, "replace")
            except LookupError:
                continue
        n = _bad(text)
        if best_bad is None or n < best_bad:
            best, best_bad = text, n
    return best


def _row_text(a: etree._Element) -> str:
    node = a
    for _ in range(4):
        parent = node.getparent()
        if parent is None:
            break
        node = parent
        if node.tag in _ROW_TAGS:
            break
        if node.tag == "dd" and node.getparent() is not None and node.getparent().tag == "dl":
            node = node.getparent()
            break
    if node.tag in ("body", "html"):
        return ""
    text = " ".join(node.itertext())
    return re.sub(r"\s+", " ", text).strip()[:300]


MAX_LINKS = 5000  # links read from one page: a real portal page has a few hundred


def parse_page(body: bytes | str, url: str, *, encoding: str | None = None, max_links: int = MAX_LINKS) -> Page:
    """Links (absolute, no fragments; the first ``max_links``), title, ColumnName and inline scripts."""
    text = body if isinstance(body, str) else decode_html(body, encoding)
    page = Page(url=url)
    if not text.strip():
        return page
    try:
        doc = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError):
        return page
    base = url
    for b in doc.iter("base"):
        if b.get("href"):
            base = urljoin(url, b.get("href"))
            break
    t = doc.find(".//title")
    page.title = re.sub(r"\s+", " ", t.text_content()).strip() if t is not None else ""
    for m in doc.iter("meta"):
        if (m.get("name") or "").lower() == "columnname":
            page.column = (m.get("content") or "").strip()
    page.scripts = "\n".join((s.text or "") for s in doc.iter("script") if not s.get("src"))
    seen: set[str] = set()
    for a in doc.iter("a", "area"):
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "mailto:", "tel:", "#")):
            continue
        absu = urldefrag(urljoin(base, href))[0]
        label = re.sub(r"\s+", " ", a.text_content() if a.tag == "a" else "").strip()
        label = label or (a.get("title") or "").strip()
        if a.get("title") and len(a.get("title")) > len(label):
            label = a.get("title").strip()  # lists cut long titles ("…"); the title attribute has it all
        key = absu + "|" + label
        if key in seen:
            continue
        seen.add(key)
        if max_links and len(page.links) >= max_links:
            page.links_dropped = True
            break
        row = _row_text(a)
        d = list_date(row, label)
        page.links.append(Link(absu, label, row, d.isoformat() if d else None))
    # embedded documents: frames and iframes are part of the page a person sees
    for f in doc.iter("iframe", "frame"):
        src = (f.get("src") or "").strip()
        if src and not src.startswith(("javascript:", "about:", "data:")):
            label = (f.get("title") or f.get("name") or "").strip()
            page.links.append(Link(urldefrag(urljoin(base, src))[0], label, "", None, "frame"))
    # what a person clicks that is not a plain link: onclick handlers and javascript: hrefs
    for el in doc.xpath("//*[@onclick] | //a[starts-with(normalize-space(@href), 'javascript:')]"):
        code = (el.get("onclick") or "") + " " + (el.get("href") or "")
        label = re.sub(r"\s+", " ", el.text_content()).strip() or (el.get("title") or "").strip()
        literals = url_literals(code) or call_targets(code, page.scripts)
        if not literals and label:
            page.unresolved.append(label[:40])  # a click whose target only the browser can tell
        for raw in literals:
            absu = urldefrag(urljoin(base, raw))[0]
            if absu + "|" + label not in seen:
                seen.add(absu + "|" + label)
                row = _row_text(el)
                d = list_date(row, label)
                page.links.append(Link(absu, label, row, d.isoformat() if d else None, "handler"))
    # a pager or tab wired by a script's listener (no href, no onclick): only its words say a person clicks it
    if page.scripts.strip() or page.script_srcs or doc.xpath("//script[@src]"):
        for el in doc.xpath("//body//*[not(*)][not(ancestor-or-self::a[@href])]"):
            if el.tag in ("script", "style", "option", "title"):
                continue
            label = re.sub(r"\s+", " ", el.text_content()).strip()
            if label and LISTENER_WORDS.match(label) and label not in page.unresolved:
                page.unresolved.append(label)
    # jump menus: <select> options whose values are pages
    for opt in doc.iter("option"):
        value = (opt.get("value") or "").strip()
        if value and url_literals(f"'{value}'"):
            label = re.sub(r"\s+", " ", opt.text_content()).strip()
            page.links.append(Link(urldefrag(urljoin(base, value))[0], label, "", None, "option"))
    page.frames = sum(1 for link in page.links if link.how == "frame")
    page.handlers = len(doc.xpath("//*[@onclick] | //a[starts-with(normalize-space(@href), 'javascript:')]"))
    page.forms = len(doc.xpath("//form | //select"))
    page.script_srcs = len(doc.xpath("//script[@src]"))
    body_el = doc.find(".//body")
    page.text_len = len((body_el.text_content() if body_el is not None else "").strip())
    return page
