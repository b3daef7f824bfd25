"""PDF with a text layer into blocks (pdfplumber); pages without one go to OCR.

Ruled tables come from pdfplumber's table finder (lines strategy) on the page with its
invisible rectangles removed (some editors put a white box behind every text line); merged
cells are repeated; a table split over pages (same column rules at the foot of one page and
the top of the next) comes out as one grid block, its repeated header rows dropped and a row
the break cut in two joined.  Running text outside the tables is merged into paragraphs; a
heading line (一、总体情况) is a block of its own, also at the foot of a page; page numbers
(-3-, — 3 —, 第3页), running headers and red rotated stamp text are dropped.  The file's
CreationDate stays in ``meta``: it is not a publication date.
"""

from __future__ import annotations

import io
import re
import zlib
from collections import Counter

from nianbao.parsers.attachments import UnreadableDocument
from nianbao.parsers.blocks import Block, Extracted, GridBlock, GridCell, TextBlock
from nianbao.parsers.layout_geom import (
    HEADING,
    Glyph,
    Line,
    align_continued,
    closing_edges,
    fix_lookalikes,
    grid_from_cells,
    group_lines,
    is_heading_line,
    join_cjk,
    join_lines,
    line_is_full,
    paragraph_lines,
    starts_indented,
)

MAX_PAGES = 200
MAX_STREAM_BYTES = 64 * 1024 * 1024  # one decompressed stream
MAX_TOTAL_BYTES = 512 * 1024 * 1024  # all decompressed streams together
MAX_CHARS_PER_PAGE = 60_000
MIN_TEXT_CHARS = 8  # fewer visible characters than this: the page is a scan
OCR_DPI = 170
SCAN_TOLERANCE = 8.0  # points: column rules of a table continued on the next scanned page

_TABLE_SETTINGS = {
    "vertical_strategy": "lines",
    "horizontal_strategy": "lines",
    "snap_tolerance": 3,
    "join_tolerance": 3,
    "intersection_tolerance": 3,
}

_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?$")
_ITEM = re.compile(r"^\s*(?:[（(]?[一二三四五六七八九十\d]+[）)、.．]|第)")
_PAGE_NUMBER = re.compile(
    r"^[\s\-—–－~·.]*(?:第\s*\d+\s*页(?:\s*[,，/]?\s*共\s*\d+\s*页)?|\d+\s*/\s*\d+|\d{1,4}|[-—–－]\s*\d+\s*[-—–－])[\s\-—–－~·.]*$"
)


