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

from parsers.blocks import Block, Extracted, GridBlock
from parsers.grid import _hidden, _tag, cell_text, table_to_grid
from parsers.text import _blocks

__all__ = ["read_html"]

_SKIP = {"script", "style", "noscript", "template", "head", "iframe", "object", "svg", "select", "button", "xml"}
_BLOCK = {
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "td", "th", "table",
    "section", "article", "header", "footer", "nav", "aside", "blockquote", "pre", "center", "dd", "dt",
    "dl", "form", "hr", "main", "figure", "figcaption", "caption", "address", "tbody", "thead", "tfoot",
}  # fmt: skip
_WS = re.compile(r"[ \t\r\n\f\v]+")
_ENCODING_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)


_INVISIBLE = etree.XPath(
    "|".join(f"//{t}" for t in sorted(_SKIP) if t != "head") + "|//*[@hidden]|//*[contains(@style,'none')]"
)
_DATA_CELLS = etree.XPath("./tr/td|./tr/th|./*/tr/td|./*/tr/th")
_PARSER = etree.HTMLParser(remove_comments=True, remove_pis=True, no_network=True)


def _drop_invisible(root) -> None:
    """Remove scripts, styles and hidden elements (their tails stay)."""
    doomed = [el for el in _INVISIBLE(root) if el.tag != "head" and (el.tag in _SKIP or _hidden(el))]
    for el in doomed:
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
    if table.find(".//table") is not None:
        return False
    return len(_DATA_CELLS(table)) >= 2


class _Walker:
    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.lines: list[str] = []
        self.buf: list[str] = []

    def flush_line(self) -> None:
        text = _WS.sub(" ", "".join(self.buf)).strip(" ")
        self.buf = []
        if text:
            self.lines.append(text)

    def flush_text(self) -> None:
        self.flush_line()
        if self.lines:
            self.blocks.extend(_blocks(self.lines))
            self.lines = []

    def walk(self, el) -> None:
        for child in el:
            if not isinstance(child.tag, str):
                if child.tail:
                    self.buf.append(child.tail)
                continue
            tag = _tag(child)
            if tag in _SKIP or _hidden(child):
                pass
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
            elif tag in _BLOCK:
                self.flush_line()
                if child.text:
                    self.buf.append(child.text)
                self.walk(child)
                self.flush_line()
            else:
                if child.text:
                    self.buf.append(child.text)
                self.walk(child)
            if child.tail:
                self.buf.append(child.tail)


def read_html(text: str) -> Extracted:
    """Parse ``text`` (already decoded) into blocks, meta and title."""
    out = Extracted(read_by="html")
    text = _ENCODING_DECL.sub("", text)
    if not text.strip():
        return out
    try:
        root = etree.fromstring(text, _PARSER)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        root = None
    if root is None:
        out.notes.append("HTML could not be parsed")
        return out
    _drop_invisible(root)
    for meta in root.iter("meta"):
        name = meta.get("name") or meta.get("property") or meta.get("http-equiv")
        content = meta.get("content")
        if name and content is not None and name.lower() != "viewport":
            out.meta[name.strip()] = content.strip()
    title = root.find(".//title")
    if title is not None:
        t = cell_text(title)
        if t:
            out.title = t
    body = root.find(".//body")
    w = _Walker()
    w.walk(body if body is not None else root)
    w.flush_text()
    out.blocks = w.blocks
    # a page whose tables were not recognised still keeps its grid-like text
    if not any(isinstance(b, GridBlock) for b in out.blocks):
        out.notes.append("no data table in the HTML")
    return out
