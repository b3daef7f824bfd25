"""Accounts (#16): the 管理员 role, region-scoped accounts, the last-admin guard, the migration, and
the scope helper every view uses (in-process: the real app over a real SQLite store)."""

from __future__ import annotations

import io
import re
import sqlite3
import warnings

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from nianbao.cli import main
from nianbao.sandbox import sample
from nianbao.storage import users
from nianbao.storage.schema import MIGRATIONS, configure, migrate
from nianbao.storage.store import Store
from nianbao.workbench.overview import Filters
from nianbao.workbench.places import place_of
from nianbao.workbench.scope import RegionScope, code_prefix, resolve_region
from nianbao.workbench.sessions import SecuritySettings
from tests.conftest import log_in

warnings.filterwarnings("ignore", message=".*httpx.*")
from starlette.testclient import TestClient  # noqa: E402

from nianbao.workbench.app import create_app  # noqa: E402

ANSHAN, DALIAN, TIEDONG = "210300", "210200", "210302"


# ---------------------------------------------------------------- the scope helper


def test_code_prefix_and_covers():
    assert code_prefix("210000") == "21" and code_prefix(ANSHAN) == "2103" and code_prefix(TIEDONG) == TIEDONG
    assert code_prefix("210300000000") == "2103"
    pref = RegionScope(ANSHAN)
    assert pref.covers_code(TIEDONG) and pref.covers_code(ANSHAN) and pref.covers_code("210381")
    assert not pref.covers_code(DALIAN) and not pref.covers_code("210000") and not pref.covers_code("")
    assert not pref.covers_code("鞍山市")  # a name is no code: never taken as inside
    county = RegionScope(TIEDONG)
    assert county.covers(place_of(TIEDONG)) and not county.covers(place_of(ANSHAN))  # the city itself is above
    assert pref.covers(place_of(ANSHAN)) and not pref.covers(place_of("210000"))  # the province is above
    assert RegionScope(None).covers(place_of(DALIAN)) and RegionScope(None).covers_code(None)
    # a municipality plays province and prefecture: its scope covers its districts
    assert RegionScope("110000").covers(place_of("110101"))


def test_clamp_keeps_the_region_inside_the_scope():
    scope = RegionScope(ANSHAN)
    assert scope.clamp(Filters()).region == ANSHAN  # nothing asked: the scope
    assert scope.clamp(Filters(region=TIEDONG)).region == TIEDONG  # inside: kept
    assert scope.clamp(Filters(region=DALIAN, year=2023)) == Filters(region=ANSHAN, year=2023)  # outside
    assert scope.clamp(Filters(region="210000")).region == ANSHAN  # above: the scope
    assert RegionScope(None).clamp(Filters(region=DALIAN)).region == DALIAN
    assert scope.region_options([("210000", "辽宁省", 0), (ANSHAN, "鞍山市", 1), (TIEDONG, "铁东区", 2),
                                 (DALIAN, "大连市", 1)]) == [(ANSHAN, "鞍山市", 1), (TIEDONG, "铁东区", 2)]


def test_scope_agencies_and_finding_filters(store):
    sample.build(store)
    scope = RegionScope(ANSHAN)
    names = {a["name"] for a in scope.agencies(store.query("SELECT * FROM agencies"))}
    assert names == {a.name for a in sample.AGENCIES if a.region.startswith("2103")}
    ids = scope.agency_ids(store)
    assert scope.finding_filters(store, {"year": 2023}) == {"year": 2023, "agency_ids": ids}
    assert scope.finding_filters(store, {"agency_ids": [ids[0], 10**6]})["agency_ids"] == [ids[0]]
    assert RegionScope(None).agency_ids(store) is None and RegionScope(None).finding_filters(store, {}) == {}


def test_resolve_region_by_code_or_unique_name():
    assert resolve_region("210300") == ANSHAN and resolve_region("辽宁省鞍山市") == ANSHAN
    assert resolve_region("  ") is None
    with pytest.raises(ValueError, match="不认识的行政区划"):
        resolve_region("999999")
    with pytest.raises(ValueError, match="不认识的行政区划"):
        resolve_region("不存在的地方")


