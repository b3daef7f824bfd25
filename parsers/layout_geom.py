"""Geometry shared by the PDF and OCR readers: positioned text into lines, paragraphs and grids.

Pure functions over plain tuples; no file formats here.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from nianbao.parsers.blocks import GridBlock, GridCell

# Kangxi radicals, CJK radicals supplement and compatibility ideographs look like ordinary
# characters (⽂ for 文) but are not: some PDF producers emit them. NFKC maps them back.
_LOOKALIKE = re.compile("[\u2e80-\u2eff\u2f00-\u2fdf\uf900-\ufaff]")
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef“”‘’、。，；：？！（）《》【】]")


def fix_lookalikes(text: str) -> str:
    """Map CJK radical look-alikes (⽂) to the ideographs they stand for (文)."""
    if not _LOOKALIKE.search(text):
        return text
    return _LOOKALIKE.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)


def is_cjk(ch: str) -> bool:
    return bool(ch) and bool(_CJK.match(ch))


def join_cjk(left: str, right: str) -> str:
    """Join two pieces of wrapped text: no space across CJK, one space between Latin/digits."""
    left, right = left.rstrip(), right.lstrip()
    if not left or not right:
        return left + right
    if is_cjk(left[-1]) or is_cjk(right[0]):
        return left + right
    return left + " " + right


@dataclass
class Glyph:
    """One positioned piece of text (a PDF char or an OCR box) in page coordinates (y down)."""

    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    confidence: float | None = None

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.top + self.bottom) / 2

    @property
    def height(self) -> float:
        return max(self.bottom - self.top, 0.1)


@dataclass
class Line:
    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    size: float
    confidence: float | None = None


def group_lines(glyphs: Iterable[Glyph], *, space_ratio: float = 0.45) -> list[Line]:
    """Cluster glyphs into lines by vertical overlap, each line read left to right."""
    items = sorted(glyphs, key=lambda g: (g.cy, g.x0))
    rows: list[list[Glyph]] = []
    for g in items:
        if rows:
            last = rows[-1]
            top = min(x.top for x in last)
            bottom = max(x.bottom for x in last)
            overlap = min(bottom, g.bottom) - max(top, g.top)
            if overlap > 0.5 * min(g.height, bottom - top):
                last.append(g)
                continue
        rows.append([g])
    lines = []
    for row in rows:
        row.sort(key=lambda g: g.x0)
        size = sorted(g.height for g in row)[len(row) // 2]
        text = ""
        prev: Glyph | None = None
        for g in row:
            if prev is not None and g.text.strip():
                gap = g.x0 - prev.x1
                if gap > space_ratio * size and not (is_cjk(prev.text[-1:]) and is_cjk(g.text[:1])):
                    text = text.rstrip() + " "
            text += g.text
            prev = g
        confs = [g.confidence for g in row if g.confidence is not None]
        lines.append(
            Line(
                text=re.sub(r"\s+", " ", text).strip(),
                x0=row[0].x0,
                top=min(g.top for g in row),
                x1=max(g.x1 for g in row),
                bottom=max(g.bottom for g in row),
                size=size,
                confidence=min(confs) if confs else None,
            )
        )
    return [ln for ln in lines if ln.text]


HEADING = re.compile(r"^\s*(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)]|\d+[.、．])")
TOP_HEADING = re.compile(r"^[一二三四五六七八九十]+、")


def paragraph_lines(lines: Sequence[Line], left: float, right: float) -> list[list[Line]]:
    """Group wrapped lines into paragraphs: a paragraph starts at an indent, after a short
    line, after a vertical gap or at a numbered heading (a heading line is never joined to
    the line after it)."""
    out: list[list[Line]] = []
    prev: Line | None = None
    for ln in lines:
        new = prev is None
        if prev is not None:
            gap = ln.top - prev.bottom
            indent = ln.x0 > left + 1.2 * ln.size
            short = right - prev.x1 > lead_width(ln.text, ln.size) + 0.5 * ln.size
            new = indent or short or gap > 1.3 * max(ln.size, prev.size) or bool(HEADING.match(ln.text))
            new = new or is_heading_line(prev.text)
        if new:
            out.append([ln])
        else:
            out[-1].append(ln)
        prev = ln
    return out


_LATIN_RUN = re.compile(r"[A-Za-z0-9.,%:/+\-]+")
_NO_LINE_START = "，。、；：？！）》」』”’,.;:?!)%"
_NO_LINE_END = "（《「『“‘【(["


def lead_width(text: str, size: float) -> float:
    """Rough width of what a line starts with that could not have been broken off (a number or
    Latin word, a character with the punctuation that may not start a line, an opening
    bracket with the character after it): if that fitted at the end of the line above, the
    line above ended its paragraph."""
    m = _LATIN_RUN.match(text)
    if m:
        return 0.55 * size * len(m.group())
    n = 1
    if text[:1] in _NO_LINE_END:
        n += 1
    if len(text) > n and text[n] in _NO_LINE_START:
        n += 1
    return n * size


def is_heading_line(text: str) -> bool:
    """A whole line that is a section heading (一、总体情况), not a paragraph that starts with one."""
    t = text.strip()
    return bool(TOP_HEADING.match(t)) and len(t) <= 40 and not re.search(r"[。；;！？!?，,]", t)


def line_is_full(ln: Line, right: float) -> bool:
    """The line runs to the right margin (the paragraph may go on below it)."""
    return ln.x1 >= right - 2.0 * ln.size


def starts_indented(ln: Line, left: float) -> bool:
    return ln.x0 > left + 1.2 * ln.size


def join_lines(lines: Sequence[Line]) -> str:
    text = ""
    for ln in lines:
        text = join_cjk(text, ln.text) if text else ln.text
    return text


def paragraphs(lines: Sequence[Line], left: float, right: float) -> list[tuple[str, float]]:
    """Merge wrapped lines into paragraphs (see :func:`paragraph_lines`): ``(text, top)`` pairs."""
    return [(join_lines(p), p[0].top) for p in paragraph_lines(lines, left, right)]


def cell_text(glyphs: Sequence[Glyph]) -> str:
    """Text of one table cell: its lines joined without breaking CJK words."""
    text = ""
    for ln in group_lines(glyphs):
        text = join_cjk(text, ln.text) if text else ln.text
    return text


def _cluster(values: Iterable[float], tol: float) -> list[float]:
    out: list[float] = []
    for v in sorted(values):
        if out and v - out[-1] <= tol:
            continue
        out.append(v)
    return out


def _index(coords: list[float], v: float, tol: float) -> int:
    best = min(range(len(coords)), key=lambda i: abs(coords[i] - v))
    return best if abs(coords[best] - v) <= tol * 3 else best


Box = tuple[float, float, float, float]


def grid_from_cells(
    cells: Sequence[Box],
    glyphs: Sequence[Glyph],
    *,
    tol: float = 2.0,
    page: int | None = None,
    origins: dict[int, list[GridCell]] | None = None,
) -> GridBlock | None:
    """Lay out cell boxes (merged ones included) as a rectangular grid and fill in their text.

    A merged cell is repeated in every grid position it covers (copies have
    ``span_origin=False``); a cell's confidence is the lowest of its glyphs (OCR).
    ``origins``, if given, receives for each cell box index the grid cells it became.
    """
    if not cells:
        return None
    xs = _cluster([c[0] for c in cells] + [c[2] for c in cells], tol)
    ys = _cluster([c[1] for c in cells] + [c[3] for c in cells], tol)
    if len(xs) < 2 or len(ys) < 2:
        return None
    ncols, nrows = len(xs) - 1, len(ys) - 1
    grid: list[list[GridCell | None]] = [[None] * ncols for _ in range(nrows)]
    owner: list[list[Glyph]] = [[] for _ in cells]
    for g in glyphs:
        for i, (x0, top, x1, bottom) in enumerate(cells):
            if x0 - 0.5 <= g.cx <= x1 + 0.5 and top - 0.5 <= g.cy <= bottom + 0.5:
                owner[i].append(g)
                break
    for i, (x0, top, x1, bottom) in enumerate(cells):
        c0, c1 = _index(xs, x0, tol), _index(xs, x1, tol)
        r0, r1 = _index(ys, top, tol), _index(ys, bottom, tol)
        if c1 <= c0 or r1 <= r0:
            continue
        confs = [g.confidence for g in owner[i] if g.confidence is not None]
        text = cell_text(owner[i])
        conf = min(confs) if confs else None
        for r in range(r0, r1):
            for c in range(c0, c1):
                if grid[r][c] is None:
                    grid[r][c] = GridCell(text, conf, span_origin=(r == r0 and c == c0))
                    if origins is not None:
                        origins.setdefault(i, []).append(grid[r][c])
    rows = [[cell if cell is not None else GridCell("") for cell in row] for row in grid]
    # Columns narrower than a sliver come from double rulings; drop them when empty everywhere.
    keep = [c for c in range(ncols) if xs[c + 1] - xs[c] > 3 * tol or any(r[c].text for r in rows)]
    rows = [[r[c] for c in keep] for r in rows]
    rows = [r for i, r in enumerate(rows) if ys[i + 1] - ys[i] > 2 * tol or any(c.text for c in r)]
    grid = GridBlock(rows=rows, page=page)
    grid.col_spans = [(xs[c], xs[c + 1]) for c in keep]  # type: ignore[attr-defined]
    return grid


def align_continued(blocks: Sequence, tol: float = 4.0) -> None:
    """Give the parts of a table cut by page breaks the same columns.

    A part only shows the column rules of its own rows (a page holding just 行政许可 | 11493
    has two columns where the table has four).  Consecutive grid blocks with the same left and
    right edge are parts of one table: each is re-gridded on the union of their column rules,
    a wide cell repeated over the columns it covers.  Grids need ``col_spans`` (set by
    :func:`grid_from_cells`); others are left alone.
    """
    chains: list[list[GridBlock]] = []
    prev = None
    for b in blocks:
        spans = getattr(b, "col_spans", None)
        if not isinstance(b, GridBlock) or not spans or not b.rows:
            prev = None if not isinstance(b, GridBlock) else prev
            continue
        pspans = getattr(prev, "col_spans", None) if prev is not None else None
        if pspans and abs(pspans[0][0] - spans[0][0]) <= tol and abs(pspans[-1][1] - spans[-1][1]) <= tol:
            chains[-1].append(b)
        else:
            chains.append([b])
        prev = b
    for chain in chains:
        if len(chain) < 2:
            continue
        union = _cluster([x for g in chain for span in g.col_spans for x in span], tol)
        for g in chain:
            cover = [[k for k in range(len(union) - 1) if a - tol <= union[k] and union[k + 1] <= b + tol]
                     for a, b in g.col_spans]
            if sum(len(c) for c in cover) == len(g.col_spans):
                continue
            rows = []
            for row in g.rows:
                new = []
                for cell, ks in zip(row, cover, strict=True):
                    new.append(cell)
                    new.extend(GridCell(cell.text, cell.confidence, span_origin=False) for _ in ks[1:])
                rows.append(new)
            g.rows = rows
            g.col_spans = [(union[k], union[k + 1]) for ks in cover for k in ks]
        for above, below in zip(chain, chain[1:], strict=False):
            _continue_merged(above, below)


def _continue_merged(above: GridBlock, below: GridBlock) -> None:
    """An empty merged cell at the top of a continued part carries on the label above it
    (the vertical 三、本年度办理结果 cut by the page break; the group label （六）其他处理 of
    which one row went over)."""
    if not above.rows or not below.rows or len(above.rows[-1]) != len(below.rows[0]):
        return
    top = below.rows[0]
    for c, cell in enumerate(top):
        label = above.rows[-1][c].text
        conf = above.rows[-1][c].confidence
        if cell.text or not label or any(ch.isdigit() for ch in label[:1]):
            continue
        # a label column with a row label to its right: a group label cut by the break
        inner = c + 1 < len(top) and bool(top[c + 1].text) and not _is_number(top[c + 1].text)
        spans_down = len(below.rows) >= 2 and not below.rows[1][c].span_origin
        if not (spans_down or (inner and _is_number_row(below.rows[0][c + 1:]))):
            continue
        for row in below.rows:
            if row[c].text or (row is not top and row[c].span_origin):
                break
            row[c].text, row[c].confidence = label, conf


def _is_number(text: str) -> bool:
    return bool(re.fullmatch(r"\s*-?\d+(?:\.\d+)?\s*", text))


def _is_number_row(cells: Sequence[GridCell]) -> bool:
    """Cells of a data row: after the labels, numbers only (at least one)."""
    values = [c.text for c in cells if c.text.strip()]
    k = next((i for i, t in enumerate(values) if _is_number(t)), None)
    return k is not None and all(_is_number(t) for t in values[k:])


def closing_edges(edges: Sequence[dict], tol: float = 3.0) -> list[dict]:
    """Horizontal rules a table split over pages lacks: where vertical rules start or stop
    with no horizontal rule there, draw one across them (the page cut the table).

    ``edges`` are pdfplumber-style dicts (``x0, x1, top, bottom, orientation``)."""
    verticals = [e for e in edges if e["orientation"] == "v" and e["bottom"] - e["top"] > 8]
    horizontals = [e for e in edges if e["orientation"] == "h"]
    out: list[dict] = []
    for end in ("top", "bottom"):
        for y in sorted({round(float(e[end]), 1) for e in verticals}):
            touching = [e for e in verticals if abs(float(e[end]) - y) <= tol]
            if len(touching) < 2:
                continue
            x0 = min(float(e["x0"]) for e in touching)
            x1 = max(float(e["x1"]) for e in touching)
            closed = any(
                abs(float(h["top"]) - y) <= tol and float(h["x0"]) <= x0 + tol and float(h["x1"]) >= x1 - tol
                for h in horizontals
            )
            if not closed and not any(abs(o["top"] - y) <= tol for o in out):
                out.append(hline(x0, x1, y))
    return out


def hline(x0: float, x1: float, y: float) -> dict:
    return {"x0": x0, "x1": x1, "top": y, "bottom": y, "width": x1 - x0, "height": 0,
            "object_type": "line", "orientation": "h"}


def vline(x: float, top: float, bottom: float) -> dict:
    return {"x0": x, "x1": x, "top": top, "bottom": bottom, "width": 0, "height": bottom - top,
            "object_type": "line", "orientation": "v"}


def drop_redundant(grid: GridBlock) -> GridBlock:
    """Remove grid columns (rows) that hold nothing but copies of the merged cell to their left
    (above): extra grid lines a word processor keeps after editing, which no reader of the
    printed table can see."""
    rows = grid.rows
    if not rows:
        return grid
    width = len(rows[0])
    keep = [c for c in range(width) if c == 0 or any(r[c].span_origin for r in rows)]
    rows = [[r[c] for c in keep] for r in rows]
    rows = [r for i, r in enumerate(rows) if i == 0 or any(c.span_origin for c in r)]
    grid.rows = rows
    return grid


_NUMBER = re.compile(r"^[-+]?\d[\d,，]*(?:\.\d+)?$")  # a cell holding a number alone

# A page number line (第3页, 3/10, - 3 -): running text of a page, not of the report.
PAGE_NUMBER = re.compile(
    r"^[\s\-—–－~·.]*(?:第\s*\d+\s*页(?:\s*[,，/]?\s*共\s*\d+\s*页)?|\d+\s*/\s*\d+|\d{1,4}|[-—–－]\s*\d+\s*[-—–－])[\s\-—–－~·.]*$"
)


def is_real_table(grid: GridBlock) -> bool:
    """A boxed paragraph (one column, long text) is not a table; a short one-cell row (the
    part of a table a page break cut off, e.g. 第二十条第（一）项) is kept, and so is a row
    of numbers alone, however alike (the fifteen zeros of section 4 pushed to the next page)."""
    width = max((len(r) for r in grid.rows), default=0)
    if width >= 2:
        texts = [c.text.strip() for r in grid.rows for c in r if c.text.strip()]
        return len(set(texts)) >= 2 or (len(texts) >= 2 and all(_NUMBER.match(t) for t in texts))
    return 1 <= len(grid.rows) <= 3 and all(0 < len(r[0].text) <= 30 for r in grid.rows)
