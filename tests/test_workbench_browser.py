"""End-to-end: ``nianbao serve`` in a subprocess, driven by real Chromium through Playwright.

Screenshots (1366x768) go to ``test-output/screenshots/``.
"""

from __future__ import annotations

import io
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
LISHAN = 2
XSS_AGENCY = sample.SampleAgency("鞍山市铁东区人民政府", "210302", "county", "government", "铁东区")
PAYLOADS = (
    "<script>window.__pwned = 1; alert('script');</script>"
    "<img src=x onerror=\"window.__pwned = 2; alert('onerror')\">"
    "<p>特别说明&lt;script&gt;alert('text')&lt;/script&gt;&lt;img src=x onerror=alert('text2')&gt;</p>"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not os.path.exists(CHROMIUM):
        pytest.skip("Chromium is not installed")
    db = tmp_path_factory.mktemp("wbe2e") / "e2e.db"
    with Store(db) as store:
        ids = sample.build(store)
        users.add_user(store, "alice", "secret-pass-1", "reviewer")
        users.add_user(store, "bob", "secret-pass-2", "readonly")
        body = sample.generated_page(XSS_AGENCY, 2022, seed=99).decode("utf-8")
        body = body.replace("<body>", "<body>" + PAYLOADS, 1).replace("</h1>", "</h1>" + PAYLOADS, 1)
        body = body.replace("<strong>一、总体情况</strong></p>", "<strong>一、总体情况</strong></p>" + PAYLOADS, 1)
        xss_id, _ = sample.ingest_one(store, XSS_AGENCY, 2022, body.encode("utf-8"),
                                      url="http://www.example-gov.cn/210302/xss/2022.html")  # fmt: skip
        runs = sample.add_history(store)
    with serving_workbench(db) as base:
        yield {"base": base, "db": db, "ids": ids, "xss_id": xss_id, "runs": runs}


@pytest.fixture()
def page_for(new_page, server):
    def make(user: str, password: str):
        page = new_page()
        page.dialogs = []
        page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
        page.goto(server["base"] + "/")
        assert "/login" in page.url
        page.fill("input[name=username]", user)
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_url(server["base"] + "/")
        return page

    return make


def test_officer_flow_filter_review_reingest_export(server, page_for):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = page_for("alice", "secret-pass-1")
    base = server["base"]

    # filter the overview to one prefecture and year
    page.select_option("select[name=region]", "210300")
    page.select_option("select[name=year]", "2023")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**/?*region=210300*")
    rows = page.locator("#rollup tbody tr")
    assert "立山区" in rows.all_inner_texts().__str__()
    assert page.locator(".kpi.k-late b").inner_text() == "2"
    page.screenshot(path=str(SHOTS / "overview.png"))

    # open the report with the arithmetic error: the offending cells are highlighted
    rid = server["ids"][(LISHAN, 2023)]
    page.goto(f"{base}/reports/{rid}")
    page.screenshot(path=str(SHOTS / "report.png"))
    bad = page.locator("table.official td.mark-bad")
    assert bad.count() >= 4
    keys = {bad.nth(i).get_attribute("data-key") for i in range(bad.count())}
    assert "applications.new.total" in keys
    assert "≠" in page.locator(".finding .identity").first.inner_text()
    page.locator("#table-3").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "report_table.png"))

    # confirm the first finding with a note
    card = page.locator("article.finding").first
    card.locator("input[value=confirmed]").check()
    card.locator("input[name=note]").fill("与原件核对无误，确认不平衡")
    card.locator("button[type=submit]").click()
    page.wait_for_load_state()
    card = page.locator("article.finding").first
    assert "已确认" in card.inner_text() and "与原件核对无误" in card.inner_text()

    # the same report crawled again: the decision is kept
    with Store(server["db"]) as store:
        agency = sample.AGENCIES[LISHAN]
        sample.ingest_one(store, agency, 2023, sample.generated_page(agency, 2023, defect="BALANCE_MISMATCH"))
    page.reload()
    assert "已确认" in page.locator("article.finding").first.inner_text()

    # export the confirmed list as XLSX and read it back
    page.goto(f"{base}/export?year=2023&export_status=confirmed")
    assert page.locator("#export-count").inner_text() == "1"
    page.screenshot(path=str(SHOTS / "export.png"))
    with page.expect_download() as info:
        page.click("#export-xlsx")
    data = Path(info.value.path()).read_bytes()
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(data)).active
    header = [c.value for c in ws[1]]
    rows = [dict(zip(header, r, strict=True)) for r in ws.iter_rows(min_row=2, values_only=True)]
    assert len(rows) == 1
    row = rows[0]
    assert (row["机构"], row["省份"], row["地市"], row["区县"], row["年度"]) == (
        "鞍山市立山区人民政府", "辽宁省", "鞍山市", "立山区", 2023)
    assert "勾稽" in row["问题"] and row["已确认数"] == 1 and row["报告链接"].startswith("http://")
    assert page.dialogs == []


