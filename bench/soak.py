"""Soak test: a long crawl of a large simulated network; memory must stay flat.

``python -m bench.soak --pages 100000`` generates enough portals for that many requests
(some with ``render=always``, so Chromium is used throughout), serves them from this process,
runs ``nianbao crawl`` in a subprocess through the sandbox proxy and prints, every ``--every``
pages: RSS of the crawler (with its parsing workers), RSS of Chromium (every browser process
under the crawler), Chromium renderer processes (open pages), pages/s.  At the end it checks
that the crawler's RSS at ``--pages`` is within ``--tolerance`` (20 %) of its RSS at 20 % of
the run.  ``--pages 5000`` is a quick check.  Output also goes to ``--log`` if given.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PAGES_PER_PORTAL = 55  # requests a portal of the sandbox costs a crawl, roughly (measured: 3462 for 62)


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat", encoding="latin-1") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        kids.setdefault(ppid, []).append(int(d))
    return kids


def _descendants(pid: int) -> list[int]:
    kids, out, todo = _children(), [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += kids.get(p, [])
    return out


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="latin-1") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


def sample(pid: int) -> dict[str, float]:
    """RSS (MB) of the crawler side and of Chromium under ``pid``; Chromium renderers."""
    crawler = chromium = 0
    renderers = 0
    for p in _descendants(pid):
        cmd = _cmdline(p)
        rss = _rss_kb(p)
        if "chromium" in cmd or "chrome" in cmd.split(" ", 1)[0] or "headless_shell" in cmd:
            chromium += rss
            renderers += "--type=renderer" in cmd
        elif "playwright/driver" in cmd:
            chromium += rss  # the Playwright driver (node) belongs to the browser side
        else:
            crawler += rss
    return {"crawler_mb": crawler / 1024, "chromium_mb": chromium / 1024, "renderers": renderers}


def sites_csv(network, browser_share: float) -> str:
    """The site list, ``render=always`` on every n-th portal (the browser is exercised all along)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["agency", "url", "level", "region", "parent", "render"])
    every = max(1, round(1 / browser_share)) if browser_share > 0 else 0
    for i, s in enumerate(network.sites):
        render = "always" if every and i % every == every - 1 else "auto"
        w.writerow([s["agency"], s["url"], s["level"], s["region"], s["parent"], render])
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pages", type=int, default=100_000)
    ap.add_argument("--every", type=int, default=0, help="print every N pages (default: pages/20)")
    ap.add_argument("--seed", type=int, default=2025)
    ap.add_argument("--browser-share", type=float, default=0.05, help="share of portals rendered by Chromium")
    ap.add_argument("--tolerance", type=float, default=0.20)
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--log", default=None)
    args = ap.parse_args(argv)

    from crawler.demo import proxy_env
    from sandbox.network import generate
    from sandbox.server import running

    log_fh = open(args.log, "a", encoding="utf-8") if args.log else None  # noqa: SIM115

    def say(text: str) -> None:
        print(text, flush=True)
        if log_fh:
            log_fh.write(text + "\n")
            log_fh.flush()

    every = args.every or max(500, args.pages // 20)
    size = max(2, int(args.pages * 1.15 / PAGES_PER_PORTAL) + 1)
    work = Path(args.workdir or tempfile.mkdtemp(prefix="nianbao-soak-"))
    work.mkdir(parents=True, exist_ok=True)
    db = work / "soak.db"
    for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        p.unlink(missing_ok=True)
    for d in (Path(f"{db}.files"), Path(f"{db}.job")):
        shutil.rmtree(d, ignore_errors=True)
    t = time.monotonic()
    net = generate(args.seed, size)
    net.count_requests = True
    (work / "sites.csv").write_text(sites_csv(net, args.browser_share), encoding="utf-8")
    say(f"soak: {size} portals (seed {args.seed}) planned in {time.monotonic() - t:.1f} s; target {args.pages} "
        f"pages; store {db}")
    settings = ["AUTOTHROTTLE_ENABLED=False", "CONCURRENT_REQUESTS=32", "CONCURRENT_REQUESTS_PER_DOMAIN=8",
                "NIANBAO_CRAWL_DELAY_ENABLED=False", "RETRY_BACKOFF_BASE=0.2", "LOG_LEVEL=ERROR"]
    cmd = [sys.executable, "-m", "crawler", "crawl", "--sites", str(work / "sites.csv"), "--db", str(db), "--quiet"]
    for s in settings:
        cmd += ["-s", s]
    rows: list[tuple[int, dict[str, float]]] = []
    with running(net) as proxy:
        proc = subprocess.Popen(cmd, env=proxy_env(proxy), stdout=subprocess.DEVNULL, stderr=open(work / "crawl.err", "w"),  # noqa: SIM115
                                start_new_session=True)
        started = time.monotonic()
        next_mark = every
        last_pages, last_t = 0, started
        peak = {"crawler_mb": 0.0, "chromium_mb": 0.0, "renderers": 0}
        say(f"{'pages':>8} {'s':>7} {'pages/s':>8} {'crawler MB':>11} {'chromium MB':>12} {'renderers':>9}")
        try:
            while proc.poll() is None:
                time.sleep(1.0)
                pages = sum(net.requests.values())
                s = sample(proc.pid)
                for k in peak:
                    peak[k] = max(peak[k], s[k])
                if pages >= next_mark or pages >= args.pages:
                    now = time.monotonic()
                    rate = (pages - last_pages) / max(1e-6, now - last_t)
                    last_pages, last_t = pages, now
                    rows.append((pages, s))
                    say(f"{pages:>8} {now - started:>7.0f} {rate:>8.0f} {s['crawler_mb']:>11.0f} "
                        f"{s['chromium_mb']:>12.0f} {s['renderers']:>9.0f}")
                    while next_mark <= pages:
                        next_mark += every
                if pages >= args.pages:
                    break
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
    total = sum(net.requests.values())
    elapsed = time.monotonic() - started
    say(f"done: {total} pages in {elapsed:.0f} s ({total / max(1e-6, elapsed):.0f} pages/s); peak crawler "
        f"{peak['crawler_mb']:.0f} MB, peak chromium {peak['chromium_mb']:.0f} MB, peak renderers {peak['renderers']:.0f}")
    if len(rows) < 2:
        say("not enough samples for a memory verdict")
        return 1
    early_at = 0.2 * rows[-1][0]
    early = min(rows, key=lambda r: abs(r[0] - early_at))
    late = rows[-1]
    growth = late[1]["crawler_mb"] / max(1e-6, early[1]["crawler_mb"]) - 1
    ok = growth <= args.tolerance
    say(f"crawler RSS {early[1]['crawler_mb']:.0f} MB at {early[0]} pages -> {late[1]['crawler_mb']:.0f} MB at "
        f"{late[0]} pages: {growth:+.0%} ({'OK' if ok else 'TOO MUCH'}, tolerance {args.tolerance:.0%})")
    if log_fh:
        log_fh.close()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
