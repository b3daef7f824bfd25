"""A real crawl of the fault-mode network (``nianbao.sandbox.faults``): no hang, nothing lost, every fault seen.

One crawl (``python -m nianbao.cli crawl`` through the sandbox proxy, real SQLite store) of a small
network carrying every kind of fault, then a second crawl of the portal with the live page and
the history audit.  The ground truth says where each fault is and what a robust crawler does
about it (``expect``); each test checks one promise against the store and the server's log.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from nianbao.crawler.discovery import Budget, clean_url, url_pattern
from nianbao.crawler.middlewares import retry_after
from nianbao.sandbox import faults
from nianbao.sandbox.demo import proxy_env
from nianbao.sandbox.server import running

SEED, SIZE = 7, 5
MAX_PATTERN = 25
CRAWL = {"NIANBAO_BROWSER": "False", "AUTOTHROTTLE_ENABLED": "False", "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
         "NIANBAO_CRAWL_DELAY_ENABLED": "False", "RETRY_BACKOFF_BASE": "0.1", "RETRY_TIMES": "2",
         "DOWNLOAD_TIMEOUT": "8", "NIANBAO_MAX_PATTERN_PAGES": str(MAX_PATTERN), "LOG_LEVEL": "WARNING"}
CRAWL_TIMEOUT = 240  # seconds: a hang fails the test instead of blocking the suite


def crawl(sites: Path, db: Path, proxy: str) -> tuple[subprocess.CompletedProcess, float]:
    cmd = [sys.executable, "-m", "nianbao.cli", "crawl", "--sites", str(sites), "--db", str(db), "--quiet"]
    for k, v in CRAWL.items():
        cmd += ["-s", f"{k}={v}"]
    t0 = time.monotonic()
    done = subprocess.run(cmd, env=proxy_env(proxy), capture_output=True, text=True, timeout=CRAWL_TIMEOUT)
    return done, time.monotonic() - t0


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("faults")
    net = faults.generate(SEED, SIZE, "all")
    net.warm()
    truth = net.ground_truth()
    (tmp / "sites.csv").write_text(net.sites_csv(), encoding="utf-8")
    (tmp / "truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1), encoding="utf-8")
    db = tmp / "n.db"
    live = next(f for f in truth["faults"] if f["kind"] == "live_page")
    row = next(line for line in net.sites_csv().splitlines() if f",{live['site']}," in line)
    (tmp / "live.csv").write_text("agency,url,level,region,parent\n" + row + "\n", encoding="utf-8")
    with running(net) as proxy:
        try:
            first, seconds = crawl(tmp / "sites.csv", db, proxy)
            served_first = Counter(net._served)  # requests of the first crawl (the second re-walks one portal)
            second, _ = crawl(tmp / "live.csv", db, proxy)
        finally:
            net.close()
    from nianbao.monitor.audit import audit_store
    from nianbao.storage.store import Store

    with Store(db) as store:
        history = audit_store(store)
    con = sqlite3.connect(db)
    con.row_factory = sqlite3.Row
    yield {"net": net, "truth": truth, "db": db, "con": con, "first": first, "second": second,
           "seconds": seconds, "history": history, "served": served_first}
    con.close()


def _reports(con) -> list[dict]:
    return [dict(r) for r in con.execute(
        "SELECT r.agency, r.year, r.is_report, d.url FROM reports r JOIN documents d ON d.id = r.document_id")]


def _problems(con) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for row in con.execute("SELECT site, stats FROM run_sites WHERE run_id = (SELECT MIN(id) FROM runs)"):
        out[row["site"]] = json.loads(row["stats"] or "{}").get("problems", [])
    return out


def _site_stats(con, site: str) -> dict:
    row = con.execute("SELECT stats FROM run_sites WHERE site = ? ORDER BY run_id LIMIT 1", (site,)).fetchone()
    return json.loads(row["stats"]) if row else {}


# ---------------------------------------------------------------- the crawl as a whole


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_crawl_ends_without_hanging(world):
    assert world["first"].returncode == 0, world["first"].stderr[-2000:]
    assert world["second"].returncode == 0, world["second"].stderr[-2000:]
    # a stalled server (90 s of silence) and a 50 MB page cost at most a few timeouts
    assert world["seconds"] < CRAWL_TIMEOUT
    with sqlite3.connect(world["db"]) as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_every_genuine_report_is_found_and_nothing_else(world):
    truth, con = world["truth"], world["con"]
    blocked = set(truth["blocked"])
    expected = {(r["agency"], r["year"]) for r in truth["reports"] if r["url"] not in blocked}
    got = {(r["agency"], r["year"]) for r in _reports(con) if r["is_report"]}
    assert got == expected, {"missing": sorted(expected - got), "extra": sorted(got - expected)}
    # robots.txt is obeyed: the disallowed column's reports are not in the store
    assert blocked and not {r["url"] for r in _reports(con)} & blocked


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_no_garbage_or_duplicate_stored_as_report(world):
    con = world["con"]
    rows = _reports(con)
    hostile = {f["url"] for f in world["truth"]["faults"] if f["expect"] == "file_error"}
    assert not [r for r in rows if r["is_report"] and r["url"] in hostile]
    urls = [d["url"] for d in con.execute("SELECT url FROM documents")]
    assert not [u for u in urls if any(s in u.lower() for s in (";jsessionid=", "sid=", "utm_"))]
    per_key = Counter(k for k in {(r["agency"], r["year"], r["url"]) for r in rows if r["is_report"]})
    per_key = Counter((a, y) for a, y, _ in per_key)  # one document per report (versions of it aside)
    assert per_key.most_common(1)[0][1] == 1, per_key.most_common(3)


# ---------------------------------------------------------------- each fault


def _fault_ids(kinds: tuple[str, ...]) -> list[tuple[str, int]]:
    truth = faults.generate(SEED, SIZE, "all").ground_truth()
    return [(f["kind"], i) for i, f in enumerate(truth["faults"]) if f["expect"] in kinds]


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize("kind,index", _fault_ids(("error", "file_error")))
def test_fault_is_in_the_health_report(world, kind, index):
    f = world["truth"]["faults"][index]
    problems = _problems(world["con"]).get(f["site"], [])
    hits = [p for p in problems if p["url"].split("?", 1)[0] == f["url"].split("?", 1)[0]]
    assert hits, (f, problems)
    if f["expect"] == "file_error":
        assert any(p["kind"] == "file" for p in hits)
        page = f.get("page")
        stored = {(r["agency"], r["year"]) for r in _reports(world["con"]) if r["is_report"]}
        assert (f["agency"], f["year"]) in stored, "the report page around the hostile file is still read"
        assert page


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize("kind,index", _fault_ids(("recovered",)))
def test_fault_is_recovered_from(world, kind, index):
    f, net = world["truth"]["faults"][index], world["net"]
    assert net.served(f["url"]) >= f.get("times", 0) + 1, "retried until it answered"
    if "agency" in f:
        stored = {(r["agency"], r["year"]): r for r in _reports(world["con"]) if r["is_report"]}
        assert (f["agency"], f["year"]) in stored
    if f.get("retry_after"):
        times = net.times[faults.canonical(f["url"])]
        gaps = [b - a for a, b in zip(times, times[1:], strict=False)][: f["times"]]
        assert gaps and min(gaps) >= f["retry_after"] * 0.9, gaps  # Retry-After honoured
    if kind == "charset":  # decoded right despite the header: the agency name came out of the page intact
        row = world["con"].execute(
            "SELECT r.title FROM reports r JOIN documents d ON d.id = r.document_id WHERE d.url = ?",
            (f["url"],)).fetchone()
        assert row is not None and str(f["year"]) in (row["title"] or "") and "\ufffd" not in row["title"]


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_traps_are_bounded(world):
    truth, served = world["truth"], world["served"]
    cal = next(f for f in truth["faults"] if f["kind"] == "calendar")
    trap = sum(n for u, n in served.items() if u.startswith(cal["url"].split("?", 1)[0]))
    assert 1 <= trap <= MAX_PATTERN + 1, trap  # an endless calendar with session ids: cut by the pattern cap
    loop = next(f for f in truth["faults"] if f["kind"] == "redirect_loop")
    assert served[faults.canonical(loop["url"])] <= 2  # a -> b -> a: the loop is cut (duplicate filter), not followed
    chain = next(f for f in truth["faults"] if f["kind"] == "redirect_chain")
    hops = sum(n for u, n in served.items() if u.startswith(chain["url"].split("?", 1)[0]))
    assert hops <= 12  # REDIRECT_MAX_TIMES (10) hops, then an error in the health report


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_session_id_duplicates_stored_once(world):
    f = next(f for f in world["truth"]["faults"] if f["kind"] == "session_ids")
    con = world["con"]
    assert f["duplicated"]
    for u in f["duplicated"]:
        n = con.execute("SELECT COUNT(*) FROM documents WHERE url LIKE ?", (u.split(".html")[0] + "%",)).fetchone()[0]
        assert n == 1, u


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_robots_block_is_in_the_health_report(world):
    f = next(f for f in world["truth"]["faults"] if f["kind"] == "robots")
    stats = _site_stats(world["con"], f["site"])
    assert stats.get("robots_forbidden", 0) >= 1
    assert any("robots" in p["error"].lower() for p in stats.get("problems", []))
    assert all(world["net"].served(u) == 0 for u in world["truth"]["blocked"])


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_live_clock_is_not_a_change_of_the_report(world):
    f = next(f for f in world["truth"]["faults"] if f["kind"] == "live_page")
    con = world["con"]
    versions = con.execute(
        "SELECT COUNT(*) FROM document_versions v JOIN documents d ON d.id = v.document_id WHERE d.url = ?",
        (f["url"],)).fetchone()[0]
    assert versions >= 2, "the page's bytes changed between the crawls (else this test proves nothing)"
    changed = [h for h in world["history"].findings if h.finding.rule == "CHANGED_AFTER_PUBLICATION"
               and (h.agency, h.year) == (f["agency"], f["year"])]
    assert not changed, [h.finding.message for h in changed]


# ---------------------------------------------------------------- the pure pieces


@pytest.mark.parametrize("url,clean", [
    ("http://a.gov.cn/x/t1.html;jsessionid=0A1B2C", "http://a.gov.cn/x/t1.html"),
    ("http://a.gov.cn/x/t1.html?sid=9F&id=3", "http://a.gov.cn/x/t1.html?id=3"),
    ("http://a.gov.cn/x/t1.html?utm_source=wechat&utm_medium=share", "http://a.gov.cn/x/t1.html"),
    ("http://a.gov.cn/list.jsp?page=2#top", "http://a.gov.cn/list.jsp?page=2"),
])
def test_clean_url(url, clean):
    assert clean_url(url) == clean


def test_pattern_budget_cuts_a_calendar_but_not_pagers():
    b = Budget(max_per_pattern=3)
    days = [f"http://a.gov.cn/rili/index.html?date=2024-01-{d:02d}" for d in range(1, 10)]
    assert [b.admit(u, "path") for u in days] == [True] * 3 + [False] * 6
    assert url_pattern(days[0]) == url_pattern(days[5])
    assert all(b.admit(f"http://a.gov.cn/nb/index_{i}.html", "pager") for i in range(1, 10))
    assert not b.admit("http://a.gov.cn/nb/index_1.html", "pager")  # a duplicate spends nothing


def test_retry_after_values():
    assert retry_after(b"2") == 2.0
    assert retry_after(None) is None and retry_after(b"soon") is None
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == pytest.approx(10.0)


def test_fault_plan_is_seeded_and_complete():
    a = faults.generate(SEED, SIZE, "all").ground_truth()["faults"]
    b = faults.generate(SEED, SIZE, "all").ground_truth()["faults"]
    assert a == b
    assert {f["kind"] for f in a} == set(faults.FAULT_KINDS)
    assert all({"kind", "url", "site", "expect"} <= set(f) for f in a)
    with pytest.raises(ValueError):
        faults.parse_kinds("slow,nonsense")


def test_a_browser_navigation_timeout_is_retried():
    """A page whose load event never came (Playwright's TimeoutError) is retried like a network error."""
    import asyncio

    from playwright.async_api import TimeoutError as PlaywrightTimeout
    from scrapy import Request, Spider
    from scrapy.utils.test import get_crawler

    from nianbao.crawler import settings as crawl_settings
    from nianbao.crawler.middlewares import BackoffRetryMiddleware

    names = {k: getattr(crawl_settings, k) for k in dir(crawl_settings) if k.isupper()}
    crawler = get_crawler(Spider, settings_dict={**names, "RETRY_BACKOFF_BASE": 0.0})
    crawler.spider = crawler._create_spider("t")
    mw = BackoffRetryMiddleware.from_crawler(crawler)
    req = Request("http://www.example.gov.cn/", meta={"playwright": True})
    got = asyncio.run(mw.process_exception(req, PlaywrightTimeout("Page.goto: Timeout 30000ms exceeded.")))
    assert isinstance(got, Request) and got.meta["retry_times"] == 1 and got.url == req.url
    assert asyncio.run(mw.process_exception(req, ValueError("a bug"))) is None  # not every error
