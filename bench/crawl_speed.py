"""Crawl speed: the nianbao crawl against a bare Scrapy spider fetching the same URLs.

``python -m bench.crawl_speed [--seed S] [--size N]``

In one run, on one generated network served by the sandbox proxy:

1. ``nianbao crawl`` (``python -m nianbao.cli crawl``) over the portals of static templates (no
   script-filled lists, no robots Crawl-delay, which a bare spider would not honour);
   every URL it requested is recorded by the network;
   the same crawl again with ``NIANBAO_PARSE=False`` (discovery and storage, no parsing);
2. a bare Scrapy spider fetching exactly those URLs, same concurrency and politeness, no
   discovery, parsing or storage;
3. the JS-only portal crawled with ``render=always``: the share of pages the browser
   rendered, Chromium's peak memory.

Pages/s are requests answered per wall second of each crawl process (start-up included for
both).  Peak RSS is sampled from /proc every 50 ms: the crawler (main process and its
parsing workers) and Chromium (all its processes) separately.  The machine is shared: run it
when it is quiet; the ratio is the figure that matters (target >= 0.7 on static templates).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

TARGET_RATIO = 0.7
STATIC_TEMPLATES = ("static", "trs", "guide", "subsites", "attachments")
BARE_SETTINGS = {
    "ROBOTSTXT_OBEY": True,
    "CONCURRENT_REQUESTS": 32,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 4,
    "AUTOTHROTTLE_ENABLED": True,
    "AUTOTHROTTLE_START_DELAY": 0.05,
    "TELNETCONSOLE_ENABLED": False,
    "LOG_LEVEL": "ERROR",
    "COOKIES_ENABLED": True,
}


# --- process tree memory ---------------------------------------------------------------


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            ppid = int(Path(f"/proc/{name}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        kids.setdefault(ppid, []).append(int(name))
    return kids


def _tree(pid: int) -> list[int]:
    kids = _children()
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _is_browser(pid: int) -> bool:
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"chrom" in cmd or b"playwright" in cmd or b"/node" in cmd


class PeakRSS(threading.Thread):
    """Samples a process tree: peak MB of the crawler (Python) and of the browser (Chromium + driver)."""

    def __init__(self, pid: int, every: float = 0.05):
        super().__init__(daemon=True)
        self.pid, self.every = pid, every
        self.crawler_mb = self.browser_mb = 0.0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            crawler = browser = 0
            for p in _tree(self.pid):
                if _is_browser(p):
                    browser += _rss_kb(p)
                else:
                    crawler += _rss_kb(p)
            self.crawler_mb = max(self.crawler_mb, crawler / 1024)
            self.browser_mb = max(self.browser_mb, browser / 1024)
            self._halt.wait(self.every)

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=2)


def _env(proxy: str) -> dict[str, str]:
    from nianbao.sandbox.demo import proxy_env

    return proxy_env(proxy)


def timed(cmd: list[str], proxy: str) -> tuple[float, PeakRSS, str]:
    started = time.monotonic()
    proc = subprocess.Popen(cmd, env=_env(proxy), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    mem = PeakRSS(proc.pid)
    mem.start()
    out, _ = proc.communicate()
    seconds = time.monotonic() - started
    mem.stop()
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[:4]} failed ({proc.returncode}):\n{out}")
    return seconds, mem, out


# --- the bare spider (run in a subprocess: one reactor per process) ----------------------


def bare_main(url_file: str) -> None:
    import scrapy
    from scrapy.crawler import CrawlerProcess

    urls = [u for u in Path(url_file).read_text(encoding="utf-8").splitlines() if u]

    class Bare(scrapy.Spider):
        name = "bare"

        async def start(self):
            for u in urls:
                yield scrapy.Request(u, callback=self.parse, errback=self.parse, dont_filter=True)

        def parse(self, response):
            return None

    process = CrawlerProcess(dict(BARE_SETTINGS))
    crawler = process.create_crawler(Bare)
    process.crawl(crawler)
    process.start()
    print(json.dumps({"responses": crawler.stats.get_value("response_received_count", 0)}))


# --- the benchmark -----------------------------------------------------------------------


def _csv(rows: list[dict], render: str | None = None) -> str:
    head = "agency,url,level,region,parent" + (",render" if render else "")
    lines = [head]
    for r in rows:
        cells = [r["agency"], r["url"], r["level"], r["region"], r["parent"]] + ([render] if render else [])
        lines.append(",".join(cells))
    return "\n".join(lines) + "\n"


def _nianbao_cmd(sites: Path, db: Path, *extra: str) -> list[str]:
    from nianbao.sandbox.demo import DEMO_SETTINGS

    cmd = [sys.executable, "-m", "nianbao.cli", "crawl", "--sites", str(sites), "--db", str(db), "--quiet"]
    for s in DEMO_SETTINGS + extra:
        cmd += ["-s", s]
    return cmd


def _rendered(out: str) -> int:
    try:
        return int(out.split("浏览器渲染 ")[1].split(" 页")[0])
    except (IndexError, ValueError):
        return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--size", type=int, default=10)
    ap.add_argument("--bare", help=argparse.SUPPRESS)  # internal: run the bare spider on a URL file
    args = ap.parse_args(argv)
    if args.bare:
        bare_main(args.bare)
        return 0

    from nianbao.sandbox.network import generate
    from nianbao.sandbox.server import running

    network = generate(args.seed, args.size)
    truth = network.ground_truth()
    static = [s for s in truth["sites"] if s["template"] in STATIC_TEMPLATES and not s["crawl_delay"]]
    js = [s for s in truth["sites"] if s["template"] == "jscolumn"][:1]
    tmp = Path(tempfile.mkdtemp(prefix="nianbao-crawl-bench-"))
    with running(network) as proxy:
        # warm the network's caches (attachments are rendered on first request) so both crawls see the same server
        sites = tmp / "static.csv"
        sites.write_text(_csv(static), encoding="utf-8")
        timed(_nianbao_cmd(sites, tmp / "warm.db"), proxy)

        network.requests.clear()
        nb_seconds, nb_mem, nb_out = timed(_nianbao_cmd(sites, tmp / "static.db"), proxy)
        urls = sorted(network.requests)
        nb_requests = sum(network.requests.values())
        url_file = tmp / "urls.txt"
        url_file.write_text("\n".join(urls) + "\n", encoding="utf-8")

        network.requests.clear()
        fo_seconds, fo_mem, _ = timed(_nianbao_cmd(sites, tmp / "fetch_only.db", "NIANBAO_PARSE=False"), proxy)
        fo_requests = sum(network.requests.values())

        network.requests.clear()
        bare_seconds, bare_mem, _ = timed([sys.executable, "-m", "bench.crawl_speed", "--bare", str(url_file)], proxy)
        bare_requests = sum(network.requests.values())

        js_line = "no JS-only portal in this network"
        if js:
            js_sites = tmp / "js.csv"
            js_sites.write_text(_csv(js, render="always"), encoding="utf-8")
            network.requests.clear()
            js_seconds, js_mem, js_out = timed(_nianbao_cmd(js_sites, tmp / "js.db"), proxy)
            js_requests = sum(network.requests.values())
            share = _rendered(js_out) / js_requests if js_requests else 0.0
            js_line = (f"JS-only portal, render=always: {js_requests} requests in {js_seconds:.1f} s, "
                       f"{share:.0%} of them by the browser; peak RSS crawler {js_mem.crawler_mb:.0f} MB, "
                       f"Chromium {js_mem.browser_mb:.0f} MB")  # fmt: skip

    nb_rate = nb_requests / nb_seconds
    bare_rate = bare_requests / bare_seconds
    ratio = nb_rate / bare_rate if bare_rate else 0.0
    auto_share = _rendered(nb_out) / nb_requests if nb_requests else 0.0
    print(f"network: seed {args.seed}, {args.size} portals; {len(static)} static-template portals without Crawl-delay")
    print(f"nianbao crawl : {nb_requests} requests in {nb_seconds:.1f} s = {nb_rate:.1f} pages/s "
          f"(discovery, storage, parsing, audit); peak RSS {nb_mem.crawler_mb:.0f} MB, "
          f"browser {nb_mem.browser_mb:.0f} MB; rendered in the browser: {auto_share:.1%}")  # fmt: skip
    print(f"bare Scrapy   : {bare_requests} requests in {bare_seconds:.1f} s = {bare_rate:.1f} pages/s; "
          f"peak RSS {bare_mem.crawler_mb:.0f} MB")  # fmt: skip
    fo_rate = fo_requests / fo_seconds
    print(f"nianbao fetch-only (NIANBAO_PARSE=False): {fo_requests} requests in {fo_seconds:.1f} s = "
          f"{fo_rate:.1f} pages/s; peak RSS {fo_mem.crawler_mb:.0f} MB")  # fmt: skip
    print(f"ratio nianbao/bare = {ratio:.2f} with parsing and audit; "
          f"{fo_rate / bare_rate if bare_rate else 0:.2f} fetch-only (target >= {TARGET_RATIO})")
    print(js_line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
