"""Scanned pages and images into blocks: rapidocr text boxes, tables rebuilt from ruling lines.

Steps per page: deskew (projection profile), find ruling lines (morphology), turn them into
cells with pdfplumber's edge/intersection algorithm, OCR the page once, put each text box in
its cell (a box straddling a rule is split by tokens), and look again (recognition only, on
the cell crop) at cells that came out empty but have ink.  Every grid cell carries the lowest
confidence of its boxes; an inked cell nothing could read gets confidence 0 (unreadable, not
blank).  The OCR engine is loaded once, lazily.
"""

from __future__ import annotations

import io
import itertools
import os
import re
import threading
from collections.abc import Iterator, Sequence

from nianbao.parsers.blocks import Block, Extracted, GridCell, TextBlock
from nianbao.parsers.errors import UnreadableDocument
from nianbao.parsers.layout_geom import (
    PAGE_NUMBER,
    Glyph,
    align_continued,
    closing_edges,
    fix_lookalikes,
    grid_from_cells,
    group_lines,
    hline,
    is_real_table,
    paragraphs,
    vline,
)

MAX_PIXELS = 60_000_000  # per image/page before decoding (a 600 dpi A3 scan is ~70M: refused)
MAX_SIDE = 2400  # pages are scaled down to this before OCR (≈200 dpi A4)
MAX_FRAMES = 50  # pages of a multi-page TIFF/GIF
MIN_CELL_INK = 0.004  # share of dark pixels that makes an empty cell "inked"
RECHECK_BELOW = 0.9  # short cell texts read with less confidence are read again from the crop
SECOND_LOOK_BELOW = 0.97  # numbers read with less confidence are read twice; they must agree
DISAGREED = 0.5  # the confidence of a number no second reading confirms (not accepted as read)

_engine = None
_lock = threading.Lock()


def threads() -> int:
    """onnxruntime threads per OCR engine: ``NIANBAO_OCR_THREADS``, else 1.

    One thread is the sensible default on a small shared machine: with two, onnxruntime's
    spinning worker threads cost more CPU than they save wall time as soon as anything else
    runs (measured: 8 s per dense page with one thread, 12 s with two on a loaded 2-core box);
    parallelism comes from running several documents at once instead."""
    try:
        return max(1, int(os.environ.get("NIANBAO_OCR_THREADS", "1")))
    except ValueError:
        return 1


def engine():
    """The rapidocr engine, created on first use (bundled models, no network)."""
    global _engine
    with _lock:
        if _engine is None:
            # onnxruntime's telemetry (device id, event queue, lookups of mobile.events.data.microsoft.com)
            # is only off when this is set before it is imported
            os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
            from rapidocr import RapidOCR

            _engine = RapidOCR(
                params={
                    "Global.log_level": "error",
                    "Global.text_score": 0.3,
                    "Global.use_cls": False,
                    "Global.max_side_len": MAX_SIDE + 100,
                    # Never upscale for detection: by default the short side is brought up to
                    # 736 px, which turns a 72x430 cell crop into 736x4400 (5 s of CPU for
                    # nothing); pages are already at a readable scale.
                    "Det.limit_type": "max",
                    "Det.limit_side_len": MAX_SIDE + 100,
                    "EngineConfig.onnxruntime.intra_op_num_threads": threads(),
                    "EngineConfig.onnxruntime.inter_op_num_threads": 1,
                }
            )
        return _engine


# ---------------------------------------------------------------------------- entry points


def read_image(data: bytes, source: str) -> Extracted:
    """OCR an image file (PNG, JPEG, GIF, TIFF, BMP; every frame of a multi-page one)."""
    out = Extracted(read_by="ocr")
    for n, img in enumerate(_frames(data, source), start=1):
        out.blocks.extend(ocr_page(img, page=n))
    align_continued(out.blocks)
    return out


