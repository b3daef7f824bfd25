"""The sandbox forward proxy, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import http.client
import json
import socket
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest

from nianbao.sandbox.network import generate
from nianbao.sandbox.server import running


@pytest.fixture(scope="module")
def proxied():
    net = generate(21, 30)
    with running(net) as proxy:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": proxy}))
        yield net, proxy, opener


def get(opener, url: str, headers: dict | None = None):
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with opener.open(req, timeout=20) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def test_pages_of_every_kind_through_the_proxy(proxied):
    net, proxy, opener = proxied
    truth = net.ground_truth()
    site = truth["sites"][0]
    status, headers, body = get(opener, site["url"])
    assert status == 200 and site["agency"].encode() in body
    assert headers["Content-Type"].startswith("text/html")
    col = site["agencies"][0]["column"]
    status, _, body = get(opener, col)
    assert status == 200 and b'name="ColumnName"' in body
    report = next(r for r in truth["reports"] if r["format"] == "html" and r["charset"] == "utf-8"
                  and r["url"] not in truth["transient"])
    status, headers, body = get(opener, report["url"])
    assert status == 200 and report["title"] in body.decode("utf-8") and b"rowspan" in body
    assert "ETag" in headers and "Last-Modified" in headers
    status, _, body = get(opener, f"http://{site['host']}/robots.txt")
    assert status == 200 and body.startswith(b"User-agent: *")


def test_gbk_page_and_json_endpoint(proxied):
    net, proxy, opener = proxied
    truth = net.ground_truth()
    gbk = next(s for s in truth["sites"] if s["charset"] == "gbk")
    status, headers, body = get(opener, gbk["url"])
    assert status == 200 and "GBK" in headers["Content-Type"]
    assert gbk["agency"] in body.decode("gbk")
    js = next(s for s in truth["sites"] if s["template"] == "jscolumn")
    status, _, body = get(opener, js["agencies"][0]["column"])
    text = body.decode("gbk" if js["charset"].startswith("gbk") else "utf-8")
    assert "<a " not in text.split('id="doclist"')[1].split("</ul>")[0]  # no links in the static HTML
    api = text.split('var api = "')[1].split('"')[0]
    status, headers, body = get(opener, f"http://{js['host']}{api}?page=1")
    data = json.loads(body)
    assert status == 200 and headers["Content-Type"].startswith("application/json")
    assert data["data"] and data["total"] >= len(data["data"]) and data["pageCount"] >= 1


def test_offline_internet_connect_head_and_conditional_get(proxied):
    net, proxy, opener = proxied
    status, _, body = get(opener, "http://www.example.com/")
    assert status == 502 and b"offline" in body
    p = urlsplit(proxy)
    conn = http.client.HTTPConnection(p.hostname, p.port, timeout=10)
    conn.request("CONNECT", "www.gov.cn:443")
    assert conn.getresponse().status == 405
    conn.close()
    url = net.ground_truth()["sites"][3]["url"]
    req = urllib.request.Request(url, method="HEAD")
    with opener.open(req, timeout=10) as r:
        assert r.status == 200 and r.read() == b"" and int(r.headers["Content-Length"]) > 0
        etag = r.headers["ETag"]
    status, _, body = get(opener, url, {"If-None-Match": etag})
    assert status == 304 and body == b""


def test_transient_and_permanent_errors(proxied):
    net, proxy, opener = proxied
    truth = net.ground_truth()
    url = truth["transient"][0]
    assert get(opener, url)[0] == 503
    assert get(opener, url)[0] == 200
    assert get(opener, truth["errors"][0])[0] == 500
    broken = next(d["url"] for d in truth["decoys"] if d["kind"] == "broken")
    assert get(opener, broken)[0] == 404


def test_keep_alive_serves_many_requests_on_one_connection(proxied):
    net, proxy, _ = proxied
    p = urlsplit(proxy)
    site = net.ground_truth()["sites"][5]
    conn = http.client.HTTPConnection(p.hostname, p.port, timeout=10)
    sock_ids = set()
    for _ in range(20):
        conn.request("GET", site["url"])
        r = conn.getresponse()
        assert r.status == 200 and r.read()
        sock_ids.add(id(conn.sock))
    assert len(sock_ids) == 1
    conn.close()


def test_burst_of_500_concurrent_requests_without_drops(proxied):
    net, proxy, _ = proxied
    truth = net.ground_truth()
    urls = [r["url"] for r in truth["reports"] if r["url"] not in truth["transient"]][:100]
    urls = (urls * 5)[:500]
    p = urlsplit(proxy)

    def one(url: str) -> int:
        s = socket.create_connection((p.hostname, p.port), timeout=30)
        try:
            conn = http.client.HTTPConnection(p.hostname, p.port, timeout=30)
            conn.sock = s
            conn.request("GET", url)
            r = conn.getresponse()
            r.read()
            return r.status
        finally:
            s.close()

    with ThreadPoolExecutor(max_workers=100) as pool:
        statuses = list(pool.map(one, urls))
    assert statuses.count(200) == 500
    assert sum(net.requests[u] for u in set(urls)) >= 500
