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


@dataclass
class Page:
    url: str
    title: str = ""
    column: str = ""  # ColumnName meta (政府网站 meta set) or empty
    links: list[Link] = field(default_factory=list)
    scripts: str = ""
    text_len: int = 0
    links_dropped: bool = False  # more links than ``max_links``: the rest were not read


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
    body_el = doc.find(".//body")
    page.text_len = len((body_el.text_content() if body_el is not None else "").strip())
    return page