# ---------------------------------------------------------------- accounts in storage and the CLI


def test_last_enabled_admin_cannot_be_disabled_or_demoted(store):
    users.add_user(store, "root", "admin-pass-1", "admin")
    uid = users.add_user(store, "ann", "secret-pass-1", "reviewer")
    with pytest.raises(users.AccountError, match="最后一个启用的管理员"):
        users.set_disabled(store, "root")
    root = users.get_user(store, "root")["id"]
    with pytest.raises(users.AccountError, match="最后一个启用的管理员"):
        users.update_account(store, root, role="reviewer", region_code=None, by="root")
    with pytest.raises(users.AccountError, match="最后一个启用的管理员"):
        users.add_user(store, "root", "admin-pass-2", "readonly")  # the CLI's overwrite too
    with pytest.raises(users.AccountError, match="管理员账号不能限定地区"):
        users.update_account(store, uid, role="admin", region_code=ANSHAN, by="root")
    users.update_account(store, uid, role="admin", region_code=None, by="root")
    assert users.set_disabled(store, "root", by="ann")  # another admin remains
    with pytest.raises(users.AccountError):
        users.set_disabled(store, "ann")
    events = [(e["event"], e["user_name"]) for e in users.auth_events(store)]
    assert ("account_changed", "ann") in events and ("disabled", "root") in events


def test_cli_adds_admin_and_region_scoped_accounts(tmp_path):
    db = str(tmp_path / "c.db")
    runner = CliRunner()
    r = runner.invoke(main, ["users", "add", "root", "--role", "admin", "--password-stdin", "--db", db],
                      input="admin-pass-1\n")  # fmt: skip
    assert r.exit_code == 0 and "管理员" in r.output, r.output
    r = runner.invoke(main, ["users", "add", "as", "--role", "reviewer", "--region", "辽宁省鞍山市",
                             "--password-stdin", "--db", db], input="secret-pass-1\n")  # fmt: skip
    assert r.exit_code == 0 and "鞍山市" in r.output and ANSHAN in r.output, r.output
    r = runner.invoke(main, ["users", "add", "x", "--role", "admin", "--region", ANSHAN, "--password-stdin",
                             "--db", db], input="secret-pass-1\n")  # fmt: skip
    assert r.exit_code != 0 and "管理员账号不能限定地区" in r.output
    r = runner.invoke(main, ["users", "add", "y", "--role", "reviewer", "--region", "火星", "--password-stdin",
                             "--db", db], input="secret-pass-1\n")  # fmt: skip
    assert r.exit_code != 0 and "不认识的行政区划" in r.output
    r = runner.invoke(main, ["users", "disable", "root", "--db", db])
    assert r.exit_code != 0 and "最后一个启用的管理员" in r.output
    r = runner.invoke(main, ["users", "list", "--db", db])
    assert "辽宁省鞍山市" in r.output and "全部地区" in r.output
    with Store(db) as store:
        assert users.get_user(store, "as")["region_code"] == ANSHAN


def test_migration_keeps_accounts_and_live_sessions(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    configure(conn)
    migrate(conn, MIGRATIONS[:5])  # a database of the previous release
    conn.execute("INSERT INTO users (name, role, password_hash, created_at, updated_at) "
                 "VALUES ('ann', 'reviewer', 'h', 'x', 'x')")  # fmt: skip
    conn.execute("INSERT INTO sessions (id, user_id, created, last_seen) VALUES ('s1', 1, 1, 1)")
    conn.close()
    with Store(path) as store:
        assert store.one("SELECT name, role, region_code FROM users") == {"name": "ann", "role": "reviewer",
                                                                          "region_code": None}
        assert store.one("SELECT id, user_id FROM sessions") == {"id": "s1", "user_id": 1}
        users.add_user(store, "root", "admin-pass-1", "admin")  # the widened CHECK
        with store.transaction():
            store.conn.execute("DELETE FROM users WHERE name = 'ann'")
        assert store.one("SELECT COUNT(*) AS n FROM sessions")["n"] == 0  # the cascade still holds


# ---------------------------------------------------------------- the app: scope on every page


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.delenv("NIANBAO_SECRET_KEY", raising=False)
    db = tmp_path / "a.db"
    with Store(db) as store:
        ids = sample.build(store)
        users.add_user(store, "root", "admin-pass-1", "admin")
        users.add_user(store, "all", "secret-pass-1", "reviewer")
        users.add_user(store, "as", "secret-pass-1", "reviewer", ANSHAN)
        users.add_user(store, "td", "secret-pass-1", "readonly", TIEDONG)
    application = create_app(db, settings=SecuritySettings(touch_seconds=0))
    application.state.ids = ids
    yield application
    application.state.store.close()


def login(app, name: str, password: str = "secret-pass-1") -> TestClient:
    return log_in(TestClient(app), name, password)


def csrf(client: TestClient, path: str = "/") -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text).group(1)


