"""Parse speed: reports read + audited per second on one core, for text and HTML.

``python -m bench.parse_speed [--seconds N] [--profile]``; target >= 200 reports/s.
Prints where the time goes (cProfile, top entries by cumulative time).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = 200.0


def _corpus() -> dict[str, list[tuple[str, bytes]]]:
    docs: dict[str, list[tuple[str, bytes]]] = {"text": [], "html": []}
    for p in sorted((ROOT / "tests/data/seeds").glob("*.txt")):
        docs["text"].append((str(p), p.read_bytes()))
    for p in sorted((ROOT / "tests/data/corpus").glob("p20*.txt")):
        docs["text"].append((str(p), p.read_bytes()))
    for p in [*sorted((ROOT / "tests/data/corpus").glob("*.html")), *sorted((ROOT / "tests/data/html").glob("*.html"))]:
        if p.name.startswith(("L0", "R0")):
            continue
        docs["html"].append((str(p), p.read_bytes()))
    try:  # the seeds as the official template and as Word HTML, when the sandbox renderer exists
        from parsers import read
        from sandbox import render

        for src, data in docs["text"][:5]:
            rep = read(data, src)
            for style in ("official", "word"):
                docs["html"].append((f"{src}@{style}", render.render_page(rep, style).encode("utf-8")))
    except Exception:
        pass
    return docs


def _audit():
    try:
        import rules.checks  # noqa: F401

        from rules.registry import audit

        return audit
    except ImportError:
        print("note: rules.checks not available; timing reading only", file=sys.stderr)
        return None


def run(seconds: float = 3.0, profile: bool = False) -> dict[str, float]:
    from parsers import read

    audit = _audit()
    rates: dict[str, float] = {}
    for kind, docs in _corpus().items():
        if not docs:
            continue
        prof = cProfile.Profile() if profile else None
        # CPU time of this process: the machine is shared, so wall time would measure the neighbours
        n, t0, c0 = 0, time.perf_counter(), time.process_time()
        if prof:
            prof.enable()
        while time.perf_counter() - t0 < seconds:
            for src, data in docs:
                rep = read(data, src)
                if audit is not None:
                    audit(rep)
                n += 1
        elapsed = time.process_time() - c0
        wall = time.perf_counter() - t0
        if prof:
            prof.disable()
        rates[kind] = n / elapsed
        size = sum(len(d) for _, d in docs) / len(docs) / 1024
        verdict = "ok" if rates[kind] >= TARGET else f"BELOW target {TARGET:.0f}/s"
        print(
            f"{kind:5s}: {rates[kind]:7.1f} reports/s per CPU-second ({n / wall:.1f}/s wall clock; "
            f"{len(docs)} documents, mean {size:.1f} KiB) {verdict}"
        )
        if prof:
            out = io.StringIO()
            pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(18)
            lines = [ln for ln in out.getvalue().splitlines() if ln.strip()]
            print("\n".join(lines[:30]))
    return rates


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=3.0, help="time per document kind")
    ap.add_argument("--no-profile", action="store_true", help="skip the cProfile breakdown")
    args = ap.parse_args(argv)
    rates = run(args.seconds, profile=not args.no_profile)
    return 0 if all(r >= TARGET for r in rates.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
