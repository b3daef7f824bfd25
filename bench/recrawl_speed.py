"""First vs second crawl of an unchanged sandbox: bytes transferred and time (conditional requests).

Aims: the second crawl downloads at most 10% of the first's bytes and is at least 3x faster.
Run: ``.venv/bin/python -m bench.recrawl_speed [--seed 5] [--size 2]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CRAWL = ["-s", "NIANBAO_BROWSER=False", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8",
         "-s", "NIANBAO_CRAWL_DELAY_ENABLED=False", "-s", "RETRY_BACKOFF_BASE=0.1"]


def crawl(sites: Path, db: Path, proxy: str) -> tuple[float, dict]:
    from nianbao.storage.store import Store

    env = dict(os.environ, http_proxy=proxy, HTTP_PROXY=proxy)
    env.pop("no_proxy", None)
    env.pop("NO_PROXY", None)
    t = time.monotonic()
    p = subprocess.run([sys.executable, "-m", "nianbao.cli", "crawl", "--sites", str(sites), "--db", str(db),
                        "--quiet", *CRAWL], env=env, capture_output=True, text=True)
    seconds = time.monotonic() - t
    if p.returncode != 0:
        raise SystemExit(f"crawl failed: {p.stderr[-2000:]}")
    with Store(db) as store:
        stats = json.loads(store.query("SELECT stats FROM runs WHERE kind = 'crawl' ORDER BY id DESC LIMIT 1")[0]
                           ["stats"])
    return seconds, stats


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--size", type=int, default=2)
    args = ap.parse_args()
    from nianbao.sandbox.network import generate
    from nianbao.sandbox.server import running

    net = generate(args.seed, args.size)
    with tempfile.TemporaryDirectory() as tmp, running(net) as proxy:
        sites = Path(tmp) / "sites.csv"
        sites.write_text(net.sites_csv(departments=True), encoding="utf-8")
        db = Path(tmp) / "bench.db"
        rows = []
        for label in ("first", "second"):
            seconds, s = crawl(sites, db, proxy)
            rows.append((label, seconds, s.get("downloader/response_bytes", 0), s.get("downloader/request_count", 0),
                         s.get("nianbao/not_modified", 0), s.get("nianbao/unchanged_reports", 0),
                         s.get("nianbao/reports", 0)))
    print(f"sandbox seed={args.seed} size={args.size}")
    print(f"{'crawl':8}{'seconds':>9}{'bytes':>12}{'requests':>10}{'304':>6}{'unchanged':>11}{'re-read':>9}")
    for label, sec, b, req, nm, un, rep in rows:
        print(f"{label:8}{sec:9.1f}{b:12d}{req:10d}{nm:6d}{un:11d}{rep:9d}")
    (_, t1, b1, *_), (_, t2, b2, *_) = rows
    ratio, speed = b2 / max(b1, 1), t1 / max(t2, 1e-9)
    print(f"second/first bytes: {ratio:.1%} (aim <= 10%)   speed-up: {speed:.1f}x (aim >= 3x)")


if __name__ == "__main__":
    main()