def ocr_pdf_pages(data: bytes, indexes: Sequence[int], source: str, *, dpi: int = 170) -> Iterator[tuple[int, list[Block]]]:
    """Render the given (0-based) pages of a PDF and OCR them."""
    import pypdfium2 as pdfium

    try:
        doc = pdfium.PdfDocument(data)
    except Exception as e:
        raise UnreadableDocument(source, f"PDF pages cannot be rendered for OCR ({e})") from e
    try:
        for i in indexes:
            page = doc[i]
            w, h = page.get_size()
            scale = dpi / 72
            if w * h * scale * scale > MAX_PIXELS:
                scale = (MAX_PIXELS / (w * h)) ** 0.5
            img = page.render(scale=scale, grayscale=True).to_pil()
            blocks = ocr_page(img, page=i + 1)
            ratio = min(max(img.size), MAX_SIDE) / max(w, h)  # pixels per point as ocr_page saw it
            for b in blocks:  # column rules in points, like the text-layer pages
                spans = getattr(b, "col_spans", None)
                if spans:
                    b.col_spans = [(x0 / ratio, x1 / ratio) for x0, x1 in spans]  # type: ignore[union-attr]
            yield i, blocks
    finally:
        doc.close()


def _frames(data: bytes, source: str):
    from PIL import Image, UnidentifiedImageError

    try:
        img = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as e:
        raise UnreadableDocument(source, f"image too large ({e})") from e
    except (UnidentifiedImageError, OSError, ValueError) as e:
        raise UnreadableDocument(source, f"broken image ({e})") from e
    w, h = img.size
    if w * h > MAX_PIXELS:
        raise UnreadableDocument(source, f"image too large ({w}x{h} pixels, limit {MAX_PIXELS // 1_000_000} Mpx)")
    frames = getattr(img, "n_frames", 1)
    if frames > MAX_FRAMES:
        raise UnreadableDocument(source, f"image has {frames} frames (limit {MAX_FRAMES})")
    for k in range(frames):
        try:
            img.seek(k)
            frame = img.convert("L")
        except (OSError, ValueError, Image.DecompressionBombError) as e:
            raise UnreadableDocument(source, f"broken image, frame {k + 1} ({e})") from e
        yield frame


# ---------------------------------------------------------------------------- one page


def ocr_page(img, page: int | None = None) -> list[Block]:
    """Blocks of one page image (PIL), in reading order."""
    import numpy as np
    from PIL import Image

    img = img.convert("L")
    scale = min(1.0, MAX_SIDE / max(img.size))
    if scale < 1.0:
        img = img.resize((round(img.width * scale), round(img.height * scale)), Image.LANCZOS)
    angle = _skew_angle(np.asarray(img))
    if abs(angle) > 0.05:
        img = img.rotate(angle, resample=Image.BICUBIC, expand=False, fillcolor=255)
    arr = np.asarray(img)
    result = engine()(arr)
    glyphs = []
    for box, text, score in zip(result.boxes if result.boxes is not None else [], result.txts or (), result.scores or (), strict=False):
        xs = [p[0] for p in box]
        ys = [p[1] for p in box]
        glyphs.append(Glyph(fix_lookalikes(text), min(xs), min(ys), max(xs), max(ys), float(score)))
    tables = _tables(arr)
    items: list[tuple[float, Block]] = []
    used: set[int] = set()
    for cells, bbox in tables:
        verticals = sorted({c[0] for c in cells} | {c[2] for c in cells})
        inside = []
        for gi, g in enumerate(glyphs):
            if bbox[0] <= g.cx <= bbox[2] and bbox[1] <= g.cy <= bbox[3]:
                used.add(gi)
                inside.extend(_split_across(g, verticals))
        origins: dict[int, list[GridCell]] = {}
        grid = grid_from_cells(cells, inside, tol=4.0, page=page, origins=origins)
        if grid is None or not is_real_table(grid):
            used -= {gi for gi, g in enumerate(glyphs) if bbox[0] <= g.cx <= bbox[2] and bbox[1] <= g.cy <= bbox[3]}
            continue
        _recheck_empty(arr, cells, origins)
        items.append((bbox[1], grid))
    rest = [g for gi, g in enumerate(glyphs) if gi not in used]
    lines = group_lines(rest)
    if lines:
        left = min(ln.x0 for ln in lines)
        right = max(ln.x1 for ln in lines)
        tops = sorted(b[1] for _, b in tables) + [float("inf")]
        chunk, k = [], 0
        for ln in lines:
            while ln.top >= tops[k]:
                items.extend((top, TextBlock(text, page=page)) for text, top in paragraphs(chunk, left, right))
                chunk, k = [], k + 1
            chunk.append(ln)
        items.extend((top, TextBlock(text, page=page)) for text, top in paragraphs(chunk, left, right))
    items.sort(key=lambda it: it[0])
    return [b for _, b in items if not (isinstance(b, TextBlock) and _page_number(b.text))]


def _page_number(text: str) -> bool:
    return bool(PAGE_NUMBER.match(text))


