"""Sessions, throttling and origin checks against ``nianbao serve`` running on 127.0.0.1 (real HTTP).

The server trusts 127.0.0.1 as a reverse proxy, so each test speaks from its own client address
(``X-Forwarded-For``) and the per-address counts of one test do not touch another.
"""

from __future__ import annotations

import os
import re
import sqlite3
import stat
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from nianbao.sandbox import sample
from nianbao.sandbox.harness import serving_workbench
from nianbao.storage import users
from nianbao.storage.store import Store

PASSWORD = "secret-pass-1"
ACCOUNTS = ("alice", "bob", "carol", "dave", "erin", "frank", "gina")
LOCK_SECONDS = 3.0
ENV = {
    "NIANBAO_LOGIN_MAX_FAILURES": "3",
    "NIANBAO_LOGIN_CLIENT_MAX_FAILURES": "4",
    "NIANBAO_LOGIN_LOCK_SECONDS": str(LOCK_SECONDS),
    "NIANBAO_LOGIN_DELAY_SECONDS": "1.5",
    "NIANBAO_LOGIN_DELAY_MAX_SECONDS": "1.5",
    "NIANBAO_TRUSTED_PROXIES": "127.0.0.1",
    "NIANBAO_SESSION_TOUCH_SECONDS": "0",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    db = tmp_path_factory.mktemp("wbsec") / "sec.db"
    with Store(db) as store:
        sample.build(store)
        for name in ACCOUNTS:
            users.add_user(store, name, PASSWORD, "reviewer")
    env = {k: v for k, v in os.environ.items() if k != "NIANBAO_SECRET_KEY"} | ENV
    with serving_workbench(db, env=env) as base:
        yield {"base": base, "db": db, "port": int(base.rsplit(":", 1)[1])}


def client_for(server, address: str, cookies: dict | None = None) -> httpx.Client:
    return httpx.Client(base_url=server["base"], follow_redirects=False, timeout=20,
                        headers={"X-Forwarded-For": address}, cookies=cookies)  # fmt: skip


def csrf(client: httpx.Client, path: str = "/login") -> str:
    page = client.get(path)
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def try_login(client: httpx.Client, name: str, password: str) -> httpx.Response:
    return client.post("/login", data={"username": name, "password": password, "csrf_token": csrf(client)})


def logged_in(client: httpx.Client) -> bool:
    resp = client.get("/")
    assert resp.status_code in (200, 303)
    return resp.status_code == 200


def login(server, name: str, address: str) -> httpx.Client:
    client = client_for(server, address)
    resp = try_login(client, name, PASSWORD)
    assert resp.status_code == 303, resp.text
    assert logged_in(client)
    return client


def events(server, name: str) -> list[str]:
    with sqlite3.connect(server["db"]) as conn:
        return [r[0] for r in conn.execute("SELECT event FROM auth_events WHERE user_name = ? ORDER BY id", (name,))]


# ---------------------------------------------------------------- throttling


def test_account_is_delayed_then_locked_after_n_failures_and_recovers(server):
    with client_for(server, "10.1.0.1") as c:
        assert try_login(c, "alice", "wrong-1").status_code == 401
        assert try_login(c, "alice", "wrong-2").status_code == 401  # the first failure costs no delay
        too_soon = try_login(c, "alice", PASSWORD)  # right password, but inside the back-off delay
        assert too_soon.status_code == 429 and "过于频繁" in too_soon.text and not logged_in(c)
        time.sleep(1.6)
        third = try_login(c, "alice", "wrong-3")  # the N-th failure locks the account
        assert third.status_code == 401 and "临时锁定" in third.text
        locked_at = time.monotonic()
    # the lock holds for the right password, from another address too
    with client_for(server, "10.1.0.2") as other:
        refused = try_login(other, "alice", PASSWORD)
        assert refused.status_code == 429 and "该账号已被临时锁定" in refused.text
        assert int(refused.headers["retry-after"]) >= 1 and not logged_in(other)
        time.sleep(max(0.0, LOCK_SECONDS + 0.3 - (time.monotonic() - locked_at)))
        assert try_login(other, "alice", PASSWORD).status_code == 303 and logged_in(other)
    ev = events(server, "alice")
    assert ev.count("login_failed") == 3 and "throttled" in ev and "locked" in ev and ev[-1] == "login"


def test_client_address_is_locked_across_accounts_and_admin_sees_the_events(server):
    with client_for(server, "10.2.0.1") as c:
        for i in range(4):  # four accounts, one wrong password each: the address hits its limit
            if i >= 2:
                assert try_login(c, f"nobody{i}", "wrong").status_code == 429  # the address's back-off
                time.sleep(1.6)
            assert try_login(c, f"nobody{i}", "wrong").status_code == 401
        refused = try_login(c, "bob", PASSWORD)
        assert refused.status_code == 429 and "本机地址已被临时锁定" in refused.text and not logged_in(c)
    admin = login(server, "bob", "10.2.0.2")  # the same account from another address is fine
    page = admin.get("/security")
    assert page.status_code == 200
    table = page.text[page.text.index('id="auth-events"'):]
    assert "10.2.0.1" in table and "临时锁定" in table and "登录过于频繁（已拒绝）" in table
    admin.close()


# ---------------------------------------------------------------- sessions end


def test_logout_ends_a_copied_session(server):
    c = login(server, "carol", "10.3.0.1")
    copied = dict(c.cookies)
    assert "nianbao_session" in copied
    resp = c.post("/logout", data={"csrf_token": csrf(c, "/")})
    assert resp.status_code == 303 and not logged_in(c)
    with client_for(server, "10.3.0.2", cookies=copied) as thief:
        assert not logged_in(thief)
    c.close()


def test_password_change_ends_every_other_session(server):
    a = login(server, "dave", "10.4.0.1")
    b = login(server, "dave", "10.4.0.2")
    copied_a = dict(a.cookies)
    resp = a.post("/account/password", data={"current": PASSWORD, "new": "new-secret-22", "again": "new-secret-22",
                                              "csrf_token": csrf(a, "/account/password")})  # fmt: skip
    assert resp.status_code == 303
    home = a.get("/")  # this browser got a fresh session
    assert home.status_code == 200 and "密码已修改" in home.text
    assert not logged_in(b)
    with client_for(server, "10.4.0.3", cookies=copied_a) as thief:
        assert not logged_in(thief)
    # an administrator's reset (``nianbao users add`` again) ends sessions too
    with Store(server["db"]) as store:
        users.add_user(store, "dave", PASSWORD, "reviewer")
    assert not logged_in(a)
    a.close()
    b.close()


def test_disabled_accounts_session_dies(server):
    from nianbao.cli import main

    c = login(server, "erin", "10.5.0.1")
    result = CliRunner().invoke(main, ["users", "disable", "erin", "--db", str(server["db"])])
    assert result.exit_code == 0, result.output
    assert "已停用" in result.output
    assert not logged_in(c)
    assert try_login(c, "erin", PASSWORD).status_code == 401
    c.close()


# ---------------------------------------------------------------- cookies and origins


def test_cross_site_get_keeps_the_session(server):
    c = login(server, "frank", "10.6.0.1")
    token = c.cookies["nianbao_session"]
    with client_for(server, "10.6.0.1") as fresh:
        resp = fresh.post("/login", data={"username": "frank", "password": PASSWORD,
                                          "csrf_token": csrf(fresh)})  # fmt: skip
        cookie = [v for k, v in resp.headers.multi_items() if k == "set-cookie" and v.startswith("nianbao_session=")]
        assert len(cookie) == 1 and "samesite=lax" in cookie[0].lower() and "httponly" in cookie[0].lower()
    # a link opened from OA or e-mail: a top-level GET with a foreign Referer; the page shows, no cookie is touched
    cross = {"Referer": "https://oa.example.com/mail/1", "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"}
    resp = c.get("/reports/1", headers=cross)
    assert resp.status_code == 200 and "nianbao_session" not in resp.headers.get("set-cookie", "")
    # the login page reached without the cookie (as a Strict cookie would be withheld) sets no session cookie
    with client_for(server, "10.6.0.1") as bare:
        page = bare.get("/login", headers=cross)
        assert page.status_code == 200 and "nianbao_session" not in page.headers.get("set-cookie", "")
    # and with it, redirects home without touching it
    resp = c.get("/login", headers=cross)
    assert resp.status_code == 303 and "set-cookie" not in resp.headers
    assert c.cookies["nianbao_session"] == token and logged_in(c)
    c.close()


def test_post_with_a_foreign_origin_is_refused(server):
    c = login(server, "gina", "10.7.0.1")
    with Store(server["db"]) as store:
        fp = store.one("SELECT fingerprint FROM findings ORDER BY id LIMIT 1")["fingerprint"]
    token = csrf(c, "/")
    form = {"fp": fp, "decision": "confirmed", "note": "跨站", "csrf_token": token}
    for headers in ({"Origin": "http://evil.example"}, {"Origin": "null"},
                    {"Referer": "http://evil.example/page.html"}):  # fmt: skip
        resp = c.post("/review", data=form, headers=headers)
        assert resp.status_code == 403 and "跨站请求" in resp.text
    with Store(server["db"]) as store:
        assert store.review(fp)["status"] == "pending"
        assert store.one("SELECT COUNT(*) AS n FROM auth_events WHERE event = 'foreign_origin'")["n"] >= 3
    # the same POST from the workbench's own origin goes through
    resp = c.post("/review", data=form, headers={"Origin": server["base"]})
    assert resp.status_code in (200, 303)
    with Store(server["db"]) as store:
        assert store.review(fp)["status"] == "confirmed"
    c.close()


def test_the_signing_key_is_not_in_the_database(server):
    key_file = Path(str(server["db"]) + ".key")
    assert key_file.is_file() and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = key_file.read_text().strip()
    assert len(key) >= 32
    with sqlite3.connect(server["db"]) as conn:
        assert conn.execute("SELECT COUNT(*) FROM app_secrets WHERE name = 'session_key'").fetchone()[0] == 0
        tokens = [r[0] for r in conn.execute("SELECT id FROM sessions")]
    assert tokens  # sessions exist, kept as keyed hashes
    for f in server["db"].parent.glob(server["db"].name + "*"):
        if f != key_file and f.is_file():
            assert key.encode() not in f.read_bytes(), f
