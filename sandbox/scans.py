"""Scan-like PDFs of generated reports: what a portal gets when a report is printed, signed,
stamped and scanned back.

Each report is rendered with :mod:`nianbao.sandbox.pdf_fast`, every page rasterised, then
degraded like a cheap office scanner: rotated 0.5–2° either way, blurred, grey paper, Gaussian
and speckle noise, re-encoded as a low-quality JPEG (block artefacts), and packed into an
image-only PDF (no text layer: the reader must OCR it).  The section 3 table runs over a page
break in most documents (its 28 rows do not fit under the prose).

``bands_only`` keeps only the part of each page that holds tables (with the section heading
above): the prose is most of the OCR time and says nothing about reading numbers.
Seeded: the same documents every run.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field

from nianbao.model import Report
from nianbao.sandbox.pdf_fast import render_pdf
from nianbao.sandbox.reports import Generated, build_report

__all__ = ["ScanDoc", "degrade", "scan_documents", "scan_pdf"]

DPI = 150
ARITHMETIC_DEFECTS = ("ROW_TOTAL_MISMATCH", "RESULT_TOTAL_MISMATCH", "BALANCE_MISMATCH", "APPEAL_TOTAL_MISMATCH")
_AGENCIES = (("安平县教育局", "department"), ("安平县人民政府", "government"), ("马店镇人民政府", "township"),
             ("安平县自然资源局", "department"))  # fmt: skip
_HEADING_ROOM = 34  # points kept above a page's first table: its section heading


@dataclass
class ScanDoc:
    """One scan-like document and its truth."""

    name: str
    pdf: bytes
    report: Report  # the true report (numbers as printed, defects included)
    defects: list[str]  # rules the injected defects must raise
    pages: int
    hints: dict = field(default_factory=dict)  # what a crawl would know (title, agency)


def degrade(png: bytes, rng: random.Random) -> bytes:
    """A clean page image made to look scanned; JPEG bytes."""
    import numpy as np
    from PIL import Image, ImageFilter

    img = Image.open(io.BytesIO(png)).convert("L")
    angle = rng.choice([-1, 1]) * rng.uniform(0.5, 2.0)
    img = img.rotate(angle, resample=Image.BICUBIC, expand=True, fillcolor=255)
    img = img.filter(ImageFilter.GaussianBlur(radius=rng.uniform(0.3, 0.7)))
    arr = np.asarray(img).astype(np.float32)
    nrng = np.random.default_rng(rng.randrange(2**32))
    arr = arr * rng.uniform(0.82, 0.92) + rng.uniform(10, 24)  # grey paper, weaker ink
    arr += nrng.normal(0, rng.uniform(5, 11), arr.shape)
    speckle = nrng.random(arr.shape) < rng.uniform(0.0005, 0.002)
    arr[speckle] = nrng.uniform(0, 120, int(speckle.sum()))
    out = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    buf = io.BytesIO()
    out.save(buf, "JPEG", quality=rng.randint(30, 60))  # block artefacts
    return buf.getvalue()


def _table_bands(pdf: bytes) -> list[tuple[int, float, float]]:
    import pdfplumber

    out = []
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        for i, page in enumerate(doc.pages):
            boxes = [t.bbox for t in page.find_tables({"vertical_strategy": "lines", "horizontal_strategy": "lines"})]
            if boxes:
                top = max(0.0, min(b[1] for b in boxes) - _HEADING_ROOM)
                out.append((i, top, min(float(page.height), max(b[3] for b in boxes) + 6)))
    return out


def _rasterise(pdf: bytes, bands: list[tuple[int, float, float]] | None) -> list[bytes]:
    import pypdfium2 as pdfium

    out = []
    doc = pdfium.PdfDocument(pdf)
    try:
        todo = bands if bands is not None else [(i, None, None) for i in range(len(doc))]
        for i, top, bottom in todo:
            img = doc[i].render(scale=DPI / 72, grayscale=True).to_pil()
            if top is not None and bottom is not None:
                img = img.crop((0, round(top * DPI / 72), img.width, round(bottom * DPI / 72)))
            buf = io.BytesIO()
            img.save(buf, "PNG")
            out.append(buf.getvalue())
    finally:
        doc.close()
    return out


def scan_pdf(report: Report, rng: random.Random, *, bands_only: bool = True) -> tuple[bytes, int]:
    """(image-only PDF, pages) of ``report`` printed and scanned."""
    from PIL import Image


    clean = render_pdf(report)
    pngs = _rasterise(clean, _table_bands(clean) if bands_only else None)
    images = [Image.open(io.BytesIO(degrade(p, rng))) for p in pngs]
    buf = io.BytesIO()
    images[0].save(buf, "PDF", save_all=True, append_images=images[1:], resolution=DPI)
    return buf.getvalue(), len(images)


def scan_documents(n: int = 24, seed: int = 20261204, *, bands_only: bool = True) -> list[ScanDoc]:
    """``n`` scan-like documents; all but every sixth carry one injected arithmetic defect."""
    rng = random.Random(seed)
    docs = []
    for i in range(n):
        agency, kind = _AGENCIES[i % len(_AGENCIES)]
        year = rng.randint(2021, 2024)
        defect = None if i % 6 == 5 else ARITHMETIC_DEFECTS[i % len(ARITHMETIC_DEFECTS)]
        gen: Generated = build_report(agency, kind, year, rng, county="安平县", portal="http://www.anping.gov.cn",
                                      defect=defect)
        pdf, pages = scan_pdf(gen.report, rng, bands_only=bands_only)
        docs.append(ScanDoc(f"scan-{i:02d}-{defect or 'clean'}", pdf, gen.report, [d["rule"] for d in gen.defects],
                            pages, hints={"title": gen.report.title or "", "agency": agency}))
    return docs