def read_pdf(data: bytes, source: str, *, ocr: bool = True) -> Extracted:
    """Read a PDF's bytes; raises :class:`UnreadableDocument` when it cannot be opened."""
    import pdfplumber
    from pdfminer.pdfdocument import PDFPasswordIncorrect
    from pdfminer.pdfparser import PDFSyntaxError

    try:
        pdf = pdfplumber.open(io.BytesIO(data))
    except PDFPasswordIncorrect as e:
        raise UnreadableDocument(source, "encrypted PDF (needs a password)") from e
    except (PDFSyntaxError, Exception) as e:  # pdfminer raises many types on broken files
        inner = e.args[0] if e.args and isinstance(e.args[0], Exception) else e  # pdfplumber wraps them
        if isinstance(inner, PDFPasswordIncorrect) or "password" in str(inner).lower() or "Encrypt" in type(inner).__name__:
            raise UnreadableDocument(source, "encrypted PDF (needs a password)") from e
        raise UnreadableDocument(source, f"broken PDF ({type(inner).__name__}: {inner})"[:300]) from e
    with pdf:
        try:
            npages = len(pdf.pages)
        except Exception as e:
            raise UnreadableDocument(source, f"broken PDF, pages unreadable ({type(e).__name__})") from e
        if npages == 0:
            raise UnreadableDocument(source, "PDF has no pages")
        if npages > MAX_PAGES:
            raise UnreadableDocument(source, f"PDF has {npages} pages (limit {MAX_PAGES})")
        _check_streams(pdf.doc, source)
        out = Extracted(read_by="pdf")
        meta = _raw_info(pdf.doc) or pdf.metadata or {}
        for key in ("Title", "Author", "Subject", "CreationDate", "ModDate", "Creator"):
            val = _meta_text(meta.get(key))
            if isinstance(val, str) and val.strip():
                out.meta[key] = fix_lookalikes(val.strip())
        out.title = out.meta.get("Title")
        pages: list[list[tuple[float, Block, Line | None]]] = []
        ends: dict[int, tuple[bool, bool]] = {}
        scans: list[int] = []
        heights: list[float] = []
        for i, page in enumerate(pdf.pages):
            try:
                items = _read_page(page, i + 1, source, ends)
            except UnreadableDocument:
                raise
            except Exception as e:
                out.notes.append(f"page {i + 1}: unreadable ({type(e).__name__})")
                items = []
            if items is None:
                scans.append(i)
                items = []
            pages.append(items)
            heights.append(float(page.height))
    _drop_running_lines(pages, heights)
    if scans and ocr:
        from nianbao.parsers.ocr import ocr_pdf_pages

        for i, blocks in ocr_pdf_pages(data, scans, source, dpi=OCR_DPI):
            pages[i] = [(0.0, b, None) for b in blocks]
        out.read_by = "ocr"
        out.notes.append("OCR used for page(s) " + ",".join(str(i + 1) for i in scans))
    elif scans:
        out.notes.append("no text layer on page(s) " + ",".join(str(i + 1) for i in scans))
    tol = SCAN_TOLERANCE if scans and ocr else 4.0  # scanned pages sit a few points apart
    align_continued([b for items in pages for _, b, _ in items], tol=tol)
    out.blocks = _join_pages([[b for _, b, _ in items] for items in pages], ends, tol=tol)
    return out


def _join_pages(pages: list[list[Block]], ends: dict[int, tuple[bool, bool]], *, tol: float = 4.0) -> list[Block]:
    """Blocks of all pages in order, with what a page break cut in two put back together:
    a paragraph running over the break, and a table continued on the next page (one grid,
    its repeated header rows dropped, a row cut in two joined)."""
    out: list[Block] = []
    last_page: dict[int, int] = {}  # a joined grid's last page
    for items in pages:
        for k, b in enumerate(items):
            prev = out[-1] if out else None
            first = k == 0
            if first and isinstance(b, TextBlock) and isinstance(prev, TextBlock) and _continues(prev, b, ends):
                prev.text = join_cjk(prev.text, b.text)  # a paragraph running over a page break
                continue
            if (first and isinstance(b, GridBlock) and isinstance(prev, GridBlock)
                    and _same_table(prev, b, last_page.get(id(prev), prev.page), tol)):
                _append_rows(prev, b)
                last_page[id(prev)] = b.page  # type: ignore[assignment]
                continue
            out.append(b)
    return out


def _continues(prev: TextBlock, b: TextBlock, ends: dict[int, tuple[bool, bool]]) -> bool:
    """Is ``b`` (first on its page) the rest of ``prev`` (last on the page before)?"""
    if prev.page == b.page or re.search(r"[。！？；：.!?]$", prev.text) or HEADING.match(b.text):
        return False
    if is_heading_line(prev.text):
        return False
    prev_end, b_end = ends.get(id(prev)), ends.get(id(b))
    if prev_end is not None and not prev_end[1]:
        return False  # the last line stops short of the margin: the paragraph ended there
    return not (b_end is not None and b_end[0])  # an indented first line starts a new paragraph