def _skew_angle(arr, max_deg: float = 3.0) -> float:
    """Rotation (degrees, PIL convention) that makes text lines and rules horizontal."""
    import numpy as np
    from PIL import Image

    small = Image.fromarray(arr)
    f = 700 / max(small.size)
    if f < 1:
        small = small.resize((round(small.width * f), round(small.height * f)))
    ink = (np.asarray(small) < 160).astype(np.uint8) * 255
    base = Image.fromarray(ink)

    def score(a: float) -> float:
        prof = np.asarray(base.rotate(a, resample=Image.BILINEAR)).sum(axis=1).astype(np.float64)
        return float(np.square(np.diff(prof)).sum())

    best = max((a / 10 for a in range(int(-max_deg * 10), int(max_deg * 10) + 1, 2)), key=score)
    fine = max((best + d / 100 for d in range(-10, 11, 2)), key=score)
    return fine


def _tables(arr) -> list[tuple[list[tuple[float, float, float, float]], tuple[float, float, float, float]]]:
    """Ruled tables of a page image: cell boxes and the table's bbox, from its line segments."""
    import cv2
    from pdfplumber.table import cells_to_tables, edges_to_intersections, intersections_to_cells, merge_edges

    h, w = arr.shape
    binary = cv2.adaptiveThreshold(arr, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 25, 15)
    hk = cv2.getStructuringElement(cv2.MORPH_RECT, (max(w // 25, 20), 1))
    # A vertical rule is longer than the strokes of a character: scale by the page, whose
    # width stands in for its height when the image is a band cut out of a page.
    vk = cv2.getStructuringElement(cv2.MORPH_RECT, (1, max(round(max(h, 1.3 * w) / 60), 15)))
    hmask = cv2.dilate(cv2.morphologyEx(binary, cv2.MORPH_OPEN, hk), cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3)))
    vmask = cv2.dilate(cv2.morphologyEx(binary, cv2.MORPH_OPEN, vk), cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3)))
    edges: list[dict] = []
    for mask, orient in ((hmask, "h"), (vmask, "v")):
        n, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        for i in range(1, n):
            x, y, bw, bh, _ = stats[i]
            if orient == "h" and bw >= 20 and bh <= 12:
                edges.append(hline(float(x), float(x + bw), float(y + bh / 2)))
            elif orient == "v" and bh >= 15 and bw <= 12:
                edges.append(vline(float(x + bw / 2), float(y), float(y + bh)))
    if not edges:
        return []
    tol = 6
    edges = merge_edges(edges, tol, tol, tol, tol)
    edges += closing_edges(edges, tol=tol)
    inter = edges_to_intersections(edges, tol, tol)
    cells = intersections_to_cells(inter)
    groups = [list(g) for g in cells_to_tables(cells)]
    grouped = {c for g in groups for c in g}
    groups += [[c] for c in cells if c not in grouped]  # one-cell tables (a row cut off by a page break)
    out = []
    for group in groups:
        x0 = min(c[0] for c in group)
        top = min(c[1] for c in group)
        x1 = max(c[2] for c in group)
        bottom = max(c[3] for c in group)
        out.append((list(group), (x0, top, x1, bottom)))
    return out


def _split_across(g: Glyph, verticals: list[float]) -> list[Glyph]:
    """A box that runs over a vertical rule ("3  0") is cut at the rules, tokens shared out."""
    cuts = [x for x in verticals if g.x0 + 3 < x < g.x1 - 3]
    tokens = g.text.split()
    if not cuts or len(tokens) < 2:
        return [g]
    bounds = [g.x0, *cuts, g.x1]
    spans = list(zip(bounds, bounds[1:], strict=False))
    if len(tokens) != len(spans):
        return [g]
    return [Glyph(t, a, g.top, b, g.bottom, g.confidence) for t, (a, b) in zip(tokens, spans, strict=True)]


