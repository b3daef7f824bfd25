"""Reading speed per format on the same generated report: ``python -m bench.attach_speed``.

Formats: HTML (nianbao.sandbox.render), DOCX, PDF with a text layer (LibreOffice), scanned PDF (OCR)
and PNG pages (OCR).  Each is read end to end with ``nianbao.parsers.read``; prints documents/s,
seconds per page and how many section 3 cells came out equal to the source report.
"""

from __future__ import annotations

import argparse
import io
import random
import time


def _report(seed: int):
    from nianbao.sandbox.reports import build_report

    return build_report("某某县人民政府", "government", 2023, random.Random(seed), county="某某县",
                        portal="www.example.gov.cn").report


def _cells_right(src, got) -> tuple[int, int]:
    right = total = 0
    for row, cols in src.applications.items():
        for col, cell in cols.items():
            total += 1
            other = got.applications.get(row, {}).get(col)
            right += other is not None and other.value == cell.value
    return right, total


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=3, help="runs for the fast formats")
    ap.add_argument("--no-ocr", action="store_true", help="skip the OCR formats")
    args = ap.parse_args(argv)

    from PIL import Image

    from nianbao.parsers import read
    from nianbao.sandbox.render_office import docx_to_pdf, pdf_to_png, render_docx, scanned

    rep = _report(args.seed)
    docx = render_docx(rep)
    pdf = docx_to_pdf(docx)
    pngs = pdf_to_png(pdf, dpi=150)
    scans = [Image.open(io.BytesIO(scanned(p, args.seed + i))).convert("L") for i, p in enumerate(pngs)]
    buf = io.BytesIO()
    scans[0].save(buf, "PDF", save_all=True, append_images=scans[1:], resolution=150)
    pages = len(pngs)
    cases: list[tuple[str, list[bytes], int, int]] = []
    try:
        from nianbao.sandbox.render import render_official

        cases.append(("HTML", [render_official(rep).encode("utf-8")], 1, args.repeat))
    except ImportError:
        pass
    cases += [("DOCX", [docx], pages, args.repeat), ("PDF text", [pdf], pages, args.repeat)]
    if not args.no_ocr:
        cases += [("PDF scanned (OCR)", [buf.getvalue()], pages, 1), ("PNG pages (OCR)", pngs, pages, 1)]

    print(f"report seed {args.seed}: {pages} pages as PDF")
    print(f"{'format':<20} {'docs/s':>8} {'s/page':>8} {'sec3 cells right':>18}")
    for name, parts, npages, repeat in cases:
        t0 = time.perf_counter()
        for _ in range(repeat):
            if len(parts) == 1:
                got = read(parts[0], f"bench.{name}")
                right, total = _cells_right(rep, got)
            else:  # one image per page: OCR each, map the pages together as one document
                from nianbao.parsers.attachments import extract
                from nianbao.parsers.blocks import Extracted
                from nianbao.parsers.layout_geom import align_continued
                from nianbao.parsers.mapping import map_extracted

                ex = Extracted(read_by="ocr")
                for i, p in enumerate(parts):
                    ex.blocks.extend(extract("png", p, f"p{i}").blocks)
                align_continued(ex.blocks)
                right, total = _cells_right(rep, map_extracted(ex, f"bench.{name}"))
        dt = (time.perf_counter() - t0) / repeat
        print(f"{name:<20} {1 / dt:>8.2f} {dt / npages:>8.2f} {right:>10}/{total}")


if __name__ == "__main__":
    main()