def _same_table(above: GridBlock, below: GridBlock, above_last_page: int | None, tol: float = 4.0) -> bool:
    """The last grid of a page and the first of the next with the same column rules (after
    :func:`align_continued`) are one table cut by the page break.  Where the first part ends
    on its page says nothing: a tall row that cannot be split (the merged 三、本年度办理结果
    block) leaves half a page empty."""
    if above_last_page is None or below.page != above_last_page + 1 or not above.rows or not below.rows:
        return False
    a, b = getattr(above, "col_spans", None), getattr(below, "col_spans", None)
    if not a or not b or len(a) != len(b) or len(above.rows[0]) != len(below.rows[0]):
        return False
    return all(abs(x0 - y0) <= tol and abs(x1 - y1) <= tol for (x0, x1), (y0, y1) in zip(a, b, strict=True))


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _append_rows(above: GridBlock, below: GridBlock) -> None:
    """Add ``below``'s rows to ``above``: header rows it repeats are dropped, and a first row
    that is the rest of a row the page break cut (label text only, no numbers, no item
    number of its own) is joined into the last row above."""
    n = 0
    while (n < len(below.rows) - 1 and n < len(above.rows)
           and [_squeeze(c.text) for c in below.rows[n]] == [_squeeze(c.text) for c in above.rows[n]]
           and any(c.text for c in below.rows[n]) and not any(_NUMBER.match(c.text.strip()) for c in below.rows[n])):
        n += 1
    rows = below.rows[n:]
    if rows and above.rows and _cut_row(above.rows[-1], rows[0]):
        for top, rest in zip(above.rows[-1], rows[0], strict=True):
            if rest.text and _squeeze(rest.text) != _squeeze(top.text):
                top.text = join_cjk(top.text, rest.text)
        rows = rows[1:]
    above.rows.extend(rows)


def _cut_row(last: list[GridCell], first: list[GridCell]) -> bool:
    """``first`` holds only the wrapped-over end of ``last``'s labels: every column where
    ``last`` has a number is empty, and the new label text does not start an item."""
    numeric = [c for c, cell in enumerate(last) if _NUMBER.match(cell.text.strip())]
    if not numeric or any(first[c].text.strip() for c in numeric):
        return False
    new = [cell.text for cell, top in zip(first, last, strict=True)
           if cell.text.strip() and _squeeze(cell.text) != _squeeze(top.text)]
    return bool(new) and not any(HEADING.match(t) or _ITEM.match(t) for t in new)


def _raw_info(doc) -> dict:
    """The document info dictionary with its strings as raw bytes (decoded by ``_meta_text``)."""
    from pdfminer.pdftypes import resolve1

    out: dict = {}
    try:
        for info in doc.info:
            for k, v in info.items():
                v = resolve1(v)
                if isinstance(v, (bytes, str)):
                    out[k] = v
    except Exception:
        return {}
    return out


def _meta_text(val) -> str | None:
    """A metadata string: pdfminer hands UTF-16 strings over as bytes or as Latin-1 mojibake."""
    if isinstance(val, str) and val[:2] in ("\xfe\xff", "\xff\xfe"):
        val = val.encode("latin-1", "replace")
    if isinstance(val, bytes):
        if val[:2] in (b"\xfe\xff", b"\xff\xfe"):
            return val.decode("utf-16", "replace")
        try:
            return val.decode("utf-8")
        except UnicodeDecodeError:
            return val.decode("gb18030", "replace")
    return val if isinstance(val, str) else None


def _check_streams(doc, source: str) -> None:
    """Refuse a PDF whose Flate streams inflate beyond the caps (decompression bombs)."""
    from pdfminer.pdftypes import PDFStream

    total = 0
    seen: set[int] = set()
    for xref in doc.xrefs:
        for objid in xref.get_objids():
            if objid in seen:
                continue
            seen.add(objid)
            try:
                obj = doc.getobj(objid)
            except Exception:
                continue
            if not isinstance(obj, PDFStream) or obj.rawdata is None:
                continue
            filters = obj.get_filters()
            if not filters or filters[0][0].name not in ("FlateDecode", "Fl"):
                total += len(obj.rawdata)
                continue
            d = zlib.decompressobj()
            try:
                n = len(d.decompress(obj.rawdata, MAX_STREAM_BYTES))
            except zlib.error:
                continue  # pdfminer copes with (or skips) a corrupt stream itself
            if d.unconsumed_tail:
                raise UnreadableDocument(source, f"PDF stream {objid} inflates beyond {MAX_STREAM_BYTES >> 20} MB")
            total += n
            if total > MAX_TOTAL_BYTES:
                raise UnreadableDocument(source, f"PDF content inflates beyond {MAX_TOTAL_BYTES >> 20} MB")


