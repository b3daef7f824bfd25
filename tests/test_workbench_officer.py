"""The defects an officer tripped over (issue 16), each against the workbench over a real SQLite store."""

from __future__ import annotations

import datetime as dt
import io
import re
import warnings

import openpyxl
import pytest

from nianbao.sandbox import sample
from nianbao.storage import rectify, users
from nianbao.storage.store import Store
from nianbao.workbench import tables, wording

warnings.filterwarnings("ignore", message=".*httpx.*", category=DeprecationWarning)
from starlette.testclient import TestClient  # noqa: E402

from nianbao.workbench.app import create_app  # noqa: E402

ALICE, CAROL, BOB = ("alice", "secret-pass-1"), ("carol", "secret-pass-3"), ("bob", "secret-pass-2")
LISHAN, TIEDONG = 2, 3
FINANCE = sample.SampleAgency("鞍山市财政局", "210300", "department", "department", "鞍山市")


def _defective_page() -> bytes:
    """鞍山市财政局 2024: no fee statement (警告), two blank cells (提示), the 规范性文件 row missing."""
    body = sample.generated_page(FINANCE, 2024, defect="MISSING_FEE_STATEMENT").decode("utf-8")
    body = re.sub(r"(<td[^>]*>)0(</td>)", r"\1—\2", body, count=2)
    body, n = re.subn(r"<tr>(?:(?!</tr>).)*?行政规范性文件(?:(?!</tr>).)*?</tr>", "", body, count=1, flags=re.S)
    assert n == 1
    return body.encode("utf-8")


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("officer") / "wb.db"
    with Store(path) as store:
        ids = sample.build(store)
        store.upsert_agency(FINANCE.name, level=FINANCE.level, region=FINANCE.region, kind=FINANCE.kind)
        ids["finance"], _ = sample.ingest_one(store, FINANCE, 2024, _defective_page())
        # stored without any region (as a crawl of a list page names them): a city government and a department
        store.upsert_agency("营口市人民政府", level="city", kind="government")
        store.upsert_agency("营口市财政局", level="department", kind="department")
        for who, role in ((ALICE, "reviewer"), (CAROL, "reviewer"), (BOB, "readonly")):
            users.add_user(store, *who, role)
    return path, ids


@pytest.fixture()
def app(db):
    application = create_app(db[0])
    yield application
    application.state.store.close()


def csrf(client: TestClient, path: str = "/login") -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text).group(1)


def login(app, who) -> TestClient:
    client = TestClient(app)
    resp = client.post("/login", data={"username": who[0], "password": who[1], "csrf_token": csrf(client)},
                       follow_redirects=False)  # fmt: skip
    assert resp.status_code == 303
    return client


def fps_of(store: Store, report_id: int) -> list[str]:
    return [r["fingerprint"] for r in store.query(
        "SELECT fingerprint FROM findings WHERE report_id = ? AND active = 1 ORDER BY id", (report_id,))]


def flash_of(html: str) -> str:
    m = re.search(r'class="flash flash-\w+" role="status">([^<]*)<', html)
    return m.group(1) if m else ""


# ---------------------------------------------------------------- review notes and bulk


def test_resaving_a_review_keeps_the_note_and_the_box_shows_it(app, db):
    store = app.state.store
    rid = db[1][(LISHAN, 2023)]
    fp = fps_of(store, rid)[0]
    client = login(app, ALICE)
    token = csrf(client, f"/reports/{rid}")
    client.post("/review", data={"fp": fp, "decision": "confirmed", "note": "已电话核实，数据有误",
                                 "csrf_token": token, "next": f"/reports/{rid}"})  # fmt: skip
    page = client.get(f"/reports/{rid}").text
    assert 'value="已电话核实，数据有误"' in page  # the box is pre-filled with the earlier note
    client.post("/review", data={"fp": fp, "decision": "dismissed", "note": "", "csrf_token": token})
    review = store.review(fp)
    assert (review["status"], review["note"]) == ("dismissed", "已电话核实，数据有误")
    client.post("/review", data={"fp": fp, "decision": "pending", "note": "改回待审核", "csrf_token": token})
    assert store.review(fp)["note"] == "改回待审核"