def agency_id(app, name: str) -> int:
    return app.state.store.one("SELECT id FROM agencies WHERE name = ?", (name,))["id"]


def report_of(app, name: str, year: int = 2023) -> int:
    return app.state.store.one("SELECT r.id FROM reports r JOIN agencies a ON a.id = r.agency_id "
                               "WHERE a.name = ? AND r.year = ? AND r.current = 1", (name, year))["id"]  # fmt: skip


def test_scoped_reviewer_sees_only_the_prefecture_everywhere(app):
    client = login(app, "as")
    pages = {p: client.get(p).text for p in ("/", "/findings?severity=all", "/agencies", "/scores", "/calendar",
                                              "/export?export_status=open", "/findings?severity=all&q=人民政府")}
    for path, html in pages.items():
        assert "大连" not in html and "东城区" not in html, path
    assert "铁东区" in pages["/agencies"] and "海城市" in pages["/agencies"]
    assert "铁东区" in pages["/"] and "鞍山市" in pages["/calendar"]
    # asking for another region (or the whole province) shows the scope instead
    for path in ("/?region=210200", "/agencies?region=210000", "/findings?region=210200&severity=all"):
        html = client.get(path).text
        assert "大连" not in html and "铁东区" in html, path
    # the region selector offers only regions inside the scope
    options = re.findall(r'<option value="(\d{6})"', pages["/agencies"])
    assert options and all(o.startswith("2103") for o in options)
    # a report, an agency and a document outside the scope: the ordinary Chinese 404
    dalian = report_of(app, "大连市人民政府")
    for path in (f"/reports/{dalian}", f"/agencies/{agency_id(app, '大连市人民政府')}"):
        resp = client.get(path)
        assert resp.status_code == 404 and "大连" not in resp.text and "没有" in resp.text, path
    version = app.state.store.one("SELECT version_id FROM reports WHERE id = ?", (dalian,))["version_id"]
    assert client.get(f"/documents/{version}/view").status_code == 404
    assert client.get(f"/documents/{version}/download").status_code == 404
    assert client.get(f"/reports/{report_of(app, '鞍山市铁东区人民政府')}").status_code == 200
    # exports: CSV and XLSX only the scope's agencies
    csv = client.get("/export/noncompliant.csv?year=2023&export_status=open").text
    assert "鞍山" in csv and "大连" not in csv and "东城" not in csv
    wb = load_workbook(io.BytesIO(client.get("/export/noncompliant.xlsx?year=2023&export_status=open").content))
    cells = " ".join(str(c.value) for row in wb.active.iter_rows() for c in row if c.value)
    assert "鞍山" in cells and "大连" not in cells
    scores = load_workbook(io.BytesIO(client.get("/scores.xlsx?year=2023").content))
    names = " ".join(str(c.value) for row in scores.active.iter_rows() for c in row if c.value)
    assert "鞍山" in names and "大连" not in names
    assert client.get("/runs").status_code == 403 and "抓取记录" not in pages["/"].split("<main")[0]