def _visible_rect(obj: dict) -> bool:
    """False for rectangles nobody can see: filled white (or unfilled) and not stroked."""
    if obj.get("object_type") not in ("rect", "line", "curve"):
        return True
    stroked = obj.get("stroke") and (obj.get("linewidth") or 0) > 0 and not _white(obj.get("stroking_color"))
    filled = obj.get("fill") and not _white(obj.get("non_stroking_color"))
    if obj["object_type"] == "line":
        return not _white(obj.get("stroking_color"))
    return bool(stroked or filled)


def _white(color) -> bool:
    if color is None:
        return False
    if isinstance(color, (int, float)):
        return color >= 0.95
    vals = [float(v) for v in color if isinstance(v, (int, float))]
    if len(vals) == 4:  # CMYK
        return all(v <= 0.05 for v in vals)
    return bool(vals) and all(v >= 0.95 for v in vals)


def _stamp_char(ch: dict) -> bool:
    """Red text that is rotated: the wording of an official seal drawn as vector text."""
    color = ch.get("non_stroking_color")
    red = False
    if isinstance(color, (tuple, list)) and len(color) == 3:
        r, g, b = (float(v) for v in color)
        red = r > 0.6 and g < 0.4 and b < 0.4
    elif isinstance(color, (tuple, list)) and len(color) == 4:
        c, m, y, k = (float(v) for v in color)
        red = c < 0.3 and m > 0.6 and y > 0.5 and k < 0.4
    if not red:
        return False
    matrix = ch.get("matrix") or (1, 0, 0, 1, 0, 0)
    return not ch.get("upright", True) or abs(matrix[1]) > 1e-3 or abs(matrix[2]) > 1e-3


def _glyphs(chars: list[dict]) -> list[Glyph]:
    out = []
    for ch in chars:
        if _stamp_char(ch):
            continue
        text = fix_lookalikes(ch.get("text", ""))
        if not text:
            continue
        out.append(Glyph(text, float(ch["x0"]), float(ch["top"]), float(ch["x1"]), float(ch["bottom"])))
    return out


def _read_page(page, number: int, source: str, ends: dict[int, tuple[bool, bool]] | None = None
               ) -> list[tuple[float, Block, Line | None]] | None:
    """Blocks of one page as ``(top, block, line-or-None)``; ``None`` if it needs OCR.

    ``ends`` receives, per paragraph (by ``id``), whether its first line is indented and
    whether its last line runs to the right margin (used to join paragraphs across pages)."""
    chars = page.chars
    if len(chars) > MAX_CHARS_PER_PAGE:
        raise UnreadableDocument(source, f"page {number} has {len(chars)} characters (limit {MAX_CHARS_PER_PAGE})")
    visible = [c for c in chars if c.get("text", "").strip()]
    if len(visible) < MIN_TEXT_CHARS and (page.images or not visible):
        return None
    glyphs = _glyphs(visible)
    clean = page.filter(_visible_rect)
    items: list[tuple[float, Block, Line | None]] = []
    taken: list[tuple[float, float, float, float]] = []
    settings = dict(_TABLE_SETTINGS, explicit_horizontal_lines=closing_edges(clean.edges))
    finder = clean.debug_tablefinder(settings)
    found = [(t.bbox, t.cells) for t in finder.tables]
    # pdfplumber drops one-cell tables; a page break can leave exactly that (a table's first row).
    for cell in finder.cells:
        if not any(b[0] - 1 <= cell[0] and cell[2] <= b[2] + 1 and b[1] - 1 <= cell[1] and cell[3] <= b[3] + 1
                   for b, _ in found):
            found.append((cell, [cell]))
    for bbox, cells in sorted(found, key=lambda f: f[0][1]):
        x0, top, x1, bottom = bbox
        inside = [g for g in glyphs if x0 <= g.cx <= x1 and top <= g.cy <= bottom]
        grid = grid_from_cells(cells, inside, page=number)
        if grid is None or not _is_real_table(grid):
            continue
        taken.append(bbox)
        items.append((top, grid, None))
    rest = [g for g in glyphs if not any(a <= g.cx <= c and b <= g.cy <= d for a, b, c, d in taken)]
    lines = group_lines(rest)
    height = float(page.height)
    lines = [ln for ln in lines if not _page_furniture(ln, height)]
    if lines:
        left = Counter(round(ln.x0) for ln in lines).most_common(1)[0][0]
        left = min(left, min(ln.x0 for ln in lines if abs(ln.x0 - left) < 40))
        right = max(ln.x1 for ln in lines)
        # Paragraphs never run across a table: split the lines at every table.
        bounds = sorted(t[1] for t in taken) + [float("inf")]
        chunk: list[Line] = []
        k = 0
        for ln in lines:
            while ln.top >= bounds[k]:
                items.extend(_paragraph_items(chunk, left, right, number, ends))
                chunk = []
                k += 1
            chunk.append(ln)
        items.extend(_paragraph_items(chunk, left, right, number, ends))
        for ln in lines:  # remembered for running-header detection across pages
            if ln.top < 0.1 * height or ln.bottom > 0.9 * height:
                items.append((ln.top, _Marker(ln.text), ln))
    items.sort(key=lambda it: it[0])
    return items


