"""Accounts end to end (#16) in real Chromium against ``nianbao serve``: an admin creates a
prefecture-scoped reviewer in the 账户管理 page; that reviewer sees only the prefecture on every
page and export, gets the Chinese 404 for a report outside it, and a bulk confirm touches only its
findings; the admin disables the account (its live session ends, its login is refused); the last
admin cannot be disabled.  Screenshots go to ``test-output/screenshots/``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nianbao.sandbox import sample
from nianbao.sandbox.harness import serving_workbench
from nianbao.storage import users
from nianbao.storage.store import Store
from tests.conftest import CHROMIUM

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parent.parent / "test-output" / "screenshots"
ANSHAN = "210300"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not os.path.exists(CHROMIUM):
        pytest.skip("Chromium is not installed")
    db = tmp_path_factory.mktemp("wbacc") / "acc.db"
    with Store(db) as store:
        sample.build(store)
        users.add_user(store, "root", "admin-pass-1", "admin")
    with serving_workbench(db) as base:
        yield {"base": base, "db": db}


def log_in(page, base: str, name: str, password: str) -> None:
    page.goto(base + "/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def statuses(db: Path) -> dict[bool, set[str]]:
    """Review statuses of the active findings, inside (True) and outside (False) 鞍山市."""
    with Store(db) as store:
        rows = store.query("""SELECT a.region_code, COALESCE(v.status, 'pending') AS status FROM findings f
                              JOIN agencies a ON a.id = f.agency_id
                              LEFT JOIN reviews v ON v.fingerprint = f.fingerprint WHERE f.active = 1""")
    out: dict[bool, set[str]] = {True: set(), False: set()}
    for r in rows:
        out[r["region_code"].startswith("2103")].add(r["status"])
    return out


def test_admin_scopes_a_reviewer_who_sees_only_the_prefecture_then_disables_it(server, new_page):
    SHOTS.mkdir(parents=True, exist_ok=True)
    base, db = server["base"], server["db"]
    admin = new_page()
    log_in(admin, base, "root", "admin-pass-1")
    admin.wait_for_url(base + "/")
    admin.click("header nav a:has-text('账户管理')")
    admin.wait_for_url(base + "/admin/accounts")
    form = admin.locator("form#create-account")
    form.locator("input[name=name]").fill("anshan")
    form.locator("select[name=role]").select_option("reviewer")
    form.locator("input[name=password]").fill("anshan-pass-1")
    form.locator("input[name=region]").fill("辽宁省鞍山市")
    form.locator("button[type=submit]").click()
    admin.wait_for_load_state()
    assert "已创建账号 anshan" in admin.locator(".flash").inner_text()
    row = admin.locator("tr[data-account=anshan]")
    assert "辽宁省鞍山市" in row.inner_text() and row.locator("input[name=region]").input_value() == ANSHAN
    admin.screenshot(path=str(SHOTS / "accounts.png"), full_page=True)

    # the scoped reviewer: only 鞍山市 and its counties, on every page
    officer = new_page()
    log_in(officer, base, "anshan", "anshan-pass-1")
    officer.wait_for_url(base + "/")
    assert "辽宁省鞍山市" in officer.locator("header .who").inner_text()
    rollup = " ".join(officer.locator("#rollup tbody tr").all_inner_texts())
    assert "铁东区" in rollup and "海城市" in rollup and "大连" not in rollup and "东城区" not in rollup
    regions = officer.locator("select[name=region] option").all_inner_texts()
    assert regions[0] == "辽宁省鞍山市" and not any("大连" in r or "北京" in r or r.strip() == "辽宁省" for r in regions)
    officer.screenshot(path=str(SHOTS / "overview-scoped.png"), full_page=True)
    assert officer.locator("header nav a:has-text('抓取记录')").count() == 0
    assert officer.locator("header nav a:has-text('账户管理')").count() == 0
    officer.goto(base + "/agencies")
    agencies = officer.locator("table").last.inner_text()
    assert "鞍山市人民政府" in agencies and "大连" not in agencies and "东城区" not in agencies
    officer.goto(base + "/findings?severity=all")
    found = officer.locator("main").inner_text()
    assert "鞍山" in found and "大连" not in found and "东城区" not in found
    officer.screenshot(path=str(SHOTS / "findings-scoped.png"))
    officer.goto(base + "/export?year=2023&export_status=open")
    with officer.expect_download() as dl:
        officer.click("a[href*='noncompliant.csv']")
    csv = Path(dl.value.path()).read_text(encoding="utf-8-sig")
    assert "鞍山" in csv and "大连" not in csv and "东城" not in csv
    # a report outside the scope: the Chinese 404, nothing about it
    with Store(db) as store:
        dalian = store.one("SELECT r.id FROM reports r JOIN agencies a ON a.id = r.agency_id "
                           "WHERE a.name = '大连市人民政府' AND r.current = 1 LIMIT 1")["id"]  # fmt: skip
    resp = officer.goto(f"{base}/reports/{dalian}")
    assert resp.status == 404 and "没有这份报告" in officer.content() and "大连" not in officer.content()

    # bulk confirm of 「当前筛选的全部」 touches only the scope's findings
    assert statuses(db) == {True: {"pending"}, False: {"pending"}}
    officer.goto(base + "/findings?severity=all")
    bulk = officer.locator("form#bulk")
    bulk.locator("input[name=scope][value=filtered]").check()
    bulk.locator("select[name=decision]").select_option("confirmed")
    officer.once("dialog", lambda d: d.accept())  # 「将把当前筛选出的全部问题设为所选结论，确定吗？」
    bulk.locator("button[type=submit]").click()
    officer.wait_for_load_state()
    assert "已将" in officer.locator(".flash").first.inner_text()
    assert statuses(db) == {True: {"confirmed"}, False: {"pending"}}

    # the admin disables the account: its live session ends at once, its login is refused
    admin.goto(base + "/admin/accounts")
    admin.locator("tr[data-account=anshan] button:has-text('停用')").click()
    admin.wait_for_load_state()
    assert "已停用账号 anshan" in admin.locator(".flash").inner_text()
    assert admin.locator("tr[data-account=anshan] td.state").inner_text() == "已停用"
    officer.goto(base + "/findings")
    assert "/login" in officer.url
    log_in(officer, base, "anshan", "anshan-pass-1")
    officer.wait_for_load_state()
    assert "/login" in officer.url and "用户名或密码错误" in officer.content()

    # the last enabled admin cannot be disabled or demoted, and the page says why
    admin.locator("tr[data-account=root] button:has-text('停用')").click()
    admin.wait_for_load_state()
    message = admin.locator(".flash").inner_text()
    assert "最后一个启用的管理员" in message
    admin.locator("tr[data-account=root] select[name=role]").select_option("reviewer")
    admin.locator("tr[data-account=root] button:has-text('保存')").click()
    admin.wait_for_load_state()
    assert "最后一个启用的管理员" in admin.locator(".flash").inner_text()
    assert admin.locator("tr[data-account=root] td.state").inner_text() == "启用"
    admin.screenshot(path=str(SHOTS / "accounts-last-admin.png"), full_page=True)
    events = admin.locator("#account-events").inner_text()
    assert "创建账号" in events and "停用账号" in events


def test_html_original_marks_the_flagged_cell_and_scrolls_to_it(server, new_page):
    SHOTS.mkdir(parents=True, exist_ok=True)
    base, db = server["base"], server["db"]
    with Store(db) as store:
        report = store.one("""SELECT f.report_id FROM findings f JOIN agencies a ON a.id = f.agency_id
                              WHERE f.rule = 'BALANCE_MISMATCH' AND a.name = '鞍山市立山区人民政府'""")["report_id"]
        raw = {f"{c['tbl']}.{c['row_key']}.{c['col_key']}": c["raw"] for c in store.query(
            "SELECT tbl, row_key, col_key, raw FROM cells WHERE report_id = ?", (report,))}
    page = new_page()
    log_in(page, base, "root", "admin-pass-1")
    page.wait_for_url(base + "/")
    page.goto(f"{base}/reports/{report}")
    link = page.locator("a.locate-cell").first
    keys = [k.split("=", 1)[1].replace("%2E", ".") for k in link.get_attribute("href").split("#")[0].split("&")
            if k.startswith("cell=")]  # fmt: skip
    assert keys
    link.click()
    frame = page.frame(name="original")
    frame.wait_for_selector("#nianbao-mark")
    mark = frame.locator("#nianbao-mark")
    assert mark.evaluate("el => el.tagName") == "TD"
    assert mark.inner_text().strip() in {raw[k] for k in keys}
    assert frame.locator(".nianbao-mark").count() == len(keys)
    assert frame.evaluate("() => typeof window.__pwned") == "undefined"
    box, where = page.locator("iframe[name=original]").bounding_box(), mark.bounding_box()
    assert box["y"] - 2 <= where["y"] <= box["y"] + box["height"], (box, where)  # scrolled into the frame's view
    page.locator("iframe[name=original]").scroll_into_view_if_needed()
    page.locator("iframe[name=original]").screenshot(path=str(SHOTS / "original-cell-marked.png"))
