"""Only public http(s) destinations (pure checks of nianbao.crawler.guard) and the health verdicts."""

from __future__ import annotations

import pytest

from nianbao.crawler.guard import ip_literal, refusal
from nianbao.monitor.sitestats import health


@pytest.mark.parametrize(("url", "why"), [
    ("file:///etc/passwd", "scheme"),
    ("FILE:///etc/passwd.pdf", "scheme"),
    ("ftp://10.0.0.1/r.pdf", "scheme"),
    ("ftp://www.example.gov.cn/r.pdf", "scheme"),
    ("data:text/html,<a href=x>x</a>", "scheme"),
    ("s3://bucket/key", "scheme"),
    ("gopher://127.0.0.1:6379/_INFO", "scheme"),
    ("http://169.254.169.254/latest/meta-data/", "link_local"),
    ("http://0xa9fea9fe/", "link_local"),
    ("http://2852039166/", "link_local"),
    ("http://0251.0376.0251.0376/", "link_local"),
    ("http://[::ffff:a9fe:a9fe]/", "link_local"),
    ("http://[fe80::1]/", "link_local"),
    ("http://127.0.0.1:6379/", "loopback"),
    ("http://127.1/", "loopback"),
    ("http://[::1]:8080/", "loopback"),
    ("http://10.0.0.1/", "private"),
    ("https://192.168.1.1/admin", "private"),
    ("http://172.16.5.4/", "private"),
    ("http://localhost/", "localhost"),
    ("http://LOCALHOST.:8000/", "localhost"),
    ("http://a.localhost/", "localhost"),
    ("http://0.0.0.0/", "reserved"),
    ("http://100.64.0.1/", "reserved"),
    ("http:///path-only", "no_host"),
])  # fmt: skip
def test_refused(url, why):
    assert refusal(url) == why


@pytest.mark.parametrize("url", [
    "http://www.wuhan.gov.cn/zwgk/",
    "https://xxgk.beijing.gov.cn/a.pdf",
    "http://8.8.8.8/",
    "http://[2001:4860:4860::8888]/",
    "http://0x7f.example.gov.cn/",  # a name, not an address
])  # fmt: skip
def test_public_http_allowed(url):
    assert refusal(url) is None


def test_allowed_hosts_are_an_exception():
    assert refusal("http://127.0.0.1:8000/", frozenset({"127.0.0.1"})) is None
    assert refusal("http://localhost:8000/", frozenset({"localhost"})) is None
    assert refusal("http://10.0.0.1/", frozenset({"127.0.0.1"})) == "private"


def test_ip_literal_spellings():
    assert str(ip_literal("0xa9fea9fe")) == "169.254.169.254"
    assert str(ip_literal("2852039166")) == "169.254.169.254"
    assert ip_literal("www.gov.cn") is None


def test_health_every_candidate_failed_is_not_ok():
    base = {"requests": 10, "responses": 10, "status_2xx": 10, "candidates": 3, "reports": 0}
    assert health({**base, "problems": [{"url": "u", "kind": "file", "error": "damaged DOCX"}]}) == "unreadable"
    assert health(base) == "no_reports"
    assert health({**base, "reports": 1}) == "ok"
    assert health({**base, "candidates": 0, "resumed_reports": 4}) == "ok"  # a resumed run's stored reports
    assert health({**base, "candidates": 0}) == "empty"


def test_browser_aborts_what_is_not_the_crawl():
    from nianbao.crawler.browser import aborts

    page = "http://www.sjtq.gov.cn/zwgk/index.html"
    assert not aborts("document", "http://www.sjtq.gov.cn/a.html", page, navigation=True)
    assert not aborts("script", "http://www.sjtq.gov.cn/js/list.js", page)
    assert not aborts("xhr", "http://www.sjtq.gov.cn/api/list?page=2", page)
    assert not aborts("xhr", "http://data.sjtq.gov.cn/api/list", page)  # another host of the same portal
    assert aborts("image", "http://www.sjtq.gov.cn/logo.png", page)
    assert aborts("ping", "https://hm.baidu.com/hm.gif?si=1", page)  # analytics beacon of another site
    assert aborts("other", "https://update.googleapis.com/service/update2", page)
    assert aborts("websocket", "wss://push.example.com/", page)
    assert not aborts("ping", "http://www.sjtq.gov.cn/count", page)


def test_runs_of_dead_crawls_are_closed_as_interrupted(tmp_path):
    import json
    import socket
    import subprocess
    import sys

    from nianbao.crawler.pipelines import close_dead_runs
    from nianbao.storage.store import Store

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)
    dead_pid = int(dead.stdout)  # a process that has exited
    import os

    host = socket.gethostname()
    with Store(tmp_path / "n.db") as store:
        killed = store.start_run("crawl", {"pid": dead_pid, "host": host})
        alive = store.start_run("crawl", {"pid": os.getpid(), "host": host})
        elsewhere = store.start_run("crawl", {"pid": dead_pid, "host": host + "-other"})
        assert close_dead_runs(store) == [killed]
        status = {r["id"]: r["status"] for r in store.query("SELECT id, status FROM runs")}
        assert status == {killed: "interrupted", alive: "running", elsewhere: "running"}
        assert json.loads(store.query("SELECT params FROM runs WHERE id = ?", (killed,))[0]["params"])["pid"] == dead_pid


def test_runs_list_says_interrupted_in_chinese():
    from nianbao.monitor.runs import format_runs

    row = {"id": 3, "kind": "crawl", "status": "interrupted", "started": "2026-12-04 10:00", "finished": "2026-12-04 10:05",
           "seconds": 300.0, "requests": 10, "bytes": 2048, "not_modified": 0, "new": 1, "changed": 0, "removed": 0,
           "errors": 0, "sites": []}
    line = format_runs([row])[0]
    assert "已中断" in line and "进行中" not in line and "interrupted" not in line
