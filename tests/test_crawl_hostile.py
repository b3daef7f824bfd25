"""A hostile server: a real crawl through the sandbox proxy with the ``hostile`` faults.

Redirects to file:, ftp:, data:, link-local (in four spellings), loopback, private and
localhost destinations; report attachments at file:, ftp: and the metadata address; a 50 MB
robots.txt; a 200,000-link page; a portal listing 200,000 report links.  The crawl ends in
bounded time and memory, every refusal is counted in the run's health report, nothing is
fetched from or stored for those destinations, and the caps reached are reported.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time

import pytest

from nianbao.sandbox.demo import proxy_env
from nianbao.sandbox.faults import HOSTILE_ATTACHMENTS, INTERNAL_TARGETS, generate
from nianbao.sandbox.server import running

pytestmark = pytest.mark.slow

SETTINGS = {"NIANBAO_BROWSER": "False", "AUTOTHROTTLE_ENABLED": "False", "NIANBAO_CRAWL_DELAY_ENABLED": "False",
            "CONCURRENT_REQUESTS_PER_DOMAIN": "8", "RETRY_BACKOFF_BASE": "0.1", "LOG_LEVEL": "ERROR",
            "NIANBAO_PARSE_WORKERS": "0",
            # smaller than the defaults (500 per list page, 5000 per portal) to keep the test short
            "NIANBAO_MAX_REPORTS_PER_PAGE": "60", "NIANBAO_MAX_REPORTS": "400"}


MEASURE = ("import resource, subprocess, sys; rc = subprocess.run(sys.argv[1:]).returncode; "
           "print(f'maxrss_kb={resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}', file=sys.stderr); "
           "sys.exit(rc)")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    net = generate(11, 3, "hostile")
    sites = tmp / "sites.csv"
    sites.write_text(net.sites_csv(), encoding="utf-8")
    db = tmp / "h.db"
    cmd = [sys.executable, "-m", "nianbao.cli", "crawl", "--sites", str(sites), "--db", str(db), "--quiet"]
    for k, v in SETTINGS.items():
        cmd += ["-s", f"{k}={v}"]
    # the crawl's own peak memory: measured by a fresh parent (this process's RUSAGE_CHILDREN would
    # also hold every child of the tests that ran before)
    cmd = [sys.executable, "-c", MEASURE, *cmd]
    with running(net) as proxy:
        t0 = time.monotonic()
        done = subprocess.run(cmd, env=proxy_env(proxy), capture_output=True, text=True, timeout=600)
        seconds = time.monotonic() - t0
    rss_mb = int(done.stderr.strip().splitlines()[-1].removeprefix("maxrss_kb=")) >> 10
    con = sqlite3.connect(db)
    urls = [u for (u,) in con.execute("SELECT url FROM documents")]
    sites_stats = {site: json.loads(stats or "{}") for site, stats in con.execute(
        "SELECT site, stats FROM run_sites WHERE run_id = (SELECT MAX(id) FROM runs)")}
    con.close()
    return {"net": net, "done": done, "seconds": seconds, "rss_mb": rss_mb, "urls": urls, "sites": sites_stats}


@pytest.mark.timeout(900)
def test_hostile_crawl_ends_bounded(hostile):
    assert hostile["done"].returncode == 0, hostile["done"].stderr[-2000:]
    print(f"hostile crawl: {hostile['seconds']:.1f} s, peak RSS {hostile['rss_mb']} MB")
    assert hostile["seconds"] < 300
    assert hostile["rss_mb"] < 800  # a 50 MB robots.txt alone took 1.07 GB


@pytest.mark.timeout(900)
def test_every_refusal_is_counted_per_site(hostile):
    net = hostile["net"]
    by_kind = {f.kind: f for f in net.faults}
    redirects = hostile["sites"][by_kind["redirect_internal"].site].get("refused", {})
    assert sum(redirects.values()) >= len(INTERNAL_TARGETS), redirects
    assert {"scheme", "link_local", "loopback", "private", "localhost"} <= set(redirects), redirects
    files = hostile["sites"][by_kind["file_attachment"].site].get("refused", {})
    assert sum(files.values()) >= len(HOSTILE_ATTACHMENTS), files


@pytest.mark.timeout(900)
def test_nothing_fetched_or_stored_outside_public_http(hostile):
    net = hostile["net"]
    bad = ("file:", "ftp:", "data:", "169.254", "0xa9fea9fe", "2852039166", "::ffff", "127.0.0.1", "10.0.0.1",
           "localhost")
    assert not [u for u in hostile["urls"] if any(b in u for b in bad)]
    for target in INTERNAL_TARGETS + HOSTILE_ATTACHMENTS:
        assert net.served(target) == 0, target  # the proxy never saw a request for it


@pytest.mark.timeout(900)
def test_caps_are_in_the_health_report(hostile):
    by_kind = {f.kind: f for f in hostile["net"].faults}
    flood = hostile["sites"][by_kind["report_flood"].site].get("capped", {})
    assert flood.get("reports_per_page", 0) >= 1 and flood.get("reports_per_portal", 0) == 1, flood
    links = hostile["sites"][by_kind["link_flood"].site].get("capped", {})
    assert links.get("links_per_page", 0) >= 1, links
    report_requests = sum(1 for u in hostile["urls"] if "/zwgk/ndbgk/t" in u)
    assert report_requests <= 400


@pytest.mark.timeout(300)
def test_a_name_resolving_to_loopback_is_refused_without_a_proxy(tmp_path):
    """No proxy: Scrapy resolves names itself; this machine's own name resolves to a loopback address."""
    import os
    import socket
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from nianbao.crawler.guard import checked_address

    name = socket.gethostname()
    try:
        address = socket.gethostbyname(name)
    except OSError:
        pytest.skip("this machine's name does not resolve")
    if checked_address(name, address) is None:
        pytest.skip(f"{name} resolves to a public address here")
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            hits.append(self.path)
            body = "<html><title>内部服务</title><body>secret</body></html>".encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("0.0.0.0", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    sites = tmp_path / "sites.csv"
    sites.write_text(f"agency,url,level\n内网县人民政府,http://{name}:{server.server_address[1]}/,county\n",
                     encoding="utf-8")
    db = tmp_path / "d.db"
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    cmd = [sys.executable, "-m", "nianbao.cli", "crawl", "--sites", str(sites), "--db", str(db), "--quiet"]
    for k, v in SETTINGS.items():
        cmd += ["-s", f"{k}={v}"]
    try:
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=200)
    finally:
        server.shutdown()
        server.server_close()
    assert hits == [], hits
    con = sqlite3.connect(db)
    stats = json.loads(con.execute("SELECT stats FROM runs ORDER BY id DESC LIMIT 1").fetchone()[0] or "{}")
    con.close()
    assert stats.get("nianbao/refused/dns_loopback", 0) >= 1, (stats, done.stderr[-1500:])
