"""OCR: the table regions of the report's pages rendered at 150 dpi (PNG), and scanned-looking
copies (noise, blur, rotation) as an image-only PDF: at least 99% of value cells right, the rest
unreadable, none wrong; tables cut by page breaks come back whole.

Only the bands of each page that hold tables (with the section heading above them) are OCR'd:
the prose costs most of the OCR time and is covered by the text-layer tests.  One rendered
fixture serves both tests.
"""

from __future__ import annotations

import io
import shutil

import pytest

from nianbao.parsers.attachments import extract
from nianbao.parsers.blocks import Extracted, GridBlock
from nianbao.parsers.layout_geom import align_continued
from nianbao.sandbox.render_office import docx_to_pdf, official_grids, pdf_to_png, render_docx, scanned
from tests.attach_support import compare, make_report

pytestmark = [pytest.mark.slow, pytest.mark.skipif(shutil.which("soffice") is None, reason="needs LibreOffice")]

DPI = 150
HEADING_ROOM = 34  # points kept above a page's first table: its section heading


def table_bands(pdf: bytes) -> list[tuple[int, float, float]]:
    """``(page index, top, bottom)`` in points of the part of each page that holds tables."""
    import pdfplumber

    out = []
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        for i, page in enumerate(doc.pages):
            boxes = [t.bbox for t in page.find_tables({"vertical_strategy": "lines", "horizontal_strategy": "lines"})]
            if boxes:
                top = max(0.0, min(b[1] for b in boxes) - HEADING_ROOM)
                out.append((i, top, min(float(page.height), max(b[3] for b in boxes) + 6)))
    return out


def render_bands(pdf: bytes, bands: list[tuple[int, float, float]]) -> list[bytes]:
    """Each band as a PNG at :data:`DPI` (full page width)."""
    return pdf_to_png(pdf, DPI, bands=bands, grayscale=True)


@pytest.fixture(scope="module")
def files():
    """The report, PNGs of its table bands, and the same bands scanned into an image-only PDF."""
    from PIL import Image

    rep = make_report(seed=23, year=2024)
    pdf = docx_to_pdf(render_docx(rep))
    bands = table_bands(pdf)
    assert len(bands) >= 3, "the tables should run over several pages (page breaks inside tables)"
    pngs = render_bands(pdf, bands)
    images = [Image.open(io.BytesIO(scanned(p, seed=23 + i))).convert("L") for i, p in enumerate(pngs)]
    buf = io.BytesIO()
    images[0].save(buf, "PDF", save_all=True, append_images=images[1:], resolution=DPI)
    return rep, pngs, buf.getvalue()


def _check(rep, ex: Extracted) -> dict:
    specs = official_grids(rep)
    stats = compare(specs, ex)
    total = stats["right"] + stats["missed"] + stats["wrong"]
    assert total == sum(len(s.values) for s in specs.values())
    assert stats["wrong"] == 0, stats["errors"]
    assert stats["right"] >= 0.99 * total, stats
    return stats


def test_png_pages_at_150_dpi(files):
    rep, pngs, _ = files
    ex = Extracted(read_by="ocr")
    for i, png in enumerate(pngs):
        part = extract("png", png, f"page{i + 1}.png")
        assert part.read_by == "ocr"
        ex.blocks.extend(part.blocks)
    align_continued(ex.blocks)
    _check(rep, ex)
    cells = [c for b in ex.blocks if isinstance(b, GridBlock) for r in b.rows for c in r if c.text]
    assert cells and all(c.confidence is not None for c in cells)


def test_scanned_image_pdf(files):
    rep, _, pdf = files
    ex = extract("pdf", pdf, "scan.pdf")
    assert ex.read_by == "ocr" and any("OCR" in n for n in ex.notes)
    _check(rep, ex)
    # the reader itself joins the parts of each table that the page breaks cut apart
    widths = [len(b.rows[0]) for b in ex.blocks if isinstance(b, GridBlock)]
    assert widths == [4, 10, 15], widths
    text = " ".join(b.text for b in ex.blocks if not isinstance(b, GridBlock))
    assert "主动公开政府信息情况" in text
