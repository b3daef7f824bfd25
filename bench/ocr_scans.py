"""OCR accuracy on scan-like PDFs: ``python -m bench.ocr_scans [--docs N] [--full-pages]``.

Documents come from :func:`nianbao.sandbox.scans.scan_documents` (generated reports with injected
arithmetic defects, printed, rotated 0.5–2°, noisy, JPEG-compressed, tables split over pages,
image-only PDF).  Each is read as a crawl would (title and agency from the crawl context) and
audited.  Printed:

- cells right: value cells read as printed / all value cells;
- wrong numbers: cells read as a number other than the one printed (must be 0);
- unreadable: cells left ``null`` (``unreadable``), with or without candidates;
- repaired: OCR readings rejected as is and replaced by the one candidate the identities confirm;
- documents with false findings: any accusing rule (arithmetic, invalid value, missing table)
  that was not injected;
- injected defects found;
- pages/s (CPU and wall).
"""

from __future__ import annotations

import argparse
import sys
import time

ACCUSING = (
    "ROW_TOTAL_MISMATCH", "RESULT_TOTAL_MISMATCH", "BALANCE_MISMATCH", "APPEAL_TOTAL_MISMATCH",
    "INVALID_VALUE", "MISSING_TABLE", "CHANGE_MISMATCH", "NARRATIVE_MISMATCH",
)  # fmt: skip
TARGETS = {"cells": 0.99, "wrong": 0, "false_docs": 0, "defects": 0.95}


def run(n: int, bands_only: bool, verbose: bool) -> dict[str, float]:
    from nianbao.parsers import read
    from nianbao.rules.registry import audit
    from nianbao.sandbox.scans import scan_documents

    t0 = time.time()
    docs = scan_documents(n, bands_only=bands_only)
    print(f"generated {len(docs)} documents, {sum(d.pages for d in docs)} pages in {time.time() - t0:.1f} s")
    right = wrong = unreadable = total = repaired = pages = 0
    false_docs, found, injected = 0, 0, 0
    cpu0, wall0 = time.process_time(), time.time()
    for doc in docs:
        report = read(doc.pdf, f"{doc.name}.pdf", hints=doc.hints)
        audit(report)
        pages += doc.pages
        for table in ("disclosure", "applications", "appeals"):
            for row, cols in doc.report.table(table).items():
                for col, truth in cols.items():
                    if truth.value is None:
                        continue
                    total += 1
                    cell = report.table(table).get(row, {}).get(col)
                    if cell is not None and cell.note and "repaired" in cell.note:
                        repaired += 1
                    if cell is not None and cell.value is not None and cell.value == truth.value:
                        right += 1
                    elif cell is not None and cell.value is not None:
                        wrong += 1
                        print(f"  WRONG {doc.name} {table}.{row}.{col}: printed {truth.value}, read {cell.value} "
                              f"(raw {cell.raw!r}, note {cell.note})")
                    else:
                        unreadable += 1
                        if verbose:
                            print(f"  unread {doc.name} {table}.{row}.{col}: printed {truth.value}, raw {cell.raw if cell else None!r}, "
                                  f"note {cell.note if cell else 'missing'}")
        rules = {f.rule for f in report.findings}
        false = sorted((rules & set(ACCUSING)) - set(doc.defects))
        if false:
            false_docs += 1
            print(f"  FALSE {doc.name}: {', '.join(false)}")
        for rule in doc.defects:
            injected += 1
            found += rule in rules
            if rule not in rules:
                print(f"  missed {doc.name}: injected {rule} not found")
    cpu, wall = time.process_time() - cpu0, time.time() - wall0
    print(f"cells right {right}/{total} ({right / max(total, 1):.2%}), wrong numbers {wrong}, "
          f"unreadable {unreadable}, repaired by identities {repaired}")
    print(f"documents with false findings {false_docs}/{len(docs)}, injected defects found {found}/{injected} "
          f"({found / max(injected, 1):.1%})")
    print(f"{pages} pages: {pages / cpu:.2f} pages/CPU-s, {pages / wall:.2f} pages/s wall")
    return {"cells": right / max(total, 1), "wrong": wrong, "false_docs": false_docs,
            "defects": found / max(injected, 1)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--docs", type=int, default=24)
    ap.add_argument("--full-pages", action="store_true", help="OCR whole pages, not only the table bands")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)
    got = run(args.docs, not args.full_pages, args.verbose)
    ok = (got["cells"] >= TARGETS["cells"] and got["wrong"] == 0 and got["false_docs"] == 0
          and got["defects"] >= TARGETS["defects"])
    print("PASS" if ok else "FAIL", "targets: cells right >= 99%, wrong numbers 0, false findings 0, defects >= 95%")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
