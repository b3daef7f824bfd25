"""The scan-like PDF generator: image-only pages, tilted and noisy, injected defects recorded."""

from __future__ import annotations

import io
import random

from nianbao.sandbox.scans import ARITHMETIC_DEFECTS, degrade, scan_documents


def test_documents_are_image_only_with_their_truth():
    import pdfplumber

    docs = scan_documents(6)
    assert len(docs) == 6
    assert sum(1 for d in docs if d.defects) == 5 and all(set(d.defects) <= set(ARITHMETIC_DEFECTS) for d in docs)
    assert any(d.pages >= 3 for d in docs)  # the section 3 table runs over a page break
    with pdfplumber.open(io.BytesIO(docs[0].pdf)) as pdf:
        assert len(pdf.pages) == docs[0].pages
        assert all(not page.chars and page.images for page in pdf.pages)
    assert docs[0].report.applications and docs[0].hints["agency"]
    again = scan_documents(2)[1]  # seeded: the same report, pages and image sizes
    assert again.report.to_contract() == docs[1].report.to_contract() and again.pages == docs[1].pages
    assert abs(len(again.pdf) - len(docs[1].pdf)) < 200


def test_degrade_tilts_and_compresses():
    import numpy as np
    from PIL import Image

    clean = Image.new("L", (400, 300), 255)
    for x in range(40, 360):
        clean.putpixel((x, 150), 0)  # one horizontal rule
    buf = io.BytesIO()
    clean.save(buf, "PNG")
    out = Image.open(io.BytesIO(degrade(buf.getvalue(), random.Random(3))))
    assert out.format == "JPEG" and out.size != clean.size  # rotated with expansion
    arr = np.asarray(out)
    rows = np.where((arr < 100).sum(axis=1) > 20)[0]
    assert rows.max() - rows.min() >= 5  # the rule is no longer on one row of pixels