def test_scoped_notice_and_unscoped_reviewer(app):
    client = login(app, "as")
    resp = client.get("/notice.docx?region=210200&year=2023&include_open=1")  # another prefecture asked
    assert resp.status_code == 200 and "210300" in resp.headers["content-disposition"]
    everyone = login(app, "all")
    assert "大连" in everyone.get("/agencies").text and everyone.get("/runs").status_code == 200
    county = login(app, "td")
    html = county.get("/agencies").text
    assert "铁东区" in html and "立山区" not in html and "鞍山市人民政府" not in html
    # the login log: a scoped account sees only its own events
    log = client.get("/security").text
    assert "as" in log and ">all<" not in log and ">td<" not in log


def test_bulk_confirm_never_touches_findings_outside_the_scope(app):
    store = app.state.store
    client = login(app, "as")
    outside = [r["fingerprint"] for r in store.query(
        "SELECT f.fingerprint FROM findings f JOIN agencies a ON a.id = f.agency_id WHERE a.region_code NOT LIKE '2103%'")]
    assert outside
    token = csrf(client, "/findings")
    # ticked fingerprints from outside the scope (a forged form) are ignored
    resp = client.post("/review", data={"csrf_token": token, "decision": "confirmed", "fp": outside[:3],
                                        "next": "/findings"})  # fmt: skip
    assert resp.status_code == 200 and "没有选中任何问题" in resp.text
    # 「当前筛选的全部」 with another region asked for: only the scope's findings
    resp = client.post("/review", data={"csrf_token": token, "decision": "confirmed", "scope": "filtered",
                                        "region": DALIAN, "severity": "all", "bulk": "1", "next": "/findings"})
    assert resp.status_code == 200
    statuses = store.query("""SELECT a.region_code, COALESCE(v.status, 'pending') AS status FROM findings f
                              JOIN agencies a ON a.id = f.agency_id LEFT JOIN reviews v ON v.fingerprint = f.fingerprint
                              WHERE f.active = 1""")  # fmt: skip
    assert {s["status"] for s in statuses if not s["region_code"].startswith("2103")} == {"pending"}
    assert {s["status"] for s in statuses if s["region_code"].startswith("2103")} == {"confirmed"}


def test_admin_page_is_for_admins_and_logs_every_change(app):
    assert login(app, "all").get("/admin/accounts").status_code == 403
    admin = login(app, "root", "admin-pass-1")
    page = admin.get("/admin/accounts")
    assert page.status_code == 200 and "账户管理" in page.text
    token = csrf(admin, "/admin/accounts")
    resp = admin.post("/admin/accounts/new", data={"csrf_token": token, "name": "dl", "role": "readonly",
                                                    "password": "secret-pass-9", "region": "大连市"})
    assert "已创建账号 dl" in resp.text and "辽宁省大连市" in resp.text
    dl = users.get_user(app.state.store, "dl")
    assert dl["region_code"] == DALIAN and dl["role"] == "readonly"
    resp = admin.post("/admin/accounts/new", data={"csrf_token": token, "name": "dl", "role": "readonly",
                                                    "password": "secret-pass-9"})
    assert "已存在" in resp.text
    scoped = login(app, "dl", "secret-pass-9")
    assert "大连" in scoped.get("/agencies").text and "铁东区" not in scoped.get("/agencies").text
    # a change of scope applies to the live session at its next request
    admin.post(f"/admin/accounts/{dl['id']}", data={"csrf_token": token, "action": "update", "role": "readonly",
                                                     "region": ANSHAN})
    assert "铁东区" in scoped.get("/agencies").text and "大连" not in scoped.get("/agencies").text
    admin.post(f"/admin/accounts/{dl['id']}", data={"csrf_token": token, "action": "reset",
                                                     "password": "new-pass-123"})
    assert scoped.get("/", follow_redirects=False).status_code == 303  # the reset ended its session
    login(app, "dl", "new-pass-123")
    root = users.get_user(app.state.store, "root")["id"]
    resp = admin.post(f"/admin/accounts/{root}", data={"csrf_token": token, "action": "update", "role": "reviewer"})
    assert "最后一个启用的管理员" in resp.text and users.get_user(app.state.store, "root")["role"] == "admin"
    log = admin.get("/admin/accounts").text
    for label in ("创建账号", "修改角色或地区", "管理员重置密码"):
        assert label in log