def _recheck_empty(arr, cells, origins: dict[int, list[GridCell]]) -> None:
    """Look again at cells the page OCR left empty (but inked) or read with low confidence:
    recognise the cleaned, enlarged cell crop alone and keep the better reading.  An inked cell
    nothing can read gets confidence 0 (unreadable) instead of passing for blank."""
    import cv2
    import numpy as np

    for i, copies in origins.items():
        if not copies:
            continue
        first = copies[0]
        low = first.text and len(first.text) <= 12 and (first.confidence or 1.0) < RECHECK_BELOW
        speck = bool(first.text) and not low and _specked_number(first.text)
        # a number read with less than full confidence is read a second time; when no second
        # reading gives the same number it is doubtful (a "0" read as "9" must not stand unchecked)
        second = bool(first.text) and not low and not speck and first.text.isdigit() and len(first.text) <= 8 \
            and (first.confidence or 1.0) < SECOND_LOOK_BELOW
        if first.text and not low and not speck and not second:
            continue
        x0, top, x1, bottom = cells[i]
        pad = 4
        crop = arr[int(top) + pad : int(bottom) - pad, int(x0) + pad : int(x1) - pad]
        if crop.size == 0 or min(crop.shape) < 3:
            continue
        clean = cv2.medianBlur(np.ascontiguousarray(crop), 3)
        if not first.text and float((clean < 110).mean()) < MIN_CELL_INK:
            continue  # blank paper (isolated specks of scanner noise do not count)
        big = cv2.resize(clean, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
        text, conf = _recognise(big)
        if second:
            readings = itertools.chain([(text, conf)], (_recognise(v) for v in _despeckled(crop)))
            if not any(_confirms(first.text, t, c) for t, c in readings):
                for cell in copies:  # no second reading gives the same number: not believed as read
                    cell.confidence = min(cell.confidence or 1.0, DISAGREED)
            continue
        if _specked_number(first.text):
            # a second reading that confirms the digits without the speck: the cleaned crop's,
            # else the crop's with its specks removed (at two scales)
            readings = itertools.chain([(text, conf)], (_recognise(v) for v in _despeckled(crop)))
            again = next(((t, c) for t, c in readings if _confirms(first.text, t, c)), None)
            if again is not None:
                for cell in copies:
                    cell.text, cell.confidence = again[0], again[1] if low else min(again[1], first.confidence or 1.0)
                continue
            if speck:
                continue
        if text and (not first.text or conf > (first.confidence or 0.0)):
            for cell in copies:
                cell.text, cell.confidence = text, conf
        elif not first.text:
            for cell in copies:
                cell.confidence = 0.0


def _recognise(img) -> tuple[str, float]:
    """The text rapidocr reads in a cell image (padded with paper) and its lowest confidence."""
    import numpy as np

    res = engine()(np.ascontiguousarray(np.pad(img, 16, constant_values=255)), use_cls=False)
    text = fix_lookalikes("".join(res.txts or ()).strip())
    scores = [float(s) for s in (res.scores or ())]
    return text, (min(scores) if scores else 0.0)


SPECK_SHARE = 0.2  # an ink blob smaller than this share of the cell's largest one is a speck


def _despeckled(crop) -> Iterator:
    """The cell crop binarised (Otsu) with every ink blob much smaller than the largest removed,
    at two scales: scanner specks and JPEG blots go, the strokes of the digits stay."""
    import cv2
    import numpy as np

    _, ink = cv2.threshold(np.ascontiguousarray(crop), 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    if n <= 2:
        return
    areas = stats[1:, cv2.CC_STAT_AREA]
    keep = [i + 1 for i, a in enumerate(areas) if a >= SPECK_SHARE * areas.max()]
    paper = np.where(np.isin(labels, keep), 0, 255).astype(np.uint8)
    for f in (2, 3):
        yield cv2.resize(paper, None, fx=f, fy=f, interpolation=cv2.INTER_CUBIC)


_SPECK = re.compile(r"^[.\-。·,，'`:：;]*\d*[.\-。·,，'`:：;]*$")
_ZERO_LIKE = frozenset("。○〇oOQD口")


def _specked_number(text: str) -> bool:
    """A short cell text that is digits with specks around them ("0.", "-0", ".3") or a lone
    0 look-alike ("。"): worth a second reading of the crop."""
    t = text.strip()
    if not t or len(t) > 8:
        return False
    if all(ch in _ZERO_LIKE for ch in t):
        return True
    return bool(_SPECK.match(t)) and not t.isdigit() and any(ch.isdigit() for ch in t) and not re.search(r"\d[.,，]\d", t)


def _confirms(first: str, again: str, conf: float) -> bool:
    """The second reading is a clean whole number with the first reading's digits (or a 0 for a
    lone 0 look-alike), read with confidence: the speck was noise, the digits were right."""
    if not again.isdigit() or conf < RECHECK_BELOW:
        return False
    digits = "".join(ch for ch in first if ch.isdigit())
    if digits:
        return again == digits
    return again == "0"
