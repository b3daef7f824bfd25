"""Discovery per site family: nianbao with CMS hints on and off, and a plain render-everything crawl.

``python -m bench.discovery [--zoo] [--seed S] [--size N] [--modes hints,generic,plain]``

On a sandbox network of its own seed (the tests use others), or with ``--zoo`` on the zoo of
site families the crawler was not built against (``nianbao.sandbox.zoo``), for each site family
it prints recall, decoys stored as reports, publication dates right,
pages fetched, pages rendered and clicks of:

- ``hints``: ``nianbao crawl`` as shipped (CMS hints on);
- ``generic``: ``nianbao crawl -s NIANBAO_CMS_HINTS=False`` (the generic path alone);
- ``plain``: the anchor, a plain Scrapy + scrapy-playwright crawl that renders every page and
  follows every same-site link, frame and iframe to depth 4 (recall only: it stores nothing, so a
  report counts as found when its page or attachment was fetched).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from nianbao.sandbox.demo import clean_db, crawl_subprocess
from nianbao.sandbox.network import generate
from nianbao.sandbox.server import running
from nianbao.sandbox.truth import _key, compare
from nianbao.sandbox.zoo import Zoo
from nianbao.storage import exports
from nianbao.storage.store import Store, loads

MODES = {"hints": (), "generic": ("NIANBAO_CMS_HINTS=False",)}


def families(truth: dict[str, Any]) -> dict[str, set[str]]:
    """Site family -> hosts (a family is the sandbox template a portal is built with)."""
    out: dict[str, set[str]] = defaultdict(set)
    for s in truth["sites"]:
        out[s["template"]].add(s["host"])
    return dict(out)


def _host(url: str | None) -> str:
    return (urlsplit(url or "").hostname or "").lower()


def split_truth(truth: dict[str, Any], hosts: set[str]) -> dict[str, Any]:
    def mine(u: str | None) -> bool:
        h = _host(u)
        return any(h == x or h.endswith("." + x.removeprefix("www.")) for x in hosts)

    return {**truth, "reports": [r for r in truth["reports"] if mine(r["url"])],
            "decoys": [d for d in truth.get("decoys", []) if mine(d["url"])]}  # fmt: skip


def run_nianbao(net, truth: dict[str, Any], work: Path, mode: str) -> dict[str, dict[str, Any]]:
    sites = work / "sites.csv"
    sites.write_text(net.sites_csv(), encoding="utf-8")
    db = work / f"{mode}.db"
    clean_db(db)
    t = time.monotonic()
    with running(net) as proxy:
        crawl_subprocess(sites, db, proxy, extra=MODES[mode], quiet=True)
    seconds = time.monotonic() - t
    with Store(db) as s:
        rows = exports.export_reports(s)
        run = s.one("SELECT stats FROM runs ORDER BY id DESC LIMIT 1")
        pages_by_host: dict[str, int] = defaultdict(int)
        for d in s.query("SELECT url FROM documents"):
            pages_by_host[_host(d["url"])] += 1
    stats = loads(run["stats"], {}) if run else {}
    out = {}
    for fam, hosts in families(truth).items():
        sub = split_truth(truth, hosts)
        mine = [r for r in rows if any(_host(r["url"]) == h or _host(r["url"]).endswith("." + h.removeprefix("www."))
                                       for h in hosts)]  # fmt: skip
        c = compare(sub, mine)
        out[fam] = {"recall": c.recall, "found": c.matched, "expected": c.expected, "decoys": len(c.decoys_stored),
                    "dates": c.date_accuracy}  # fmt: skip
    out["_all"] = {"pages": stats.get("nianbao/pages", 0), "rendered": stats.get("nianbao/rendered", 0),
                   "clicks": stats.get("nianbao/clicks", 0), "seconds": round(seconds, 1)}  # fmt: skip
    return out


# ------------------------------------------------------------------ the plain anchor crawl


def plain_crawl(urls_file: Path, out_file: Path) -> None:
    """Render every page, follow every same-site link and frame to depth 4; write the URLs fetched."""
    import scrapy
    from scrapy.crawler import CrawlerProcess

    from nianbao.crawler import settings as nb

    starts = urls_file.read_text().split()
    fetched: list[str] = []

    class Plain(scrapy.Spider):
        name = "plain"

        async def start(self):
            for u in starts:
                yield scrapy.Request(u, meta={"playwright": True, "depth_left": 4})

        def parse(self, response):
            fetched.append(response.url)
            if "html" not in (response.headers.get(b"Content-Type") or b"").decode("latin-1").lower():
                return
            base = (urlsplit(response.url).hostname or "").removeprefix("www.")
            if response.meta["depth_left"] <= 0:
                return
            hrefs = response.css("a::attr(href), iframe::attr(src), frame::attr(src)").getall()
            for h in hrefs:
                u = urljoin(response.url, h.strip())
                host = urlsplit(u).hostname or ""
                if u.startswith("http") and (host == base or host.endswith("." + base)):
                    binary = u.lower().split("?")[0].endswith((".pdf", ".doc", ".docx", ".wps", ".xls", ".xlsx"))
                    yield scrapy.Request(u, meta={"playwright": not binary,
                                                  "depth_left": response.meta["depth_left"] - 1})

    s = nb.build({})
    settings = {k: s[k] for k in ("DOWNLOAD_HANDLERS", "TWISTED_REACTOR", "PLAYWRIGHT_LAUNCH_OPTIONS",
                                  "PLAYWRIGHT_BROWSER_TYPE", "PLAYWRIGHT_ABORT_REQUEST", "USER_AGENT")}  # fmt: skip
    settings.update(LOG_LEVEL="ERROR", TELNETCONSOLE_ENABLED=False, ROBOTSTXT_OBEY=False, CONCURRENT_REQUESTS=8,
                    CLOSESPIDER_TIMEOUT=900, PLAYWRIGHT_MAX_PAGES_PER_CONTEXT=4, DOWNLOAD_TIMEOUT=30)
    settings["DOWNLOAD_HANDLERS"] = {"http": "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler",
                                     "https": "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler"}
    process = CrawlerProcess(settings)
    process.crawl(Plain)
    process.start()
    out_file.write_text(json.dumps(fetched))


def run_plain(net, truth: dict[str, Any], work: Path) -> dict[str, dict[str, Any]]:
    urls = work / "starts.txt"
    urls.write_text("\n".join(s["url"] for s in truth["sites"]))
    out = work / "plain.json"
    t = time.monotonic()
    with running(net) as proxy:
        env = {**os.environ, "http_proxy": proxy, "HTTP_PROXY": proxy}
        env.pop("no_proxy", None), env.pop("NO_PROXY", None)
        subprocess.run([sys.executable, "-m", "bench.discovery", "--plain", str(urls), str(out)], env=env, check=True)
    fetched = {_key(u) for u in json.loads(out.read_text())}
    result = {}
    for fam, hosts in families(truth).items():
        sub = split_truth(truth, hosts)
        hit = sum(1 for r in sub["reports"] if any(_key(u) in fetched for u in [r["url"], r.get("page"),
                                                                                *(r.get("attachments") or [])] if u))
        n = len(sub["reports"])
        result[fam] = {"recall": hit / n if n else 1.0, "found": hit, "expected": n, "decoys": None, "dates": None}
    result["_all"] = {"pages": len(fetched), "rendered": len(fetched), "clicks": 0,
                      "seconds": round(time.monotonic() - t, 1)}  # fmt: skip
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=4242)
    ap.add_argument("--size", type=int, default=12)
    ap.add_argument("--modes", default="hints,generic,plain")
    ap.add_argument("--zoo", action="store_true", help="the zoo of families not modelled by the main sandbox")
    ap.add_argument("--per-family", type=int, default=2, help="with --zoo: portals per family")
    ap.add_argument("--plain", nargs=2, metavar=("URLS", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.plain:
        plain_crawl(Path(args.plain[0]), Path(args.plain[1]))
        return
    def make():
        return Zoo(args.seed, args.per_family) if args.zoo else generate(args.seed, args.size)

    net = make()
    truth = net.ground_truth()
    results: dict[str, dict[str, dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory(prefix="nb-discovery-") as tmp:
        for mode in args.modes.split(","):
            work = Path(tmp) / mode
            work.mkdir()
            net = make()
            results[mode] = run_plain(net, truth, work) if mode == "plain" else run_nianbao(net, truth, work, mode)
    what = f"the zoo, {args.per_family} portals per family" if args.zoo else f"the sandbox, {args.size} portals"
    print(f"discovery on {what}, seed {args.seed} ({len(truth['reports'])} reports)")
    print(f"{'family':12} " + " ".join(f"{m + ' recall':>15} {'decoys':>6} {'dates':>6}" for m in results))
    for fam in sorted(families(truth)):
        cells = []
        for m in results:
            r = results[m][fam]
            dec = "-" if r["decoys"] is None else str(r["decoys"])
            dates = "-" if r["dates"] is None else f"{r['dates']:.0%}"
            cells.append(f"{r['found']:>4}/{r['expected']:<4} {r['recall']:>5.0%} {dec:>6} {dates:>6}")
        print(f"{fam:12} " + " ".join(cells))
    for m, r in results.items():
        a = r["_all"]
        share = a["rendered"] / a["pages"] if a["pages"] else 0
        print(f"{m:8} pages {a['pages']:>5}  rendered {a['rendered']:>5} ({share:.0%})  clicks {a['clicks']:>4}  "
              f"{a['seconds']:>6.1f} s")


if __name__ == "__main__":
    main()
