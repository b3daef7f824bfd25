"""Hostile inputs: time and peak memory of reading each, one fresh process per case.

``python -m bench.hostile_inputs`` prints seconds and peak RSS per case (span bomb, lying DOCX,
XLSX of 300,000 and 1,048,576 rows, a 1 GB sparse ``.pdf`` given to ``nianbao ingest``) and the
message each is refused with.  Issue 14's figures before the fixes: a 15.8 KB span bomb 22 s /
2.0 GB, a 1,048,576-row XLSX 567 MB, a 1 GB ``.pdf`` 110 s / 2.1 GB.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CASE = r'''
import json, resource, sys, time
sys.path.insert(0, {root!r})
from tests import test_hardening_bounds as h
from nianbao.parsers.dispatch import read_document
kind = {kind!r}
if kind == "span_bomb":
    data = h._span_bomb(1500)
elif kind == "docx_lies":
    data = h._lie_about_sizes(h._rezip(h._docx_bytes(), {{"word/padding.xml": b"<!--" + b" " * (60 << 20) + b"-->"}}),
                              "word/padding.xml", 1024)
elif kind == "xlsx_300k":
    data = h._xlsx_rows(300_000)
else:
    data = h._xlsx_rows(1_048_576)
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
report = read_document(data, kind)
print(json.dumps({{"case": kind, "input_kb": len(data) // 1024, "seconds": round(time.perf_counter() - t0, 3),
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss >> 10,
                  "grown_mb": (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) >> 10,
                  "error": (report.errors or [""])[0][:160]}}, ensure_ascii=False))
'''


def _case(kind: str) -> dict:
    done = subprocess.run([sys.executable, "-c", CASE.format(root=str(ROOT), kind=kind)], capture_output=True,
                          text=True, timeout=600, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _big_file() -> dict:
    import resource
    import time

    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "big.pdf"
        with big.open("wb") as fh:
            fh.truncate(1 << 30)
        t0 = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", "from nianbao.cli import main; main()", "ingest", str(big),
                               "--db", str(Path(tmp) / "n.db")], capture_output=True, text=True, timeout=600)
        seconds = time.perf_counter() - t0
        blobs = sum(p.stat().st_size for p in Path(tmp, "n.db.files").rglob("*") if p.is_file()) \
            if Path(tmp, "n.db.files").exists() else 0
    return {"case": "ingest 1 GB .pdf", "seconds": round(seconds, 2),
            "rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss >> 10, "blob_bytes": blobs,
            "error": done.stderr.strip()[:160]}


def main() -> None:
    for kind in ("span_bomb", "docx_lies", "xlsx_300k", "xlsx_1m"):
        print(json.dumps(_case(kind), ensure_ascii=False))
    print(json.dumps(_big_file(), ensure_ascii=False))


if __name__ == "__main__":
    main()