def test_bulk_on_the_filtered_list_skips_decided_findings_unless_told(app, db):
    store = app.state.store
    rid = db[1][(TIEDONG, 2023)]
    theirs = fps_of(store, rid)[0]
    carol = login(app, CAROL)
    carol.post("/review", data={"fp": theirs, "decision": "dismissed", "note": "正文表述无误",
                                "csrf_token": csrf(carol, "/findings")})  # fmt: skip
    alice = login(app, ALICE)
    token = csrf(alice, "/findings?year=2023")
    pending = [r["fingerprint"] for r in store.query(
        "SELECT DISTINCT f.fingerprint FROM findings f LEFT JOIN reviews v ON v.fingerprint = f.fingerprint "
        "WHERE f.active = 1 AND f.year = 2023 AND f.severity IN ('error', 'warning') "
        "AND COALESCE(v.status, 'pending') = 'pending'")]  # fmt: skip
    assert pending
    resp = alice.post("/review", data={"scope": "filtered", "bulk": "1", "year": "2023", "decision": "confirmed",
                                       "csrf_token": token, "next": "/findings?year=2023"})  # fmt: skip
    message = flash_of(resp.text)
    assert f"已将 {len(pending)} 项问题标记为「已确认」" in message and "未修改" in message
    kept = store.review(theirs)
    assert (kept["status"], kept["reviewer"], kept["note"]) == ("dismissed", "carol", "正文表述无误")
    assert all(store.review(fp)["status"] == "confirmed" for fp in pending)

    resp = alice.post("/review", data={"scope": "filtered", "bulk": "1", "year": "2023", "decision": "confirmed",
                                       "include_decided": "1", "csrf_token": token,
                                       "next": "/findings?year=2023"})  # fmt: skip
    assert "已将 1 项问题标记为「已确认」" in flash_of(resp.text)
    assert store.review(theirs)["status"] == "confirmed"
    assert store.review(theirs)["note"] == "正文表述无误"  # the note stays: the bulk form sent none


# ---------------------------------------------------------------- errors in Chinese


@pytest.mark.parametrize("path", [
    "/reports/99999999999999999999", "/agencies/99999999999999999999", "/runs/99999999999999999999",
    "/documents/99999999999999999999/view", "/documents/99999999999999999999/download",
    "/reports/9223372036854775808", "/agencies/123456789", "/no/such/page",
])  # fmt: skip
def test_unknown_and_oversized_ids_give_a_chinese_404(app, path):
    client = login(app, BOB)
    resp = client.get(path)
    assert resp.status_code == 404
    assert "未找到" in resp.text and "Not Found" not in resp.text and "Internal" not in resp.text


@pytest.mark.parametrize("path", [
    "/findings?page=99999999999999999999", "/agencies?page=99999999999999999999",
    "/?year=99999999999999999999", "/export?year=99999999999999999999", "/runs?page=99999999999999999999",
])  # fmt: skip
def test_oversized_numbers_in_the_query_are_ignored(app, path):
    assert login(app, BOB).get(path).status_code == 200


def test_unknown_path_before_login_is_a_chinese_404(app):
    resp = TestClient(app).get("/nope")
    assert resp.status_code == 404 and "未找到" in resp.text and "Not Found" not in resp.text


# ---------------------------------------------------------------- wording


def test_cell_keys_and_rows_are_shown_by_their_labels():
    assert wording.value_text('["normative_documents"]', "disclosure") == "行政规范性文件"
    assert wording.value_text('["disclosure.rules.issued", "disclosure.rules.repealed"]', "disclosure") == (
        "规章·本年制发件数、规章·本年废止件数")
    assert wording.value_text("12.0") == "12" and wording.value_text(None) == ""


