"""The crawler talks to the portals and nothing else: Chromium rendering every page through the
sandbox proxy makes no request for any other host (no sign-in, component or variations updates)."""

from __future__ import annotations

import pytest

from nianbao.sandbox.demo import crawl_subprocess
from nianbao.sandbox.network import generate
from nianbao.sandbox.server import ProxyServer


@pytest.mark.browser
@pytest.mark.timeout(600)
def test_rendering_crawl_asks_the_proxy_for_portal_hosts_only(tmp_path):
    net = generate(11, 3)
    site = next(s for s in net.ground_truth()["sites"] if s["template"] == "jscolumn")
    sites = tmp_path / "sites.csv"
    sites.write_text(f"agency,url,level,render\n{site['agency']},{site['url']},county,always\n", encoding="utf-8")
    server = ProxyServer(net).start()
    try:
        done = crawl_subprocess(sites, tmp_path / "n.db", server.url, quiet=True, timeout=500)
    finally:
        server.stop()
    assert done.returncode == 0, done.stdout
    rendered = int(done.stdout.split("浏览器渲染 ")[1].split(" 页")[0])
    assert rendered > 0
    portal_hosts = {h for p in net.plans for h in p.hosts()} | {p.host for p in net.plans}
    others = {h: n for h, n in server.hosts.items() if h not in portal_hosts and not h.endswith(".gov.cn")}
    assert others == {}, others
