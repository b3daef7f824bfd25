"""HTML pages (portal articles, Word-exported markup, bare fragments) into reader blocks.

Data tables (innermost ``<table>``s with more than one cell) become grids; layout tables
(those holding other tables, or a single cell) are read through as text.  Text between
tables goes through the plain-text reader, so tables flattened into ``<p>`` lines or glued
digits are recognised the same way as in text files.  ``<meta>`` and ``<title>`` go to
:attr:`Extracted.meta` / :attr:`Extracted.title`.
"""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

from parsers.blocks import Block, Extracted, GridBlock
from parsers.grid import _hidden, _tag, cell_text, own_rows, table_to_grid
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


def _is_data_table(table) -> bool:
    if any(_tag(d) == "table" for d in table.iterdescendants()):
        return False
    cells = [td for tr in own_rows(table) for td in tr if _tag(td) in ("td", "th")]
    return len(cells) >= 2


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
        elif "".join(self.buf).strip(" \t\r\n") == "" and self.lines and False:
            pass

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
                self.lines.extend(ln for ln in child.text_content().split("\n") if ln.strip(" \t\r"))
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
        root = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError):
        try:
            root = lxml.html.fragment_fromstring(text, create_parent="div")
        except (etree.ParserError, ValueError):
            out.notes.append("HTML could not be parsed")
            return out
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