def test_report_page_shows_no_raw_codes_or_english_notes(app, db):
    store = app.state.store
    rid = db[1]["finance"]
    rules = {r["rule"] for r in store.query("SELECT rule FROM findings WHERE report_id = ?", (rid,))}
    assert {"MISSING_TABLE", "BLANK_CELLS", "MISSING_FEE_STATEMENT"} <= rules
    store.conn.execute("UPDATE reports SET notes = ? WHERE id = ?", (
        '["decoded as gb18030", "OCR used for page(s) 2,3", "section 3 columns are printed in another order; '
        'mapped by their header labels", "something new the parser says"]', rid))  # fmt: skip
    store.conn.commit()
    page = re.sub(r"<[^>]+>", " ", login(app, BOB).get(f"/reports/{rid}").text)  # the text people see
    assert "normative_documents" not in page and "disclosure.rules" not in page
    assert "行政规范性文件" in page
    for english in ("decoded as", "OCR used", "columns are printed"):
        assert english not in page
    assert "按 GB18030 编码读取" in page and "第 2、3 页为扫描图像" in page
    assert "技术说明：something new the parser says" in page


def test_every_parser_note_has_a_chinese_wording():
    notes = [
        "page 3: unreadable (PDFSyntaxError)", "no text layer on page(s) 1,2", "HTML could not be parsed",
        "no data table in the HTML", "section 3 cells were glued together in the source; split by the table identities",
        "section 4 cells were glued together in the source; split by the group totals",
        "section 4: found 12 values where 15 were expected; table not mapped",
        "section 2 cells were glued together in the source; ambiguous splits left unread",
        "converted from DOC to DOCX by LibreOffice", "converted from XLS to XLSX by LibreOffice",
        "publication date taken from the article page that links the attachment",
        "publication date is the list date: the file was linked directly from the list",
        "not an annual report: enterprise annual report",
    ]  # fmt: skip
    for note in notes:
        text = wording.note_text(note)
        assert not re.search(r"[a-z]{3,}", text.replace("LibreOffice", "").replace("PDFSyntaxError", "")), text
        assert not text.startswith("技术说明"), note


# ---------------------------------------------------------------- lists, filters, places


def _options(html: str, name: str) -> list[tuple[str, str]]:
    select = re.search(rf'<select name="{name}">(.*?)</select>', html, re.S).group(1)
    return re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select)


def test_rule_filter_is_sorted_by_chinese_title(app):
    titles = app.state.rule_titles()
    for path in ("/findings?severity=all", "/"):
        options = [(v, t) for v, t in _options(login(app, BOB).get(path).text, "rule") if v]
        assert len(options) >= 3
        assert [t for _, t in options] == sorted(t for _, t in options)
        assert all(titles.get(v, v) == t for v, t in options)


def test_region_selector_on_review_agencies_and_export(app, db):
    client = login(app, BOB)
    for path in ("/findings", "/agencies", "/export"):
        options = dict(_options(client.get(path).text, "region"))
        assert options.get("210300", "").strip() == "鞍山市" and "210200" in options, path
    dalian = client.get("/findings?region=210200&severity=all").text
    assert "大连市" in dalian and "立山区" not in dalian
    assert "立山区" not in client.get("/agencies?region=210200").text
    export = client.get("/export?region=210200&year=2023&export_status=open").text
    assert "鞍山" not in export.split('<section class="card export-dialog">', 1)[1].split("</form>", 1)[1]


def test_agency_year_box_matches_the_list(app):
    client = login(app, BOB)
    html = client.get("/agencies").text
    heading_year = re.search(r"<h1>机构 <small>[^<]*?(\d{4}) 年度", html).group(1)
    selected = re.search(r'<select name="year">.*?<option value="(\d+)" selected', html, re.S).group(1)
    assert selected == heading_year == "2024"
    assert "全部年度" not in html


