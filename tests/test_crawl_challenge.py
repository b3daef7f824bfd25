"""An anti-bot gateway (HTTP 521 + a cookie-setting script): Chromium passes it, plain requests reuse the cookie.

The gateway is a real HTTP forward proxy on 127.0.0.1 in front of a two-report portal; the
crawl is ``python -m nianbao.cli crawl`` with ``http_proxy`` pointing at it.
"""

from __future__ import annotations

import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from nianbao.sandbox.demo import crawl_subprocess
from nianbao.storage import exports

SEED_TEXT = (Path(__file__).parent / "data" / "seeds" / "000_4275a0b14778ec30.txt").read_text(encoding="utf-8")
HOST = "www.gateway-county.gov.cn"
COOKIE = "nbgw=passed"
CHALLENGE = (
    b'<html><head><meta charset="utf-8"></head><body><script>'
    b'document.cookie="' + COOKIE.encode() + b'; path=/";location.reload();</script></body></html>'
)


def _report(year: int) -> str:
    return (
        f'<html><head><meta charset="utf-8"><meta name="PubDate" content="{year + 1}-01-20 10:00">'
        f"<title>网关县人民政府{year}年政府信息公开工作年度报告</title></head><body>"
        f"<h1>网关县人民政府{year}年政府信息公开工作年度报告</h1><pre>{SEED_TEXT}</pre></body></html>"
    )


PAGES = {
    "/robots.txt": "User-agent: *\nDisallow: /admin/\n",
    "/": '<html><head><title>网关县人民政府</title></head><body><a href="/zwgk/">政务公开</a></body></html>',
    "/zwgk/": '<html><head><title>政务公开</title></head><body><a href="/zwgk/nb/">政府信息公开年报</a></body></html>',
    "/zwgk/nb/": (
        '<html><head><title>政府信息公开年报</title></head><body><ul>'
        '<li><a href="t2023.html">网关县人民政府2023年政府信息公开工作年度报告</a> 2024-01-20</li>'
        '<li><a href="t2022.html">网关县人民政府2022年政府信息公开工作年度报告</a> 2023-01-20</li>'
        "</ul></body></html>"
    ),
    "/zwgk/nb/t2023.html": _report(2023),
    "/zwgk/nb/t2022.html": _report(2022),
}


class Gateway(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    served: Counter = Counter()

    def do_GET(self) -> None:  # noqa: N802
        url = urlsplit(self.path if self.path.startswith("http") else f"http://{self.headers['Host']}{self.path}")
        if url.hostname != HOST:
            return self._send(502, b"", "text/plain")
        if url.path != "/robots.txt" and COOKIE not in (self.headers.get("Cookie") or ""):
            self.served["challenge"] += 1
            return self._send(521, CHALLENGE, "text/html")
        body = PAGES.get(url.path)
        if body is None:
            return self._send(404, b"not found", "text/html")
        self.served["page"] += 1
        self._send(200, body.encode("utf-8"), "text/plain" if url.path.endswith(".txt") else "text/html; charset=utf-8")

    def _send(self, status: int, body: bytes, ctype: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def gateway():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Gateway.served.clear()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.browser
def test_challenge_passed_in_the_browser_and_cookie_reused(gateway, tmp_path):
    from nianbao.storage.store import Store

    sites = tmp_path / "sites.csv"
    sites.write_text(f"agency,url,level\n网关县人民政府,http://{HOST}/,county\n", encoding="utf-8")
    db = tmp_path / "n.db"
    done = crawl_subprocess(sites, db, gateway, quiet=True, timeout=300)
    assert done.returncode == 0, done.stdout
    assert "反爬虫验证 1 次（通过 1 次）" in done.stdout
    with Store(db) as store:
        rows = exports.export_reports(store)
    assert sorted((r["year"], r["published"]) for r in rows) == [(2022, "2023-01-20"), (2023, "2024-01-20")]
    # challenged twice (the plain request, then the browser's first load before its script ran);
    # after that every page (5) was answered to the earned cookie; only the first went through the browser
    assert Gateway.served["challenge"] == 2
    assert Gateway.served["page"] >= 5
    rendered = int(done.stdout.split("浏览器渲染 ")[1].split(" 页")[0])
    assert rendered <= 1
