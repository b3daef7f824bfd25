"""Server-side sessions in-process: timeouts, HTTPS flags, the key outside the database, migration,
and the throttle arithmetic (storage functions with an explicit clock)."""

from __future__ import annotations

import re
import sqlite3
import time
import warnings

import pytest
from click.testing import CliRunner

from nianbao.cli import main
from nianbao.storage import users
from nianbao.storage.schema import MIGRATIONS, configure, migrate
from nianbao.storage.store import Store
from nianbao.workbench.sessions import SecuritySettings, session_key

warnings.filterwarnings("ignore", message=".*httpx.*")
from starlette.testclient import TestClient  # noqa: E402

from nianbao.workbench.app import create_app  # noqa: E402

WHO = ("alice", "secret-pass-1")


@pytest.fixture
def db(tmp_path, monkeypatch):
    monkeypatch.delenv("NIANBAO_SECRET_KEY", raising=False)
    path = tmp_path / "s.db"
    with Store(path) as store:
        users.add_user(store, *WHO, "reviewer")
    return path


def make_app(db, **settings):
    return create_app(db, settings=SecuritySettings(touch_seconds=0, **settings))


def login(app, headers: dict | None = None):
    client = TestClient(app, headers=headers or {})
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    # the login cookie may be Secure (not sent back over the test's plain http): send it by hand
    login_cookie = re.search(r"nianbao_login=([^;]+)", page.headers["set-cookie"]).group(1)
    resp = client.post("/login", data={"username": WHO[0], "password": WHO[1], "csrf_token": token},
                       headers={"Cookie": f"nianbao_login={login_cookie}"}, follow_redirects=False)  # fmt: skip
    assert resp.status_code == 303, resp.text
    return client, resp


def home_status(client) -> int:
    return client.get("/", follow_redirects=False).status_code


def ended(app) -> list[str]:
    return [r["ended_reason"] for r in app.state.store.query("SELECT ended_reason FROM sessions ORDER BY created")]


def test_idle_timeout_ends_the_session(db):
    app = make_app(db, idle_seconds=1.0)
    client, _ = login(app)
    for _ in range(3):  # activity keeps it alive past the idle time
        time.sleep(0.5)
        assert home_status(client) == 200
    time.sleep(1.3)
    assert home_status(client) == 303
    assert ended(app) == ["idle"]
    app.state.store.close()


def test_absolute_timeout_ends_an_active_session(db):
    app = make_app(db, idle_seconds=60, absolute_seconds=1.5)
    client, _ = login(app)
    assert home_status(client) == 200
    time.sleep(0.8)
    assert home_status(client) == 200
    time.sleep(0.9)
    assert home_status(client) == 303
    assert ended(app) == ["expired"]
    app.state.store.close()


def test_cookie_token_is_not_stored_and_user_agent_is(db):
    app = make_app(db)
    client, _ = login(app, {"User-Agent": "Mozilla/5.0 (nianbao-test)"})
    token = client.cookies["nianbao_session"]
    rows = app.state.store.query("SELECT id, user_agent, client FROM sessions")
    assert len(rows) == 1 and rows[0]["id"] != token and token not in rows[0]["id"]
    assert rows[0]["user_agent"] == "Mozilla/5.0 (nianbao-test)"
    app.state.store.close()
    assert token.encode() not in db.read_bytes()


@pytest.mark.parametrize("settings, headers, secure", [
    ({}, {}, False),
    ({}, {"X-Forwarded-Proto": "https"}, False),  # the header from an untrusted peer is ignored
    ({"trusted_proxies": frozenset({"testclient"})}, {"X-Forwarded-Proto": "https"}, True),
    ({"trusted_proxies": frozenset({"testclient"})}, {"X-Forwarded-Proto": "http"}, False),
    ({"secure_cookies": True}, {}, True),
])  # fmt: skip
def test_secure_cookie_and_hsts_from_setting_or_trusted_proxy(db, settings, headers, secure):
    app = make_app(db, **settings)
    _, resp = login(app, headers)
    cookie = resp.headers["set-cookie"]
    assert cookie.startswith("nianbao_session=") and "SameSite=Lax" in cookie
    assert ("Secure" in cookie.split("; ")) is secure
    assert ("strict-transport-security" in resp.headers) is secure
    app.state.store.close()


def test_key_file_is_private_and_stable_and_env_wins(db, monkeypatch):
    key = session_key(db)
    path = db.parent / (db.name + ".key")
    assert path.stat().st_mode & 0o777 == 0o600 and session_key(db) == key and len(key) >= 32
    path.chmod(0o644)
    assert session_key(db) == key and path.stat().st_mode & 0o777 == 0o600
    monkeypatch.setenv("NIANBAO_SECRET_KEY", "x" * 40)
    assert session_key(db) == b"x" * 40
    monkeypatch.setenv("NIANBAO_SECRET_KEY", "short")
    with pytest.raises(ValueError, match="NIANBAO_SECRET_KEY"):
        session_key(db)
    with pytest.raises(ValueError):
        users.secret(Store(db), "session_key")


