"""Soak test: a long crawl of a large simulated network; memory must stay flat.

``python -m bench.soak --pages 100000`` generates enough portals for that many requests
(some with ``render=always``, so Chromium is used throughout), serves them from this process,
runs ``nianbao crawl`` in a subprocess through the sandbox proxy and prints, every ``--every``
pages: RSS of the crawler (with its parsing workers), RSS of Chromium (every browser process
under the crawler), Chromium renderer processes (open pages), pages/s.  At the end it checks
that the crawler's RSS at ``--pages`` is within ``--tolerance`` (20 %) of its RSS at 20 % of
the run, that Chromium's open pages/contexts stayed within their bound and that pages/s did not
decay, and prints PASS/FAIL per criterion with the machine it ran on.  ``--pages 5000`` is a
quick check.  Output also goes to ``--log`` if given.

Network variant: by default reports planned as PDF (``pdf``, ``html+pdf``) are served as HTML
pages (``--pdf keep`` keeps them): reading a PDF costs ~0.3-1.3 s of CPU, which would make a
100,000-page soak take hours on two cores without telling more about memory.  Reports that are
a PDF file themselves (``direct-pdf``) and every DOCX attachment stay, so every reader runs.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import platform
import shutil
import signal
import sqlite3
import statistics
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
    """RSS (MB) of the crawler side (``main``: the crawl process alone) and of Chromium under ``pid``;
    Chromium renderer processes (one per open page, plus Chromium's own spare)."""
    crawler = chromium = 0
    renderers = browser = 0
    for p in _descendants(pid):
        cmd = _cmdline(p)
        rss = _rss_kb(p)
        if "chromium" in cmd or "chrome" in cmd.split(" ", 1)[0] or "headless_shell" in cmd:
            chromium += rss
            browser += 1
            renderers += "--type=renderer" in cmd
        elif "playwright/driver" in cmd:
            chromium += rss  # the Playwright driver (node) belongs to the browser side
        else:
            crawler += rss
    return {"crawler_mb": crawler / 1024, "main_mb": _rss_kb(pid) / 1024, "chromium_mb": chromium / 1024,
            "renderers": renderers, "browser_procs": browser}


def html_instead_of_pdf(network) -> int:
    """Serve reports planned as PDF articles (``pdf``, ``html+pdf``) as HTML pages; returns how many."""
    n = 0
    for p in network.plans:
        for r in p.reports:
            if r.fmt in ("pdf", "html+pdf"):
                r.fmt, r.attachments = "html", []
                n += 1
    return n


def browser_hosts(network, browser_share: float) -> set[str]:
    """Hosts of the portals :func:`sites_csv` marks ``render=always``."""
    return {h for i, p in enumerate(network.plans) if _rendered(i, browser_share) for h in p.hosts()}


def requests_to(network, hosts: set[str]) -> int:
    """Requests the network answered for ``hosts``."""
    out = 0
    for url, n in list(network.requests.items()):
        if url.split("/", 3)[2] in hosts:
            out += n
    return out


def hosts_begun(network) -> int:
    """Hosts whose robots.txt was asked for: how many portals (and sub-sites) the crawl has begun."""
    return sum(1 for url in list(network.requests) if url.endswith("/robots.txt"))


def _run(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "?"


def machine() -> str:
    """One line: cores, memory, CPU model, OS, Python, Scrapy, Playwright, Chromium."""
    cpu = mem = "?"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo", encoding="latin-1")
                   if line.startswith("model name"))
        mem_kb = next(int(line.split()[1]) for line in open("/proc/meminfo", encoding="latin-1")
                      if line.startswith("MemTotal"))
        mem = f"{mem_kb / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration):
        pass
    import scrapy

    try:
        from importlib.metadata import version

        pw = version("playwright")
    except Exception:  # noqa: BLE001
        pw = "?"
    from nianbao.crawler.settings import PLAYWRIGHT_LAUNCH_OPTIONS

    chromium = _run([PLAYWRIGHT_LAUNCH_OPTIONS["executable_path"], "--version"])
    return (f"nproc {os.cpu_count()}, {mem} RAM, {cpu}; {platform.system()} {platform.release()}; "
            f"Python {platform.python_version()}, Scrapy {scrapy.__version__}, Playwright {pw}, {chromium}")


def crawl_stats(db: Path) -> dict:
    """The stats the crawl stored for its run (written when it closes, also after SIGTERM)."""
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
        row = con.execute("SELECT stats FROM runs WHERE kind = 'crawl' ORDER BY id DESC LIMIT 1").fetchone()
        con.close()
        return json.loads(row[0]) if row and row[0] else {}
    except (sqlite3.Error, ValueError):
        return {}


def _nearest(rows: list[tuple[int, float, dict[str, float]]], pages: float):
    return min(rows, key=lambda r: abs(r[0] - pages))


def rate_between(rows: list[tuple[int, float, dict[str, float]]], lo: float, hi: float) -> float:
    """Pages/s between the samples nearest ``lo`` and ``hi`` pages."""
    a, b = _nearest(rows, lo), _nearest(rows, hi)
    if a is b:  # few samples: the interval ending at that sample
        i = rows.index(a)
        a, b = (rows[i - 1], a) if i else (a, rows[min(1, len(rows) - 1)])
    return (b[0] - a[0]) / max(1e-6, b[1] - a[1])


def _rendered(i: int, browser_share: float) -> bool:
    """Portal ``i`` is rendered by Chromium: the 2nd of every 1/share (portals start roughly in list
    order, so the browser is at work from the first minute to the last)."""
    every = max(1, round(1 / browser_share)) if browser_share > 0 else 0
    return bool(every) and i % every == min(1, every - 1)


def sites_csv(network, browser_share: float) -> str:
    """The site list, ``render=always`` on every n-th portal (the browser is exercised all along)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["agency", "url", "level", "region", "parent", "render"])
    for i, s in enumerate(network.sites):
        render = "always" if _rendered(i, browser_share) else "auto"
        w.writerow([s["agency"], s["url"], s["level"], s["region"], s["parent"], render])
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pages", type=int, default=100_000)
    ap.add_argument("--every", type=int, default=0, help="print every N pages (default: pages/20)")
    ap.add_argument("--seed", type=int, default=2025)
    ap.add_argument("--browser-share", type=float, default=0.05, help="share of portals rendered by Chromium")
    ap.add_argument("--pdf", choices=("html", "keep"), default="html",
                    help="html: reports planned as PDF articles are served as HTML (see the module doc)")
    ap.add_argument("--tolerance", type=float, default=0.20, help="allowed RSS growth from 20%% of the run to the end")
    ap.add_argument("--rate-tolerance", type=float, default=0.25,
                    help="allowed drop of pages/s (last 20%% of the run against 20-40%%)")
    ap.add_argument("--max-minutes", type=float, default=0,
                    help="stop after this long (0: no limit); the verdicts then cover the pages reached")
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--log", default=None)
    ap.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE", help="more crawl settings")
    args = ap.parse_args(argv)

    from nianbao.crawler import settings as crawl_settings
    from nianbao.sandbox.demo import proxy_env
    from nianbao.sandbox.network import generate
    from nianbao.sandbox.server import running

    log_fh = open(args.log, "a", encoding="utf-8") if args.log else None  # noqa: SIM115

    def say(text: str) -> None:
        print(text, flush=True)
        if log_fh:
            log_fh.write(text + "\n")
            log_fh.flush()

    every = args.every or max(500, args.pages // 20)
    size = max(2, int(args.pages * 1.25 / PAGES_PER_PORTAL) + 1)
    work = Path(args.workdir or tempfile.mkdtemp(prefix="nianbao-soak-"))
    work.mkdir(parents=True, exist_ok=True)
    db = work / "soak.db"
    for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        p.unlink(missing_ok=True)
    for d in (Path(f"{db}.files"), Path(f"{db}.job")):
        shutil.rmtree(d, ignore_errors=True)
    say(f"machine: {machine()}")
    t = time.monotonic()
    net = generate(args.seed, size)
    net.count_requests = True
    converted = html_instead_of_pdf(net) if args.pdf == "html" else 0
    n_reports = sum(1 for p in net.plans for r in p.reports if not (r.missing or r.removed))
    n_docx = sum(1 for p in net.plans for r in p.reports if r.fmt.endswith("docx"))
    n_pdf = sum(1 for p in net.plans for r in p.reports if r.fmt.endswith("pdf"))
    (work / "sites.csv").write_text(sites_csv(net, args.browser_share), encoding="utf-8")
    b_hosts = browser_hosts(net, args.browser_share)
    n_browser = sum(1 for i in range(len(net.plans)) if any(h in b_hosts for h in net.plans[i].hosts()))
    say(f"soak: {size} portals (seed {args.seed}, {n_browser} rendered by Chromium: render=always) planned in "
        f"{time.monotonic() - t:.1f} s; {n_reports} reports ({n_docx} DOCX, {n_pdf} PDF"
        + (f"; {converted} PDF-article reports served as HTML" if converted else "") + f"); target {args.pages} "
        f"pages (HTTP requests answered); parsing on; store {db}")
    settings = ["AUTOTHROTTLE_ENABLED=False", "CONCURRENT_REQUESTS=32", "CONCURRENT_REQUESTS_PER_DOMAIN=8",
                "NIANBAO_CRAWL_DELAY_ENABLED=False", "RETRY_BACKOFF_BASE=0.2", "LOG_LEVEL=ERROR", *args.set]
    say("crawl settings: " + " ".join(settings))
    cmd = [sys.executable, "-m", "nianbao.cli", "crawl", "--sites", str(work / "sites.csv"), "--db", str(db), "--quiet"]
    for s in settings:
        cmd += ["-s", s]
    rows: list[tuple[int, float, dict[str, float]]] = []
    with running(net) as proxy:
        proc = subprocess.Popen(cmd, env=proxy_env(proxy), stdout=subprocess.DEVNULL, stderr=open(work / "crawl.err", "w"),  # noqa: SIM115
                                start_new_session=True)
        started = time.monotonic()
        next_mark = every
        last_pages, last_t = 0, started
        peak = {"crawler_mb": 0.0, "main_mb": 0.0, "chromium_mb": 0.0, "renderers": 0}
        say(f"{'pages':>8} {'s':>6} {'pages/s':>7} {'crawler MB':>10} {'main MB':>8} {'chromium MB':>11} "
            f"{'renderers':>9} {'browser pages':>13} {'hosts begun':>11} {'load':>5}")
        stop: list[str] = []
        signal.signal(signal.SIGTERM, lambda *_: stop.append("SIGTERM"))
        signal.signal(signal.SIGINT, lambda *_: stop.append("SIGINT"))
        try:
            while proc.poll() is None and not stop:
                if args.max_minutes and time.monotonic() - started > 60 * args.max_minutes:
                    stop.append(f"time limit of {args.max_minutes:g} min")
                    break
                time.sleep(1.0)
                pages = sum(net.requests.values())
                s = sample(proc.pid)
                for k in peak:
                    peak[k] = max(peak[k], s[k])
                if pages >= next_mark or pages >= args.pages:
                    now = time.monotonic()
                    rate = (pages - last_pages) / max(1e-6, now - last_t)
                    last_pages, last_t = pages, now
                    rows.append((pages, now - started, s))
                    say(f"{pages:>8} {now - started:>6.0f} {rate:>7.0f} {s['crawler_mb']:>10.0f} {s['main_mb']:>8.0f} "
                        f"{s['chromium_mb']:>11.0f} {s['renderers']:>9.0f} {requests_to(net, b_hosts):>13} "
                        f"{hosts_begun(net):>11} {os.getloadavg()[0]:>5.1f}")
                    while next_mark <= pages:
                        next_mark += every
                if pages >= args.pages:
                    break
        finally:
            if proc.poll() is None:
                # a clean stop of the crawl process alone (it stores its stats and ends its parse
                # workers; a SIGTERM to the whole group killed the workers first: "parse pool broken")
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=120)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
    total = sum(net.requests.values())
    elapsed = time.monotonic() - started
    if stop:
        say(f"stopped early ({stop[0]}) at {total} of {args.pages} pages: the verdicts cover {total} pages")
    elif proc.returncode is not None and total < args.pages:
        say(f"the crawl ended (exit {proc.returncode}) at {total} of {args.pages} pages")
    stats = crawl_stats(db)
    say(f"done: {total} pages in {elapsed:.0f} s ({total / max(1e-6, elapsed):.0f} pages/s); peak crawler "
        f"{peak['crawler_mb']:.0f} MB (main process {peak['main_mb']:.0f} MB), peak chromium "
        f"{peak['chromium_mb']:.0f} MB, peak renderers {peak['renderers']:.0f}")
    say(f"crawl stats: reports {stats.get('nianbao/reports', '?')}, rendered requests "
        f"{stats.get('nianbao/rendered', '?')}, browser pages opened {stats.get('playwright/page_count', '?')} "
        f"(max open {stats.get('playwright/page_count/max_concurrent', '?')}), contexts "
        f"{stats.get('playwright/context_count', '?')} (max open "
        f"{stats.get('playwright/context_count/max_concurrent', '?')}), parse pool broken "
        f"{stats.get('nianbao/parse_pool_broken', 0)}, fetch errors {stats.get('nianbao/fetch_errors', 0)}")
    say(f"machine: {machine()}")
    if len(rows) < 3:
        say("not enough samples for a verdict")
        return 1
    verdicts: list[tuple[str, bool, str]] = []
    # memory: RSS at the end against RSS at 20 % of the run (the crawler with its parse workers)
    n = rows[-1][0]
    early, late = _nearest(rows, 0.2 * n), rows[-1]
    growth = late[2]["crawler_mb"] / max(1e-6, early[2]["crawler_mb"]) - 1
    verdicts.append(("crawler memory levels off", growth <= args.tolerance,
                     f"RSS {early[2]['crawler_mb']:.0f} MB at {early[0]} pages -> {late[2]['crawler_mb']:.0f} MB at "
                     f"{late[0]} pages: {growth:+.1%} (tolerance +{args.tolerance:.0%})"))
    # Chromium starts with the first page that needs it: compare from the first sample it runs in
    b_rows = [r for r in rows if r[2]["browser_procs"]]
    if len(b_rows) >= 2:
        b_early = _nearest(b_rows, max(b_rows[0][0], 0.2 * n))
        c_growth = late[2]["chromium_mb"] / max(1e-6, b_early[2]["chromium_mb"]) - 1
        verdicts.append(("chromium memory levels off", c_growth <= args.tolerance,
                         f"RSS {b_early[2]['chromium_mb']:.0f} MB at {b_early[0]} pages -> "
                         f"{late[2]['chromium_mb']:.0f} MB at {late[0]} pages: {c_growth:+.1%} "
                         f"(tolerance +{args.tolerance:.0%}; Playwright's driver included)"))
    else:
        verdicts.append(("chromium memory levels off", False, "Chromium ran in fewer than 2 samples"))
    # the browser: open pages/contexts within PLAYWRIGHT_MAX_CONTEXTS x PLAYWRIGHT_MAX_PAGES_PER_CONTEXT
    max_ctx, per_ctx = crawl_settings.PLAYWRIGHT_MAX_CONTEXTS, crawl_settings.PLAYWRIGHT_MAX_PAGES_PER_CONTEXT
    bound = max_ctx * per_ctx
    open_pages = stats.get("playwright/page_count/max_concurrent")
    open_ctx = stats.get("playwright/context_count/max_concurrent")
    used = (stats.get("playwright/page_count") or 0) > 0
    ok = (used and open_pages is not None and open_pages <= bound and (open_ctx or 0) <= max_ctx
          and peak["renderers"] <= bound + 2)
    verdicts.append(("browser pages/contexts within bound", ok,
                     f"max open pages {open_pages} (bound {bound}), max open contexts {open_ctx} (bound {max_ctx}), "
                     f"peak renderer processes {peak['renderers']:.0f} (bound {bound} + 2 of Chromium's own)"
                     + ("" if used else "; the browser was never used")))
    # throughput: pages/s over the last 20 % against 20-40 % of the run
    r_early, r_late = rate_between(rows, 0.2 * n, 0.4 * n), rate_between(rows, 0.8 * n, n)
    verdicts.append(("pages/s does not decay", r_late >= (1 - args.rate_tolerance) * r_early,
                     f"{r_early:.1f} pages/s at 20-40% -> {r_late:.1f} pages/s at 80-100% "
                     f"({r_late / max(1e-6, r_early) - 1:+.0%}, tolerance -{args.rate_tolerance:.0%}; median of all "
                     f"intervals {statistics.median(_interval_rates(rows)):.1f})"))
    for name, passed, detail in verdicts:
        say(f"{'PASS' if passed else 'FAIL'}  {name}: {detail}")
    if log_fh:
        log_fh.close()
    return 0 if all(v[1] for v in verdicts) else 1


def _interval_rates(rows: list[tuple[int, float, dict[str, float]]]) -> list[float]:
    return [(b[0] - a[0]) / max(1e-6, b[1] - a[1]) for a, b in zip(rows, rows[1:], strict=False)] or [0.0]


if __name__ == "__main__":
    sys.exit(main())