def test_readonly_user_cannot_change_a_status(server, page_for):
    page = page_for("bob", "secret-pass-2")
    rid = server["ids"][(3, 2023)]
    page.goto(f"{server['base']}/reports/{rid}")
    assert page.locator("form.review").count() == 0
    page.goto(f"{server['base']}/findings")
    assert page.locator("form#bulk").count() == 0 and "只读账号" in page.content()
    # a forged POST with the page's own CSRF token is still refused for the role
    token = page.evaluate("document.querySelector('input[name=csrf_token]').value")
    resp = page.request.post(f"{server['base']}/review",
                             form={"fp": "0" * 16, "decision": "confirmed", "csrf_token": token})  # fmt: skip
    assert resp.status == 403


def test_report_source_with_script_payloads_runs_none_of_them(server, page_for):
    page = page_for("alice", "secret-pass-1")
    page.goto(f"{server['base']}/reports/{server['xss_id']}")
    frame = page.frame_locator("iframe[sandbox]")
    frame.locator("h1").first.wait_for()
    assert page.locator("iframe").get_attribute("sandbox") == ""
    page.wait_for_timeout(500)
    assert page.dialogs == []
    assert page.evaluate("typeof window.__pwned") == "undefined"
    # payload text that reached the parsed prose is shown as text, not markup
    assert page.locator("main script").count() == 0 and page.locator("main img").count() == 0
    assert page.locator("body").get_attribute("data-pwned") is None
    assert "alert('text')" in page.locator("#prose").inner_text()  # the escaped payload, as text
    # opened directly (not framed) the stored page is still inert: its own CSP forbids scripts
    version = page.locator("iframe[sandbox]").get_attribute("src")
    page.goto(server["base"] + version)
    page.wait_for_timeout(300)
    assert page.dialogs == [] and page.evaluate("typeof window.__pwned") == "undefined"
    # control: the same payload in an unprotected page does run (so the checks above can fail)
    page.goto("about:blank")
    page.set_content(PAYLOADS)
    page.wait_for_timeout(300)
    assert page.dialogs and page.evaluate("window.__pwned") in (1, 2)


def test_run_history_and_history_findings(server, page_for):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = page_for("bob", "secret-pass-2")
    base = server["base"]
    page.click("header.top nav a[href='/runs']")
    page.wait_for_url(base + "/runs")
    assert page.locator("#runs tbody tr").count() == 2
    page.screenshot(path=str(SHOTS / "runs.png"))
    page.click(f"#runs a[href='/runs/{server['runs']['crawl2']}']")
    page.wait_for_url(f"{base}/runs/{server['runs']['crawl2']}")
    assert page.locator("#sites tr.bad-row").count() == 3
    assert "HTTP 404" in page.locator("#problems").inner_text()
    page.screenshot(path=str(SHOTS / "run.png"), full_page=True)

    # the report edited after publication: the change as a table and a diff, escaped
    with Store(server["db"]) as store:
        rid = store.one("SELECT report_id FROM findings WHERE rule = 'CHANGED_AFTER_PUBLICATION'")["report_id"]
    page.goto(f"{base}/reports/{rid}")
    diff = page.locator(".change-diff")
    diff.scroll_into_view_if_needed()
    assert "行政处罚·处理决定数量" in diff.locator("table").inner_text()
    assert "<b>及时</b>" in diff.locator("pre").inner_text() and diff.locator("pre b").count() == 0
    page.screenshot(path=str(SHOTS / "report_changed.png"))

    # an agency with missing reports found by the history rules
    page.goto(f"{base}/agencies?year=2024&timeliness=missing")
    page.click("text=台安县人民政府")
    assert "未在台安县人民政府的门户网站上找到2024年度" in page.locator("main").inner_text()
    page.screenshot(path=str(SHOTS / "agency_missing.png"), full_page=True)
    assert page.dialogs == []
