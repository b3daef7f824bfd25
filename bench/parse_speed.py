"""Parse speed: reports read + audited per second on one core, per document format.

``python -m bench.parse_speed [--seconds N] [--no-profile]``; target >= 200 reports/s.

Rates are per CPU-second of this process (``time.process_time``): the machine is shared, so
wall time mostly measures the neighbours (it is printed too).  Each format is timed in a few
rounds and the best round is kept, which is the figure least disturbed by other processes.
With profiling on, a second pass under cProfile prints where the time goes: the share of
each stage (decode, HTML tree, walk, mapping, metadata, audit...) and the top functions.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from collections.abc import Callable
from pathlib import Path

from nianbao.rules.registry import audit

ROOT = Path(__file__).resolve().parent.parent
TARGET = 200.0

# stage -> (file suffix, function name) whose cumulative time is the stage's
STAGES: list[tuple[str, str, str]] = [
    ("decode bytes", "parsers/encoding.py", "decode"),
    ("HTML reader (lxml tree + walk + grids)", "parsers/html.py", "read_html"),
    ("  of which grids (rowspan/colspan)", "parsers/grid.py", "table_to_grid"),
    ("text reader", "parsers/text.py", "read_text"),
    ("mapping (sections, tables)", "parsers/mapping.py", "map_extracted"),
    ("  of which metadata", "parsers/metadata.py", "fill"),
    ("  of which classify", "parsers/classify.py", "apply"),
    ("audit (rules)", "rules/registry.py", "audit"),
]


def _corpus() -> dict[str, list[tuple[str, bytes]]]:
    """Documents per format: the seeds and old-format text, the HTML corpus, and the seeds
    re-published as official-template and Word-exported pages (when the sandbox renderer exists)."""
    docs: dict[str, list[tuple[str, bytes]]] = {"text": [], "html-official": [], "html-word": [], "html-other": []}
    for p in sorted((ROOT / "tests/data/seeds").glob("*.txt")):
        docs["text"].append((str(p), p.read_bytes()))
    for p in sorted((ROOT / "tests/data/corpus").glob("p20*.txt")):
        docs["text"].append((str(p), p.read_bytes()))
    for p in [*sorted((ROOT / "tests/data/corpus").glob("*.html")), *sorted((ROOT / "tests/data/html").glob("*.html"))]:
        if p.name.startswith(("L0", "R0")):  # list pages and page heads, not reports
            continue
        docs["html-other"].append((str(p), p.read_bytes()))
    try:
        from nianbao.parsers import read
        from nianbao.sandbox import render

        for src, data in docs["text"][:5]:
            rep = read(data, src)
            for style in ("official", "word"):
                docs[f"html-{style}"].append((f"{src}@{style}", render.render_page(rep, style).encode("utf-8")))
    except Exception as exc:  # the renderer is another part's work
        print(f"note: no rendered pages ({type(exc).__name__}: {exc})", file=sys.stderr)
    return {k: v for k, v in docs.items() if v}


def _audit() -> Callable:
    return audit


def _once(docs: list[tuple[str, bytes]], audit: Callable | None) -> None:
    from nianbao.parsers import read

    for src, data in docs:
        rep = read(data, src)
        if audit is not None:
            audit(rep)


def measure(docs: list[tuple[str, bytes]], audit: Callable | None, seconds: float, rounds: int = 5) -> tuple[float, float]:
    """(reports per CPU-second, reports per wall-second), best of ``rounds``."""
    _once(docs, audit)  # warm caches and imports
    best_cpu = best_wall = 0.0
    per_round = seconds / rounds
    for _ in range(rounds):
        n, c0, t0 = 0, time.process_time(), time.perf_counter()
        while time.process_time() - c0 < per_round:
            _once(docs, audit)
            n += len(docs)
        best_cpu = max(best_cpu, n / (time.process_time() - c0))
        best_wall = max(best_wall, n / (time.perf_counter() - t0))
    return best_cpu, best_wall


def breakdown(docs: list[tuple[str, bytes]], audit: Callable | None, top: int = 8) -> list[str]:
    """Share of each stage and the top functions by own time, from one cProfile pass."""
    prof = cProfile.Profile()
    c0 = time.process_time()
    prof.enable()
    while time.process_time() - c0 < 1.0:  # enough passes that a neighbour's burst averages out
        _once(docs, audit)
    prof.disable()
    stats = pstats.Stats(prof).stats  # type: ignore[attr-defined]
    total = sum(tt for (_, _, _), (_, _, tt, _, _) in stats.items())
    lines = []
    for label, suffix, name in STAGES:
        cum = sum(ct for (f, _, fn), (_, _, _, ct, _) in stats.items() if fn == name and f.endswith(suffix))
        if cum:
            lines.append(f"    {label:42s} {100 * cum / total:5.1f}%")
    own = sorted(stats.items(), key=lambda kv: kv[1][2], reverse=True)[:top]
    lines.append("    top functions by own time:")
    for (f, line, fn), (_, calls, tt, _, _) in own:
        where = f"{Path(f).parent.name}/{Path(f).name}:{line}" if f != "~" else "builtin"
        lines.append(f"      {100 * tt / total:5.1f}%  {fn} ({where}, {calls} calls)")
    return lines


def run(seconds: float = 3.0, profile: bool = False) -> dict[str, float]:
    audit = _audit()
    rates: dict[str, float] = {}
    what = "read + audited" if audit else "read"
    print(f"reports {what} per second, one core (target {TARGET:.0f}/s per CPU-second)")
    for kind, docs in _corpus().items():
        cpu, wall = measure(docs, audit, seconds)
        rates[kind] = cpu
        size = sum(len(d) for _, d in docs) / len(docs) / 1024
        verdict = f"ok ({cpu / TARGET:.2f}x target)" if cpu >= TARGET else f"BELOW target ({cpu / TARGET:.2f}x)"
        print(f"{kind:14s} {cpu:7.1f}/s CPU  {wall:7.1f}/s wall  ({len(docs)} docs, mean {size:6.1f} KiB)  {verdict}")
        if profile:
            print("\n".join(breakdown(docs, audit)))
    return rates


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=3.0, help="CPU seconds per document format")
    ap.add_argument("--no-profile", action="store_true", help="skip the where-the-time-goes breakdown")
    args = ap.parse_args(argv)
    rates = run(args.seconds, profile=not args.no_profile)
    return 0 if all(r >= TARGET for r in rates.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