def test_migration_removes_the_old_in_database_key(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    configure(conn)
    migrate(conn, MIGRATIONS[:3])  # a database of the previous release
    old_key = "K" * 20 + "old-session-key-in-the-database" + "K" * 20
    conn.execute("INSERT INTO app_secrets (name, value, created_at) VALUES ('session_key', ?, '2026-01-01')",
                 (old_key,))  # fmt: skip
    conn.execute("INSERT INTO app_secrets (name, value, created_at) VALUES ('other', 'kept', '2026-01-01')")
    conn.close()
    assert old_key.encode() in path.read_bytes()
    with Store(path) as store:
        assert store.one("SELECT COUNT(*) AS n FROM sessions")["n"] == 0
        assert [r["name"] for r in store.query("SELECT name FROM app_secrets")] == ["other"]
    for f in tmp_path.iterdir():
        assert old_key.encode() not in f.read_bytes(), f.name


def test_throttle_delay_doubles_then_locks_and_counts_decay(db):
    store = Store(db)
    keys = {"user:x": 4, "client:1.2.3.4": 100}
    t = 1000.0
    state = lambda now: users.throttle_state(store, list(keys), delay_base=1, delay_max=3, now=now)  # noqa: E731
    assert users.record_failure(store, keys, lock_seconds=60, now=t) == []
    assert state(t) == (None, 0.0, False)  # one failure: no delay
    users.record_failure(store, keys, lock_seconds=60, now=t)
    assert state(t + 0.5) == ("user:x", 0.5, False)  # 2 failures: 1 s
    users.record_failure(store, keys, lock_seconds=60, now=t + 1)
    assert state(t + 2.5) == ("user:x", 0.5, False)  # 3 failures: 2 s
    assert users.record_failure(store, keys, lock_seconds=60, now=t + 4) == ["user:x"]
    assert state(t + 10) == ("user:x", 54.0, True)
    client = users.throttle_state(store, ["client:1.2.3.4"], delay_base=1, delay_max=3, now=t + 5)
    assert client == ("client:1.2.3.4", 2.0, False)  # the address has its own back-off (4 s capped at 3)
    assert state(t + 64.5) == (None, 0.0, False)  # the lock is over
    users.record_failure(store, {"user:x": 4}, lock_seconds=60, now=t + 200)  # old count decayed: 1 again
    assert store.one("SELECT failures FROM login_throttle WHERE key = 'user:x'")["failures"] == 1
    users.record_success(store, ["user:x"])
    assert store.one("SELECT COUNT(*) AS n FROM login_throttle WHERE key = 'user:x'")["n"] == 0
    store.close()


def test_stale_throttle_counts_are_forgotten(db):
    store = Store(db)
    for i in range(50):  # made-up names, one failure each
        users.record_failure(store, {f"user:nobody{i}": 5}, lock_seconds=60, now=1000.0 + i)
    assert store.one("SELECT COUNT(*) AS n FROM login_throttle")["n"] == 50
    users.record_failure(store, {"user:x": 5}, lock_seconds=60, now=1075.0)  # nobody0..14 have run out
    assert store.one("SELECT COUNT(*) AS n FROM login_throttle")["n"] == 36
    store.close()


def test_admin_unlocks_and_the_security_page_escapes_what_attackers_typed(db):
    app = make_app(db, max_failures=2, delay_base=0)
    client = TestClient(app)
    for name in ("alice", "alice", "<script>alert(1)</script>"):
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
        resp = client.post("/login", data={"username": name, "password": "wrong-password", "csrf_token": token})
        assert resp.status_code == 401
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    assert client.post("/login", data={"username": WHO[0], "password": WHO[1], "csrf_token": token}).status_code == 429
    result = CliRunner().invoke(main, ["users", "unlock", "alice", "--db", str(db)])
    assert result.exit_code == 0 and "已解除" in result.output
    logged, _ = login(app)
    page = logged.get("/security").text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "管理员解除锁定" in page and "临时锁定" in page
    app.state.store.close()


@pytest.mark.parametrize("trusted, headers, ok", [
    (False, {"Origin": "http://testserver"}, True),
    (False, {"Origin": "http://testserver:80"}, True),  # the default port written out
    (False, {"Origin": "http://testserver.evil.example"}, False),
    (False, {"Origin": "https://wb.example.gov.cn", "X-Forwarded-Host": "wb.example.gov.cn"}, False),
    (True, {"Origin": "https://wb.example.gov.cn", "X-Forwarded-Host": "wb.example.gov.cn",
            "X-Forwarded-Proto": "https"}, True),  # behind the proxy, under its public name
    (True, {"Origin": "https://evil.example", "X-Forwarded-Host": "wb.example.gov.cn",
            "X-Forwarded-Proto": "https"}, False),
    (False, {"Referer": "http://testserver/findings?x=1"}, True),
    (False, {"Referer": "http://evil.example/testserver"}, False),
])  # fmt: skip
def test_origin_check_knows_its_own_names(db, trusted, headers, ok):
    app = make_app(db, trusted_proxies=frozenset({"testclient"}) if trusted else frozenset())
    client, _ = login(app)
    resp = client.post("/logout", data={"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"',
                                                                client.get("/").text).group(1)},
                       headers=headers, follow_redirects=False)  # fmt: skip
    assert (resp.status_code == 303) is ok and (resp.status_code == 403) is (not ok)
    app.state.store.close()
