"""Mark a flagged table cell in the stored HTML original (server-side: no script of the page runs).

The parser does not keep where in the page a cell came from, so the cell is found again by its
context: the report's stored cells of that table, in the layout's order (rows, then columns), are a
sequence of printed values; the page's data tables give another (the value-like cells of rows that
hold a number, in document order).  The flagged cell is placed where the whole stored table
matches the page's cells exactly (when it matches in several places, a page table made of
exactly those cells wins); failing that, a window of it around the cell (up to
:data:`WINDOW` cells each side); failing that, the flagged row's own values alone; at each step
only when exactly one place matches.  A row of zeros printed many times is therefore not marked
at all: no mark is better than a wrong one.

The page is re-serialised by lxml with the cell's ``<td>`` given ``id="nianbao-mark"`` and an
inline outline (the document CSP allows inline styles, never scripts).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Any

from lxml import etree

from nianbao.layouts import APPEAL_GROUPS, APPEAL_KEYS, APPLICATION_COLUMNS, APPLICATION_ROWS, DISCLOSURE_ROWS
from nianbao.parsers.grid import _hidden, _tag, cell_text, own_rows

MARK_ID = "nianbao-mark"
MARK_STYLE = "background:#ffe08a !important;outline:3px solid #e0a800;outline-offset:-2px"
WINDOW = 12
_BLANKS = {"", "-", "--", "—", "——", "－", "/", "／", "无", "空"}
_NUMBER = re.compile(r"[-+]?\d+(\.\d+)?%?")
_DROP = re.compile(r"[\s,，\u00a0\u3000]+")
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
_PARSER = etree.HTMLParser(remove_comments=True, remove_pis=True, no_network=True)


def norm(text: str | None) -> str:
    """A printed value compared across the stored cell and the page: NFKC, no spaces or
    thousands separators, every blank marker as ''."""
    t = _DROP.sub("", unicodedata.normalize("NFKC", text or ""))
    return "" if t in _BLANKS else t


def _value_like(text: str) -> bool:
    return text == "" or _NUMBER.fullmatch(text) is not None


def table_order(tbl: str, layout: str | None) -> list[tuple[str, str]]:
    """(row, col) keys of a stored table in the order the official layout prints them."""
    layout = layout or "2021"
    if tbl == "applications":
        rows = APPLICATION_ROWS.get(layout, APPLICATION_ROWS["2021"])
        return [(r, c) for r in rows for c in APPLICATION_COLUMNS]
    if tbl == "appeals":
        return [(g, k) for g in APPEAL_GROUPS for k in APPEAL_KEYS]
    rows = DISCLOSURE_ROWS.get(layout, DISCLOSURE_ROWS["2021"])
    return [(r, c) for r, (_, cols) in rows.items() for c in cols]


def stored_sequence(cells: Sequence[dict[str, Any]], tbl: str, layout: str | None) -> list[tuple[str, str | None]]:
    """(key, printed value) of the report's cells of ``tbl`` in layout order; an unreadable cell's
    value is None (it matches any page cell)."""
    have = {(c["row_key"], c["col_key"]): c for c in cells if c["tbl"] == tbl}
    out = []
    for r, c in table_order(tbl, layout):
        cell = have.get((r, c))
        if cell is None:
            continue
        value = None if cell["status"] == "unreadable" else ("" if cell["status"] == "blank" else cell["raw"])
        out.append((f"{tbl}.{r}.{c}", None if value is None else norm(value)))
    return out


def page_runs(root) -> list[list[tuple[Any, str]]]:
    """Per innermost data table of the page: its value-like cells (element, value) in document order,
    from rows that hold at least one number (header rows give none)."""
    runs = []
    for table in root.iter("table"):
        if _hidden(table) or any(True for _ in table.iterdescendants("table")):
            continue
        run: list[tuple[Any, str]] = []
        for tr in own_rows(table):
            if _hidden(tr):
                continue
            cells = [(td, norm(cell_text(td))) for td in tr if _tag(td) in ("td", "th") and not _hidden(td)]
            if any(v and _value_like(v) for _, v in cells):
                run.extend((td, v) for td, v in cells if _value_like(v))
        if run:
            runs.append(run)
    return runs


def _places(runs: list[list[tuple[Any, str]]], wanted: list[str | None]) -> list[tuple[int, int]]:
    n = len(wanted)
    found = []
    for i, run in enumerate(runs):
        for p in range(len(run) - n + 1):
            if all(w is None or run[p + j][1] == w for j, w in enumerate(wanted)):
                found.append((i, p))
    return found


def locate(runs: list[list[tuple[Any, str]]], sequence: list[tuple[str, str | None]], key: str):
    """The page element of stored cell ``key``, or None when it cannot be placed unambiguously."""
    keys = [k for k, _ in sequence]
    if key not in keys:
        return None
    k = keys.index(key)
    values = [v for _, v in sequence]
    a, b = max(0, k - WINDOW), min(len(values), k + WINDOW + 1)
    row_prefix = key.rsplit(".", 1)[0] + "."
    row = [i for i, kk in enumerate(keys) if kk.startswith(row_prefix)]
    # the whole table, then a window around the cell, then its row: the first that matches at
    # all decides (a smaller window matches at least wherever a larger one does)
    for lo, hi in ((0, len(values)), (a, b), (row[0], row[-1] + 1)):
        window = values[lo:hi]
        if sum(1 for v in window if v) < 2:  # blanks and wildcards alone place nothing
            continue
        found = _places(runs, window)
        if len(found) > 1 and (lo, hi) == (0, len(values)):
            # the whole table printed again inside a bigger one (15 zeros of the appeals table among
            # the applications' zeros): a page table made of exactly these cells is the one
            found = [(i, p) for i, p in found if p == 0 and len(runs[i]) == len(window)] or found
        if len(found) == 1:
            i, p = found[0]
            return runs[i][p + k - lo][0]
        if len(found) > 1:
            return None  # the same values print in several places: no guess
    return None


def _root(html: str):
    try:
        return etree.fromstring(_XML_DECL.sub("", html, count=1), _PARSER)
    except (etree.ParserError, ValueError):
        return None


def placeable(html: str, cells: Sequence[dict[str, Any]], keys_by_finding: dict[Any, Sequence[str]],
              layout: str | None) -> set:
    """The findings (keys of ``keys_by_finding``) at least one of whose cells can be marked."""
    root = _root(html) if keys_by_finding else None
    if root is None:
        return set()
    runs = page_runs(root)
    sequences: dict[str, list] = {}
    out = set()
    for fid, keys in keys_by_finding.items():
        for key in keys:
            tbl = key.split(".", 1)[0]
            if tbl not in sequences:
                sequences[tbl] = stored_sequence(cells, tbl, layout)
            if locate(runs, sequences[tbl], key) is not None:
                out.add(fid)
                break
    return out


def mark_cells(html: str, cells: Sequence[dict[str, Any]], keys: Sequence[str], layout: str | None) -> str | None:
    """``html`` with the page cells of the stored cells ``keys`` (``tbl.row.col``) outlined, the
    first in document order carrying ``id="nianbao-mark"``; None when none could be placed."""
    root = _root(html)
    if root is None:
        return None
    runs = page_runs(root)
    found = []
    for key in dict.fromkeys(keys):
        tbl = key.split(".", 1)[0]
        el = locate(runs, stored_sequence(cells, tbl, layout), key)
        if el is not None:
            found.append(el)
    if not found:
        return None
    order = {el: i for i, el in enumerate(root.iter())}
    found.sort(key=lambda el: order.get(el, 0))
    for n, el in enumerate(found):
        el.set("style", ((el.get("style") or "").rstrip("; ") + ";" + MARK_STYLE).lstrip(";"))
        el.set("class", ((el.get("class") or "") + " nianbao-mark").strip())
        if n == 0:
            el.set("id", MARK_ID)
    return "<!DOCTYPE html>\n" + etree.tostring(root, method="html", encoding="unicode")
