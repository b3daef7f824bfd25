"""HTML pages (portal articles, Word-exported markup, bare fragments) into reader blocks.

Data tables (innermost ``<table>``s with more than one cell) become grids; layout tables
(those holding other tables, or a single cell) are read through as text.  Text between
tables goes through the plain-text reader, so tables flattened into ``<p>`` lines or glued
digits are recognised the same way as in text files.  ``<meta>`` and ``<title>`` go to
:attr:`Extracted.meta` / :attr:`Extracted.title`.
"""

from __future__ import annotations

import re

from lxml import etree

from nianbao.parsers.blocks import Block, Extracted, GridBlock
from nianbao.parsers.grid import _TAGS, _hidden, _tag, cell_text, table_to_grid
from nianbao.parsers.text import _blocks

__all__ = ["read_html"]

_SKIP = {"script", "style", "noscript", "template", "head", "iframe", "object", "svg", "select", "button", "xml"}
_BLOCK = {
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "td", "th", "table",
    "section", "article", "header", "footer", "nav", "aside", "blockquote", "pre", "center", "dd", "dt",
    "dl", "form", "hr", "main", "figure", "figcaption", "caption", "address", "tbody", "thead", "tfoot",
}  # fmt: skip
_WS = re.compile(r"[ \t\r\n\f\v]+")
_ENCODING_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)


_STRIPPED = tuple(sorted(_SKIP - {"head"}))
_HIDDEN_ATTR = etree.XPath("//*[@hidden]")
_HIDDEN_STYLE = etree.XPath("//*[contains(@style,'none')]")
_HIDDEN_BOTH = etree.XPath("//*[@hidden]|//*[contains(@style,'none')]")
_PARSER = etree.HTMLParser(remove_comments=True, remove_pis=True, no_network=True)
_UTF8_PARSER = etree.HTMLParser(remove_comments=True, remove_pis=True, no_network=True, encoding="utf-8")


def _may_hide(text: str) -> tuple[bool, bool]:
    """(a ``display:none`` style, a ``hidden`` attribute) may be in the page; exact for the
    first as :func:`nianbao.parsers.grid._hidden` reads styles ("border:none" is not hiding)."""
    display = False
    i = text.find("none")
    while i != -1:
        if text[max(0, i - 200) : i].replace(" ", "").lower().endswith("display:"):
            display = True
            break
        i = text.find("none", i + 4)
    # one scan finds neither spelling on most pages ("idden" is in "hidden" and "Hidden")
    attr = ("idden" in text or "IDDEN" in text) and any(m in text for m in ("hidden", "HIDDEN", "Hidden"))
    return display, attr


def _drop_invisible(root, text: str) -> None:
    """Remove scripts, styles and hidden elements (their tails stay)."""
    etree.strip_elements(root, *_STRIPPED, with_tail=False)
    # the hidden-element search walks the whole tree: only when the page can have one
    display, attr = _may_hide(text)
    if not (display or attr):
        return
    search = _HIDDEN_BOTH if display and attr else _HIDDEN_STYLE if display else _HIDDEN_ATTR
    for el in [el for el in search(root) if _hidden(el)]:
        parent = el.getparent()
        if parent is None:
            continue
        if el.tail:
            prev = el.getprevious()
            if prev is not None:
                prev.tail = (prev.tail or "") + el.tail
            else:
                parent.text = (parent.text or "") + el.tail
        parent.remove(el)


def _is_data_table(table) -> bool:
    """A table holding no other table and at least two cells of its own rows."""
    for _ in table.iterdescendants("table"):
        return False
    cells = 0
    for child in table:
        rows = (child,) if child.tag == "tr" else child
        for tr in rows:
            if tr.tag == "tr":
                for td in tr:
                    if td.tag == "td" or td.tag == "th":
                        cells += 1
                        if cells >= 2:
                            return True
    return False


class _Walker:
    """Depth-first walk of the visible tree: lines of text between data tables, grids for them.

    Invisible elements are gone before the walk (:func:`_drop_invisible`)."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.lines: list[str] = []
        self.buf: list[str] = []

    def flush_line(self) -> None:
        buf = self.buf
        if not buf:
            return
        text = _WS.sub(" ", "".join(buf)).strip(" ")
        buf.clear()
        if text:
            self.lines.append(text)

    def flush_text(self) -> None:
        self.flush_line()
        if self.lines:
            self.blocks.extend(_blocks(self.lines))
            self.lines = []

    def walk(self, el) -> None:
        buf = self.buf
        for child in el:
            tag = child.tag
            if not isinstance(tag, str):
                if child.tail:
                    buf.append(child.tail)
                continue
            tag = _TAGS.get(tag) or _tag(child)
            if tag in _SKIP:
                pass
            elif tag not in _BLOCK:  # inline: its text joins the current line
                if child.text:
                    buf.append(child.text)
                if len(child):
                    self.walk(child)
            elif tag == "table" and _is_data_table(child):
                self.flush_text()
                grid = table_to_grid(child)
                if grid.rows:
                    self.blocks.append(grid)
            elif tag == "br":
                self.flush_line()
            elif tag == "pre":
                self.flush_line()
                self.lines.extend(ln for ln in "".join(child.itertext()).split("\n") if ln.strip(" \t\r"))
            else:
                self.flush_line()
                if child.text:
                    buf.append(child.text)
                if len(child):
                    self.walk(child)
                self.flush_line()
            if child.tail:
                buf.append(child.tail)


def read_html(text: str, *, data: bytes | None = None) -> Extracted:
    """Parse ``text`` (already decoded) into blocks, meta and title.

    ``data``: the same page as UTF-8 bytes, when it was UTF-8 (lxml parses bytes faster).
    """
    out = Extracted(read_by="html")
    if not text.strip():
        return out
    try:
        if data is not None:
            root = etree.fromstring(data, _UTF8_PARSER)
        else:
            root = etree.fromstring(_ENCODING_DECL.sub("", text), _PARSER)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        root = None
    if root is None:
        out.notes.append("HTML could not be parsed")
        return out
    _drop_invisible(root, text)
    for meta in root.iter("meta"):
        name = meta.get("name") or meta.get("property") or meta.get("http-equiv")
        content = meta.get("content")
        if name and content is not None and name.lower() != "viewport":
            out.meta[name.strip()] = content.strip()
    # TRS/信息公开 platforms mark the publication date up as <publishtime>…</publishtime>
    stamp = next(root.iter("publishtime"), None)
    if stamp is not None and cell_text(stamp):
        out.meta.setdefault("publishtime", cell_text(stamp)[:40])
    title = next(root.iter("title"), None)
    if title is not None:
        t = cell_text(title)
        if t:
            out.title = t
    body = next(root.iter("body"), None)
    w = _Walker()
    w.walk(body if body is not None else root)
    w.flush_text()
    out.blocks = w.blocks
    # a page whose tables were not recognised still keeps its grid-like text
    if not any(isinstance(b, GridBlock) for b in out.blocks):
        out.notes.append("no data table in the HTML")
    return out
