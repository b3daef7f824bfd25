"""An HTML ``<table>`` laid out as a rectangular grid, rowspan and colspan honoured.

A merged cell is repeated in every position it covers (``span_origin`` False on the copies),
so a reader can look a cell up by (row, column) as the printed table shows it.
"""

from __future__ import annotations

import re

from lxml import etree

from nianbao.parsers.blocks import GridBlock, GridCell

__all__ = ["MAX_GRID_CELLS", "GridTooLarge", "cell_text", "own_rows", "table_to_grid"]

_BLOCKISH = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table"}
_WS = re.compile(r"[ \t\r\n\f\v]+")
_MAX_SPAN = 200
# a real annual-report table has a few hundred cells (the largest seen: ~3,000); a table whose
# spans would lay out more positions than this is a span bomb (15 KB of HTML -> 2 GB of grid)
MAX_GRID_CELLS = 200_000


class GridTooLarge(ValueError):
    """A table whose rowspan/colspan would lay out more than ``MAX_GRID_CELLS`` positions."""


_TAGS: dict[str, str] = {}


def _tag(el) -> str:
    t = el.tag
    if not isinstance(t, str):
        return ""
    name = _TAGS.get(t)
    if name is None:
        name = _TAGS[t] = t.rsplit("}", 1)[-1].split(":")[-1].lower()
    return name


def _hidden(el) -> bool:
    style = el.get("style")
    if style and "none" in style and "display:none" in style.replace(" ", "").lower():
        return True
    return el.get("hidden") is not None


_WS_CHARS = " \t\r\n\f\v"
_ANY_WS = re.compile(r"\s")


def cell_text(el) -> str:
    """Visible text of a cell: ``<br>``/``<p>`` pieces of a label joined, ``&nbsp;`` kept as
    U+00A0 (a blank), Word's ``<o:p>`` and comments ignored."""
    # scripts, styles and hidden elements are removed from the whole page before this runs
    if len(el) == 0:
        text = el.text or ""
    else:  # the serializer is the fastest way to all descendant text
        text = etree.tostring(el, method="text", encoding="unicode", with_tail=False)
    t = text.strip(_WS_CHARS)
    if _ANY_WS.search(t) is None:  # most cells: a number or a label without inner spaces
        return t
    # a line break inside a label is layout, not a space ("本年新<br>制作数量")
    return _join_cjk_spaces(_WS.sub(" ", t))


_CJK_SPACE = re.compile(r"(?<=[\u4e00-\u9fff（）()、“”])\s+(?=[\u4e00-\u9fff（）()、“”])")


def _join_cjk_spaces(text: str) -> str:
    return _CJK_SPACE.sub("", text)


def own_rows(table) -> list:
    """The ``<tr>`` elements of this table, not of tables nested in it."""
    rows = []
    for child in table:
        tag = _tag(child)
        if tag == "tr":
            rows.append(child)
        elif tag in ("thead", "tbody", "tfoot"):
            rows.extend(c for c in child if _tag(c) == "tr")
    return rows


def _span_value(raw: str | None) -> int:
    """A rowspan/colspan attribute as a count (absent or unreadable: 1, at most ``_MAX_SPAN``)."""
    if raw is None or raw == "1":
        return 1
    if not raw.isdigit():
        raw = re.sub(r"[^0-9]", "", raw) or "1"
    return max(1, min(int(raw), _MAX_SPAN))


def _too_large(n: int, limit: int) -> GridTooLarge:
    return GridTooLarge(f"HTML table too large: its rowspan/colspan lay out over {n:,} cells "
                        f"(limit {limit}); not read")


def table_to_grid(table, *, max_cells: int = MAX_GRID_CELLS) -> GridBlock:
    """Lay ``table`` (an lxml element) out as a grid; raises :class:`GridTooLarge` past ``max_cells``."""
    grid: list[list[GridCell | None]] = []
    laid = 0  # positions allocated so far (every list slot counts, filled or not)
    for r, tr in enumerate(own_rows(table)):
        if r == len(grid):
            grid.append([])
        row = grid[r]
        c = 0
        for td in tr:
            tag = td.tag
            if tag != "td" and tag != "th" and _tag(td) not in ("td", "th"):
                continue
            n = len(row)
            while c < n and row[c] is not None:
                c += 1
            rs_raw, cs_raw = td.get("rowspan"), td.get("colspan")  # most cells have neither
            rs = 1 if rs_raw is None else _span_value(rs_raw)
            cs = 1 if cs_raw is None else _span_value(cs_raw)
            text = cell_text(td)
            if rs == 1 and cs == 1:
                laid += 1 + max(0, c - n)
                if laid > max_cells:
                    raise _too_large(laid, max_cells)
                if c == n:
                    row.append(GridCell(text))
                else:
                    if c > n:
                        row.extend([None] * (c - n))
                    row[c] = GridCell(text)
                c += 1
                continue
            laid += rs * (cs + max(0, c - n))
            if laid > max_cells:
                raise _too_large(laid, max_cells)
            while len(grid) < r + rs:
                grid.append([])
            for dr in range(rs):
                target = grid[r + dr]
                if len(target) < c + cs:
                    target.extend([None] * (c + cs - len(target)))
                for dc in range(cs):
                    target[c + dc] = GridCell(text, span_origin=(dr == 0 and dc == 0))
            c += cs
    width = max((len(row) for row in grid), default=0)
    if width * len(grid) > max_cells:  # padding every row to the widest one
        raise _too_large(width * len(grid), max_cells)
    rows = []
    for row in grid:
        # drop rows that are entirely empty and never started a cell (trailing rowspans)
        if not any(cell is not None and (cell.span_origin or cell.text.strip()) for cell in row):
            continue
        rows.append([cell or GridCell("", span_origin=False) for cell in row])
        if len(row) < width:
            rows[-1].extend(GridCell("", span_origin=False) for _ in range(width - len(row)))
    return GridBlock(rows)