def test_city_government_without_code_is_placed_by_its_name(app):
    html = login(app, BOB).get("/agencies?q=营口").text
    row = re.search(r"<tr>(?:(?!</tr>).)*营口市人民政府(?:(?!</tr>).)*</tr>", html, re.S).group(0)
    assert "营口市" in row.replace("营口市人民政府", "") and "地区不明" not in row
    department = re.search(r"<tr>(?:(?!</tr>).)*营口市财政局(?:(?!</tr>).)*</tr>", html, re.S).group(0)
    assert "地区不明" in department  # a department's name is no place: never a guess
    overview = login(app, BOB).get("/?region=210000").text
    assert "营口市" in overview


# ---------------------------------------------------------------- review queue


def test_review_queue_defaults_to_errors_and_warnings_with_notices_one_click_away(app, db):
    store = app.state.store
    client = login(app, BOB)
    counts = {r["severity"]: r["n"] for r in store.query(
        "SELECT severity, COUNT(*) AS n FROM findings WHERE active = 1 GROUP BY severity")}
    assert counts.get("info") and counts.get("warning") and counts.get("error")
    html = client.get("/findings").text
    assert f"共 {counts['error'] + counts['warning']} 项" in html and "表格存在空白单元格" not in html.split("<tbody>")[1]
    link = re.search(r'id="show-notices" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert f"另有 <b>{counts['info']}</b> 项「提示」" in html
    everything = client.get(link).text
    assert f"共 {sum(counts.values())} 项" in everything and "表格存在空白单元格" in everything.split("<tbody>")[1]


def test_search_on_the_review_queue(app):
    client = login(app, BOB)
    html = client.get("/findings", params={"q": "立山", "severity": "all"}).text
    body = html.split("<tbody>")[1]
    assert "立山区" in body and "铁东区" not in body and "中山区" not in body
    assert 'value="立山"' in html
    none = client.get("/findings", params={"q": "100%_不存在"}).text
    assert "共 0 项" in none


# ---------------------------------------------------------------- 整改 through the web


def test_notify_in_bulk_then_a_corrected_report_is_rectified_and_the_rest_overdue(tmp_path):
    path = tmp_path / "rect.db"
    with Store(path) as store:
        ids = sample.build(store)
        users.add_user(store, *ALICE, "reviewer")
    application = create_app(path)
    try:
        store = application.state.store
        client = login(application, ALICE)
        lishan, tiedong = fps_of(store, ids[(LISHAN, 2023)]), fps_of(store, ids[(TIEDONG, 2023)])
        token = csrf(client, "/findings?year=2023")
        for fp in lishan + tiedong:
            client.post("/review", data={"fp": fp, "decision": "confirmed", "csrf_token": token})
        deadline = rectify.today_beijing() + dt.timedelta(days=20)
        # a bulk 已通知整改 needs a deadline and who was told
        bad = client.post("/review", data={"scope": "filtered", "bulk": "1", "year": "2023", "decision": "notified",
                                           "csrf_token": token})  # fmt: skip
        assert bad.status_code == 400 and "整改期限" in bad.text
        resp = client.post("/review", data={
            "scope": "filtered", "bulk": "1", "year": "2023", "status": "confirmed", "decision": "notified",
            "deadline": deadline.isoformat(), "notified_to": "立山区、铁东区人民政府办公室", "csrf_token": token,
            "next": "/findings?year=2023"})  # fmt: skip
        n = len(set(lishan + tiedong))
        assert f"已将 {n} 项问题标记为「已通知整改」" in flash_of(resp.text)
        assert re.search(r'id="rect-notified"[^>]*><b>' + str(n) + "</b>", client.get("/").text)

        fixed = sample.generated_page(sample.AGENCIES[LISHAN], 2023)
        new_id, _ = sample.ingest_one(store, sample.AGENCIES[LISHAN], 2023, fixed,
                                      url="http://www.example-gov.cn/210304/xxgk/ndbg/2023/corrected.html")  # fmt: skip
        assert {rectify.state_of(store, fp)["state"] for fp in lishan} == {"rectified"}
        rectify.reassess(store, today=deadline + dt.timedelta(days=1))
        assert {rectify.state_of(store, fp)["state"] for fp in tiedong} == {"overdue"}

        overview = client.get("/?year=2023").text
        for state, count in (("rectified", len(set(lishan))), ("overdue", len(set(tiedong))), ("notified", 0)):
            assert re.search(rf'id="rect-{state}"[^>]*><b>{count}</b>', overview), state
        old_page = client.get(f"/reports/{ids[(LISHAN, 2023)]}").text
        assert "已整改" in old_page and f"更正后的报告（#{new_id}）" in old_page
        listed = client.get("/findings?rectify=overdue&severity=all").text.split("<tbody>")[1]
        assert "铁东区" in listed and "立山区" not in listed and "逾期未整改" in listed
        # the noncompliant export selects by state
        xlsx = client.get("/export/noncompliant.xlsx?year=2023&export_status=overdue")
        sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
        names = {str(c.value) for row in sheet.iter_rows() for c in row if c.value}
        assert any("铁东区" in v for v in names) and not any("立山区" in v for v in names)
        csv_text = client.get("/export/noncompliant.csv?year=2023&export_status=rectified").text
        assert "立山区" in csv_text and "铁东区" not in csv_text
    finally:
        application.state.store.close()


# ---------------------------------------------------------------- the HTML original marked at the passage


def test_mark_passage_only_in_text():
    html = ('<html><head><title>共收到政府信息公开申请12件</title><script>var s="共收到政府信息公开申请12件"</script>'
            '</head><body><p title="共收到政府信息公开申请12件">2023年，我区共收到政府信息公开申请12件，办结13件。</p>'
            "</body></html>")  # fmt: skip
    marked = tables.mark_passage(html, "2023年,我区共收到政府信息公开申请12件,办结13件")  # NFKC commas
    assert marked is not None and marked.count("<mark") == 1
    assert '<mark id="nianbao-mark"' in marked.split("<body>")[1].split('">', 1)[1]  # inside the <p> text
    assert '<p title="共收到政府信息公开申请12件">' in marked and "<script>var s=" in marked
    assert tables.mark_passage(html, "完全不同的一段话内容") is None
    assert tables.mark_passage(html, "短句") is None


def test_report_links_the_evidence_to_the_marked_original(app, db):
    client = login(app, BOB)
    rid = db[1][(TIEDONG, 2023)]
    page = client.get(f"/reports/{rid}").text
    link = re.search(r'class="locate" href="([^"]+)" target="original"', page).group(1).replace("&amp;", "&")
    assert 'name="original"' in page
    resp = client.get(link.split("#")[0])
    assert resp.status_code == 200 and resp.text.count('<mark id="nianbao-mark"') == 1
    assert "sandbox" in resp.headers["content-security-policy"] and "script-src" not in resp.headers[
        "content-security-policy"]
    plain = client.get(link.split("?")[0])
    assert "nianbao-mark" not in plain.text


def test_overview_links_lead_to_lists_of_the_same_size(app, db):
    client = login(app, BOB)
    overview = client.get("/").text
    for kpi in ("k-pending", "k-confirmed"):
        m = re.search(rf'class="kpi {kpi}" href="([^"]+)"><b>(\d+)</b>', overview)
        listed = client.get(m.group(1).replace("&amp;", "&")).text
        assert f"共 {m.group(2)} 项" in listed, kpi
    # a notice-level rule from the rules chart lists its findings (not the default errors+warnings queue)
    href = re.search(r'href="(/findings\?[^"]*rule=BLANK_CELLS[^"]*)"', overview)
    assert href, "BLANK_CELLS not linked from the overview"
    assert "表格存在空白单元格" in client.get(href.group(1).replace("&amp;", "&")).text.split("<tbody>")[1]