def _paragraph_items(chunk: list[Line], left: float, right: float, number: int,
                     ends: dict[int, tuple[bool, bool]] | None) -> list[tuple[float, Block, None]]:
    out: list[tuple[float, Block, None]] = []
    for lines in paragraph_lines(chunk, left, right):
        block = TextBlock(join_lines(lines), page=number)
        if ends is not None:
            ends[id(block)] = (starts_indented(lines[0], left), line_is_full(lines[-1], right))
        out.append((lines[0].top, block, None))
    return out


class _Marker(TextBlock):
    """Placeholder for a margin line, removed again after running-header detection."""


def _page_furniture(ln: Line, height: float) -> bool:
    in_margin = ln.top < 0.12 * height or ln.bottom > 0.88 * height
    return in_margin and bool(_PAGE_NUMBER.match(ln.text))


def _drop_running_lines(pages: list[list[tuple[float, Block, Line | None]]], heights: list[float]) -> None:
    """Drop text repeated in the top or bottom margin of most pages (running headers/footers)."""
    def key(text: str) -> str:
        return re.sub(r"\d+", "#", re.sub(r"\s+", "", text))

    counts: Counter[str] = Counter()
    for items in pages:
        counts.update({key(b.text) for _, b, ln in items if isinstance(b, _Marker)})
    n = len(pages)
    running = {k for k, c in counts.items() if n >= 3 and c >= max(3, n // 2)}
    for i, items in enumerate(pages):
        kept = []
        for top, b, ln in items:
            if isinstance(b, _Marker):
                continue
            if running and isinstance(b, TextBlock) and key(b.text) in running:
                continue
            kept.append((top, b, ln))
        pages[i] = kept


def grids(extracted: Extracted) -> list[GridBlock]:
    """The grid blocks of an extraction (handy for tests and tools)."""
    return [b for b in extracted.blocks if isinstance(b, GridBlock)]


def _is_real_table(grid: GridBlock) -> bool:
    """A boxed paragraph (one column, long text) is not a table; a short one-cell row (the
    part of a table a page break cut off, e.g. 第二十条第（一）项) is kept, and so is a row
    of numbers alone, however alike (the fifteen zeros of section 4 pushed to the next page)."""
    width = max((len(r) for r in grid.rows), default=0)
    if width >= 2:
        texts = [c.text.strip() for r in grid.rows for c in r if c.text.strip()]
        return len(set(texts)) >= 2 or (len(texts) >= 2 and all(_NUMBER.match(t) for t in texts))
    return 1 <= len(grid.rows) <= 3 and all(0 < len(r[0].text) <= 30 for r in grid.rows)
