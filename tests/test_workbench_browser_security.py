"""Real Chromium, a real server: a link from another site keeps the session; a form posted from
another site is refused; the lock after repeated wrong passwords shows in Chinese.

The "other site" is a small page served on ``localhost`` while the workbench is opened as
``127.0.0.1`` (different sites to the browser, so ``SameSite`` applies).
"""

from __future__ import annotations

import http.server
import os
import threading

import pytest

from nianbao.sandbox import sample
from nianbao.sandbox.harness import serving_workbench
from nianbao.storage import users
from nianbao.storage.store import Store
from tests.conftest import CHROMIUM

pytestmark = pytest.mark.browser
PASSWORD = "secret-pass-1"


@pytest.fixture(scope="module")
def workbench(tmp_path_factory):
    if not os.path.exists(CHROMIUM):
        pytest.skip("Chromium is not installed")
    db = tmp_path_factory.mktemp("wbxs") / "xs.db"
    with Store(db) as store:
        ids = sample.build(store)
        users.add_user(store, "alice", PASSWORD, "reviewer")
        users.add_user(store, "zoe", PASSWORD, "reviewer")
        fp = store.one("SELECT fingerprint FROM findings ORDER BY id LIMIT 1")["fingerprint"]
    env = {k: v for k, v in os.environ.items() if k != "NIANBAO_SECRET_KEY"} | {
        "NIANBAO_LOGIN_MAX_FAILURES": "3", "NIANBAO_LOGIN_LOCK_SECONDS": "60", "NIANBAO_LOGIN_DELAY_SECONDS": "0"}
    with serving_workbench(db, env=env) as base:
        yield {"base": base, "db": db, "ids": ids, "fp": fp}


@pytest.fixture(scope="module")
def foreign_site(workbench):
    """An "OA" page on another site linking to a report and posting a review form."""
    rid = next(iter(workbench["ids"].values()))
    html = (f'<!DOCTYPE html><meta charset="utf-8"><title>OA</title>'
            f'<a id="link" href="{workbench["base"]}/reports/{rid}">查看年报</a>'
            f'<form id="evil" method="post" action="{workbench["base"]}/review">'
            f'<input name="fp" value="{workbench["fp"]}"><input name="decision" value="dismissed">'
            f'<input name="csrf_token" value="guess"><button id="go">提交</button></form>').encode()  # fmt: skip

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(html)))
            self.end_headers()
            self.wfile.write(html)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _login(page, base: str, name: str, password: str) -> None:
    page.goto(base + "/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def test_link_from_another_site_keeps_the_session_and_its_post_is_refused(browser, workbench, foreign_site):
    ctx = browser.new_context(locale="zh-CN")
    try:
        page = ctx.new_page()
        _login(page, workbench["base"], "alice", PASSWORD)
        page.wait_for_url(workbench["base"] + "/")
        before = {c["name"]: c["value"] for c in ctx.cookies()}
        page.goto(foreign_site)
        page.click("#link")
        page.wait_for_load_state()
        assert "/reports/" in page.url and "/login" not in page.url
        assert page.locator("header .who").inner_text().startswith("alice")
        page.goto(workbench["base"] + "/")  # and still logged in afterwards
        assert page.url == workbench["base"] + "/"
        after = {c["name"]: c["value"] for c in ctx.cookies()}
        assert after["nianbao_session"] == before["nianbao_session"]
        # a form on the other site posting to the workbench
        page.goto(foreign_site)
        page.click("#go")
        page.wait_for_load_state()
        assert "跨站请求" in page.content()
        with Store(workbench["db"]) as store:
            assert store.review(workbench["fp"])["status"] == "pending"
    finally:
        ctx.close()


def test_repeated_wrong_passwords_lock_the_account_in_chinese(browser, workbench):
    ctx = browser.new_context(locale="zh-CN")
    try:
        page = ctx.new_page()
        for _ in range(3):
            _login(page, workbench["base"], "zoe", "wrong-password")
            page.wait_for_load_state()
        assert "临时锁定" in page.content()
        _login(page, workbench["base"], "zoe", PASSWORD)
        page.wait_for_load_state()
        assert "该账号已被临时锁定" in page.content() and "/login" in page.url
    finally:
        ctx.close()
