"""A gateway that challenges robots.txt too: the crawl passes it without an ERROR or a traceback in its log."""

from __future__ import annotations

import subprocess
import sys
import threading
from http.server import ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

from nianbao.sandbox.demo import proxy_env
from nianbao.storage import exports
from tests.test_crawl_challenge import CHALLENGE, COOKIE, HOST, Gateway


class RobotsGateway(Gateway):
    always = True  # robots.txt is challenged even with the cookie (a gateway that never lets it through)

    def do_GET(self) -> None:  # noqa: N802
        url = urlsplit(self.path if self.path.startswith("http") else f"http://{self.headers['Host']}{self.path}")
        if url.path == "/robots.txt" and (self.always or COOKIE not in (self.headers.get("Cookie") or "")):
            self.served["robots_challenge"] += 1
            return self._send(521, CHALLENGE, "text/html")
        return super().do_GET()


@pytest.fixture
def gateway():
    server = ThreadingHTTPServer(("127.0.0.1", 0), RobotsGateway)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    RobotsGateway.served.clear()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.browser
@pytest.mark.timeout(400)
def test_challenged_robots_txt_logs_no_error(gateway, tmp_path):
    from nianbao.storage.store import Store

    sites = tmp_path / "sites.csv"
    sites.write_text(f"agency,url,level\n网关县人民政府,http://{HOST}/,county\n", encoding="utf-8")
    db = tmp_path / "n.db"
    cmd = [sys.executable, "-m", "nianbao.cli", "crawl", "--sites", str(sites), "--db", str(db), "--quiet",
           "-s", "AUTOTHROTTLE_START_DELAY=0.05", "-s", "RETRY_BACKOFF_BASE=0.5", "-s", "LOG_LEVEL=WARNING"]
    done = subprocess.run(cmd, env=proxy_env(gateway), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert RobotsGateway.served["robots_challenge"] >= 1
    assert "Traceback" not in done.stderr and " ERROR" not in done.stderr and "[ERROR]" not in done.stderr, \
        done.stderr[-3000:]
    with Store(db) as store:
        assert sorted(r["year"] for r in exports.export_reports(store)) == [2022, 2023]
