"""OCR: PNG pages rendered from the report's PDF at 150 dpi, and scanned-looking copies
(as an image-only PDF): at least 99% of value cells right, the rest unreadable, none wrong."""

from __future__ import annotations

import io
import shutil

import pytest

from parsers.attachments import extract
from parsers.blocks import Extracted
from parsers.layout_geom import align_continued
from sandbox.render_office import docx_to_pdf, official_grids, pdf_to_png, render_docx, scanned
from tests.attach_support import compare, make_report

pytestmark = [pytest.mark.slow, pytest.mark.skipif(shutil.which("soffice") is None, reason="needs LibreOffice")]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """The report, its PNG pages and a scanned image-only PDF, made once and cached."""
    from PIL import Image

    rep = make_report(seed=23, year=2024)
    pngs = pdf_to_png(docx_to_pdf(render_docx(rep)), dpi=150)
    scans = [scanned(p, seed=23 + i) for i, p in enumerate(pngs)]
    images = [Image.open(io.BytesIO(s)).convert("L") for s in scans]
    buf = io.BytesIO()
    images[0].save(buf, "PDF", save_all=True, append_images=images[1:], resolution=150)
    cache = tmp_path_factory.mktemp("ocr")
    (cache / "scan.pdf").write_bytes(buf.getvalue())
    return rep, pngs, buf.getvalue()


def _check(rep, ex: Extracted) -> dict:
    stats = compare(official_grids(rep), ex)
    total = stats["right"] + stats["missed"] + stats["wrong"]
    assert total == sum(len(s.values) for s in official_grids(rep).values())
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
    cells = [c for b in ex.blocks if hasattr(b, "rows") for r in b.rows for c in r if c.text]
    assert cells and all(c.confidence is not None for c in cells)


def test_scanned_image_pdf(files):
    rep, _, pdf = files
    ex = extract("pdf", pdf, "scan.pdf")
    assert ex.read_by == "ocr" and any("OCR" in n for n in ex.notes)
    _check(rep, ex)
    text = " ".join(b.text for b in ex.blocks if hasattr(b, "text"))
    assert "总体情况" in text
