"""Discovery per site family: nianbao with CMS hints on and off, and a plain render-everything crawl.

``python -m bench.discovery [--families all|templates|styles|zoo|a,b,...] [--per-family N] [--seed S]
[--modes hints,generic,plain]``

On a sandbox network of its own seed (the tests use others) made of the chosen site families
(``generate(seed, size, families=...)``: the six templates, the list styles of
``nianbao.sandbox.styles`` and the zoo families of ``nianbao.sandbox.zoo``; ``--per-family``
portals each), it prints per family and mode: recall, decoys stored as reports, publication dates
right, pages fetched, pages rendered and clicks, for

- ``hints``: ``nianbao crawl`` as shipped (CMS hints on);
- ``generic``: ``nianbao crawl -s NIANBAO_CMS_HINTS=False`` (the generic path alone);
- ``plain``: the anchor, a plain Scrapy + scrapy-playwright crawl that renders every page and
  follows every same-site link, frame and iframe to depth 4 (recall only: it stores nothing, so a
  report counts as found when its page or attachment was fetched).

One crawl per mode over the whole network (portals crawl side by side as a user's run would);
per-family pages, rendered pages and clicks come from the run's per-site figures.
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
from nianbao.sandbox.network import Network, all_families, family_kind, generate
from nianbao.sandbox.server import running
from nianbao.sandbox.truth import _key, compare
from nianbao.storage import exports
from nianbao.storage.store import Store, loads

SEED = 20261204  # the bench's own network; the tests use other seeds
MODES = {"hints": (), "generic": ("NIANBAO_CMS_HINTS=False",)}


def chosen_families(spec: str) -> tuple[str, ...]:
    """``all``, a kind (``templates``, ``styles``, ``zoo``) or names, comma-separated."""
    kinds = {"templates": "template", "styles": "style", "zoo": "zoo"}
    out: list[str] = []
    for part in (x.strip() for x in spec.split(",") if x.strip()):
        if part == "all":
            out += all_families()
        elif part in kinds:
            out += [f for f in all_families() if family_kind(f) == kinds[part]]
        elif part in all_families():
            out.append(part)
        else:
            raise SystemExit(f"unknown family {part!r}; known: {', '.join(all_families())}")
    return tuple(dict.fromkeys(out))


def portal_hosts(net: Network) -> dict[str, tuple[str, set[str]]]:
    """Start URL -> (family, every host the portal serves)."""
    out = {p.entry: (p.family or p.template, set(p.hosts())) for p in net.plans}
    for z in net.zoo.portals if net.zoo else []:
        out[f"http://{z.host}/"] = (z.family, set(z.pages))
    return out


def family_hosts(net: Network) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for fam, hosts in portal_hosts(net).values():
        out[fam] |= hosts
    return dict(out)


def _host(url: str | None) -> str:
    return (urlsplit(url or "").hostname or "").lower()


def split_truth(truth: dict[str, Any], hosts: set[str]) -> dict[str, Any]:
    return {**truth, "reports": [r for r in truth["reports"] if _host(r["url"]) in hosts],
            "decoys": [d for d in truth.get("decoys", []) if _host(d["url"]) in hosts]}  # fmt: skip


def _pages_by_family(net: Network) -> dict[str, int]:
    """Requests the network answered, per family (what a crawl cost each family's portals)."""
    fam_of = {h: fam for fam, hosts in family_hosts(net).items() for h in hosts}
    out: dict[str, int] = defaultdict(int)
    for url, n in net.requests.items():
        out[fam_of.get(_host(url), "?")] += n
    return out


def run_nianbao(net: Network, truth: dict[str, Any], work: Path, mode: str) -> dict[str, dict[str, Any]]:
    sites = work / "sites.csv"
    sites.write_text(net.sites_csv(), encoding="utf-8")
    db = work / f"{mode}.db"
    clean_db(db)
    net.requests.clear()
    t = time.monotonic()
    with running(net) as proxy:
        crawl_subprocess(sites, db, proxy, extra=MODES[mode], quiet=True)
    seconds = time.monotonic() - t
    with Store(db) as s:
        rows = exports.export_reports(s)
        run = s.one("SELECT id, stats FROM runs ORDER BY id DESC LIMIT 1")
        per_site = {r["site"]: loads(r["stats"], {}) for r in s.query(
            "SELECT site, stats FROM run_sites WHERE run_id = ?", (run["id"],))} if run else {}  # fmt: skip
    stats = loads(run["stats"], {}) if run else {}
    ports = portal_hosts(net)
    requested = _pages_by_family(net)
    out: dict[str, dict[str, Any]] = {}
    for fam, hosts in family_hosts(net).items():
        sub = split_truth(truth, hosts)
        c = compare(sub, [r for r in rows if _host(r["url"]) in hosts])
        figs = [per_site.get(url, {}) for url, (f, _) in ports.items() if f == fam]
        out[fam] = {"recall": c.recall, "found": c.matched, "expected": c.expected, "decoys": len(c.decoys_stored),
                    "dates": c.date_accuracy, "pages": sum(f.get("pages", 0) for f in figs),
                    "requests": requested.get(fam, 0), "rendered": sum(f.get("rendered", 0) for f in figs),
                    "clicks": sum(f.get("clicks", 0) for f in figs),
                    "missed": [m["url"] for m in c.missed][:5]}  # fmt: skip
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
    fetched: list[tuple[str, bool]] = []

    class Plain(scrapy.Spider):
        name = "plain"

        async def start(self):
            for u in starts:
                yield scrapy.Request(u, meta={"playwright": True, "depth_left": 4})

        def parse(self, response):
            fetched.append((response.url, bool(response.meta.get("playwright"))))
            if "html" not in (response.headers.get(b"Content-Type") or b"").decode("latin-1").lower():
                return
            base = (urlsplit(response.url).hostname or "").removeprefix("www.")
            if response.meta["depth_left"] <= 0:
                return
            hrefs = response.css("a::attr(href), area::attr(href), iframe::attr(src), frame::attr(src)").getall()
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


def run_plain(net: Network, truth: dict[str, Any], work: Path) -> dict[str, dict[str, Any]]:
    urls = work / "starts.txt"
    urls.write_text("\n".join(s["url"] for s in truth["sites"]))
    out = work / "plain.json"
    net.requests.clear()
    t = time.monotonic()
    with running(net) as proxy:
        env = {**os.environ, "http_proxy": proxy, "HTTP_PROXY": proxy}
        env.pop("no_proxy", None), env.pop("NO_PROXY", None)
        subprocess.run([sys.executable, "-m", "bench.discovery", "--plain", str(urls), str(out)], env=env, check=True)
    got = json.loads(out.read_text())
    fetched = {_key(u) for u, _ in got}
    requested = _pages_by_family(net)
    result = {}
    for fam, hosts in family_hosts(net).items():
        sub = split_truth(truth, hosts)
        hit = sum(1 for r in sub["reports"] if any(_key(u) in fetched for u in [r["url"], r.get("page"),
                                                                                *(r.get("attachments") or [])] if u))
        n = len(sub["reports"])
        mine = [(u, r) for u, r in got if _host(u) in hosts]
        result[fam] = {"recall": hit / n if n else 1.0, "found": hit, "expected": n, "decoys": None, "dates": None,
                       "pages": len(mine), "requests": requested.get(fam, 0),
                       "rendered": sum(1 for _, r in mine if r), "clicks": 0, "missed": []}  # fmt: skip
    result["_all"] = {"pages": len(got), "rendered": sum(1 for _, r in got if r), "clicks": 0,
                      "seconds": round(time.monotonic() - t, 1)}  # fmt: skip
    return result


def report(results: dict[str, dict[str, dict[str, Any]]], fams: tuple[str, ...]) -> list[str]:
    lines = [f"{'family':15} {'kind':8} {'mode':8} {'recall':>14} {'decoys':>6} {'dates':>6} {'pages':>6} "
             f"{'rendered':>8} {'clicks':>6}"]  # fmt: skip
    for fam in fams:
        for m, res in results.items():
            r = res.get(fam)
            if r is None:
                continue
            dec = "-" if r["decoys"] is None else str(r["decoys"])
            dates = "-" if r["dates"] is None else f"{r['dates']:.0%}"
            lines.append(f"{fam:15} {family_kind(fam):8} {m:8} {r['found']:>4}/{r['expected']:<4} {r['recall']:>5.0%} "
                         f"{dec:>6} {dates:>6} {r['pages']:>6} {r['rendered']:>8} {r['clicks']:>6}")
    for m, res in results.items():
        a = res["_all"]
        share = a["rendered"] / a["pages"] if a["pages"] else 0
        found = sum(r["found"] for f, r in res.items() if f != "_all")
        expected = sum(r["expected"] for f, r in res.items() if f != "_all")
        worst = min((r["recall"], f) for f, r in res.items() if f != "_all")
        lines.append(f"{m:8} recall {found}/{expected} ({found / max(1, expected):.1%}, lowest {worst[1]} "
                     f"{worst[0]:.0%})  pages {a['pages']:>5}  rendered {a['rendered']:>5} ({share:.0%})  "
                     f"clicks {a['clicks']:>4}  {a['seconds']:>6.1f} s")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--families", default="all", help="all, templates, styles, zoo or FAMILY,... (combinable)")
    ap.add_argument("--zoo", action="store_true", help="the zoo's families only (= --families zoo)")
    ap.add_argument("--per-family", type=int, default=1, help="portals per family")
    ap.add_argument("--modes", default="hints,generic,plain")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    ap.add_argument("--plain", nargs=2, metavar=("URLS", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.plain:
        plain_crawl(Path(args.plain[0]), Path(args.plain[1]))
        return
    fams = chosen_families("zoo" if args.zoo else args.families)
    size = len(fams) * args.per_family
    net = generate(args.seed, size, families=fams)
    truth = net.ground_truth()
    results: dict[str, dict[str, dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory(prefix="nb-discovery-") as tmp:
        for mode in args.modes.split(","):
            work = Path(tmp) / mode
            work.mkdir()
            net = generate(args.seed, size, families=fams)  # a fresh network: no page served from a cache
            results[mode] = run_plain(net, truth, work) if mode == "plain" else run_nianbao(net, truth, work, mode)
            print(f"[{mode} done in {results[mode]['_all']['seconds']} s]", file=sys.stderr, flush=True)
    print(f"discovery on {size} portals ({len(fams)} families x {args.per_family}), seed {args.seed}, "
          f"{len(truth['reports'])} reports, {len(truth['decoys'])} decoys")
    print("\n".join(report(results, fams)))
    for m, res in results.items():
        for fam in fams:
            if res.get(fam, {}).get("missed"):
                print(f"  {m} {fam} missed e.g.: {' '.join(res[fam]['missed'][:3])}")
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
