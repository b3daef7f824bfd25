"""The workbench over a real SQLite store filled by ingesting generated reports (in-process client)."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import warnings

import pytest
from click.testing import CliRunner

from nianbao.sandbox import sample
from nianbao.storage import users
from nianbao.storage.store import Store

warnings.filterwarnings("ignore", message=".*httpx.*", category=DeprecationWarning)
from starlette.testclient import TestClient  # noqa: E402

from nianbao.workbench.app import create_app  # noqa: E402

REVIEWER, READONLY = ("alice", "secret-pass-1"), ("bob", "secret-pass-2")
LISHAN, TAIAN = 2, 6  # sample agency indexes: 立山区 (2023 balance defect), 台安县 (no 2023/2024 report)


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("wb") / "wb.db"
    with Store(path) as store:
        ids = sample.build(store)
        users.add_user(store, *REVIEWER, "reviewer")
        users.add_user(store, *READONLY, "readonly")
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


def findings_of(store: Store, report_id: int) -> list[dict]:
    return store.query("SELECT * FROM findings WHERE report_id = ? ORDER BY id", (report_id,))


# ---------------------------------------------------------------- auth, CSRF, roles


def test_pages_need_login_and_wrong_password_is_refused(app):
    client = TestClient(app)
    resp = client.get("/reports/1", follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"].startswith("/login?next=%2Freports%2F1")
    assert client.get("/documents/1/view", follow_redirects=False).status_code == 303
    bad = client.post("/login", data={"username": "alice", "password": "wrong-password", "csrf_token": csrf(client)})
    assert bad.status_code == 401 and "用户名或密码错误" in bad.text
    assert client.get("/", follow_redirects=False).status_code == 303


def test_login_requires_csrf_and_next_cannot_leave_the_site(app):
    client = TestClient(app)
    client.get("/login")
    no_token = client.post("/login", data={"username": "alice", "password": "secret-pass-1"})
    assert no_token.status_code == 403 and "CSRF" in no_token.text
    token = csrf(client)
    resp = client.post("/login", data={"username": "alice", "password": "secret-pass-1", "csrf_token": token,
                                       "next": "//evil.example/x"}, follow_redirects=False)  # fmt: skip
    assert resp.status_code == 303 and resp.headers["location"] == "/"


def test_review_post_without_valid_csrf_changes_nothing(app, db):
    store = app.state.store
    fp = findings_of(store, db[1][(LISHAN, 2023)])[0]["fingerprint"]
    client = login(app, REVIEWER)
    resp = client.post("/review", data={"fp": fp, "decision": "confirmed", "csrf_token": "forged"})
    assert resp.status_code == 403
    assert store.review(fp)["status"] == "pending"
    assert store.one("SELECT COUNT(*) AS n FROM review_history WHERE fingerprint = ?", (fp,))["n"] == 0


def test_readonly_user_cannot_change_a_status(app, db):
    store = app.state.store
    fp = findings_of(store, db[1][(LISHAN, 2023)])[0]["fingerprint"]
    client = login(app, READONLY)
    page = client.get(f"/reports/{db[1][(LISHAN, 2023)]}")
    assert page.status_code == 200 and 'action="/review"' not in page.text
    resp = client.post("/review", data={"fp": fp, "decision": "confirmed", "csrf_token": csrf(client, "/")})
    assert resp.status_code == 403 and "只读" in resp.text
    assert store.review(fp)["status"] == "pending"


# ---------------------------------------------------------------- review


def test_confirm_with_note_is_recorded_shown_and_survives_reingest(app, db):
    store = app.state.store
    rid = db[1][(LISHAN, 2023)]
    fp = findings_of(store, rid)[0]["fingerprint"]
    client = login(app, REVIEWER)
    token = csrf(client, f"/reports/{rid}")
    resp = client.post("/review", data={"fp": fp, "decision": "confirmed", "note": "已电话核实，数据有误",
                                        "csrf_token": token, "next": f"/reports/{rid}"}, follow_redirects=False)  # fmt: skip
    assert resp.status_code == 303 and resp.headers["location"] == f"/reports/{rid}"
    review = store.review(fp)
    assert (review["status"], review["reviewer"], review["note"]) == ("confirmed", "alice", "已电话核实，数据有误")
    page = client.get(f"/reports/{rid}").text
    assert "已电话核实，数据有误" in page and "已确认" in page

    # the same report re-crawled and re-parsed (same bytes, then a corrected signature date)
    agency = sample.AGENCIES[LISHAN]
    body = sample.generated_page(agency, 2023, defect="BALANCE_MISMATCH")
    sample.ingest_one(store, agency, 2023, body)
    new_id, _ = sample.ingest_one(store, agency, 2023, body.replace("2024年1月".encode(), "2024年2月".encode()))
    assert new_id != rid and fp in {f["fingerprint"] for f in findings_of(store, new_id)}
    assert store.review(fp)["status"] == "confirmed"
    assert "已电话核实，数据有误" in client.get(f"/reports/{new_id}").text
    history = store.query("SELECT status, previous_status FROM review_history WHERE fingerprint = ?", (fp,))
    assert history == [{"status": "confirmed", "previous_status": None}]


def test_bulk_review_of_a_filtered_list(app):
    store = app.state.store
    client = login(app, REVIEWER)
    token = csrf(client, "/findings?rule=ROW_TOTAL_MISMATCH")
    resp = client.post("/review", data={"scope": "filtered", "rule": "ROW_TOTAL_MISMATCH", "decision": "dismissed",
                                        "note": "表格排版所致", "csrf_token": token})  # fmt: skip
    assert resp.status_code == 200 and "已将 2 项问题标记为「已驳回」" in resp.text
    rows = store.query("SELECT f.rule, v.status FROM findings f JOIN reviews v USING (fingerprint)")
    assert {r["rule"] for r in rows if r["status"] == "dismissed"} == {"ROW_TOTAL_MISMATCH"}
    listed = client.get("/findings?rule=ROW_TOTAL_MISMATCH&status=dismissed").text
    assert listed.count('class="st st-dismissed"') == 2


# ---------------------------------------------------------------- pages


def test_overview_counts_per_region_and_year(app):
    client = login(app, READONLY)
    page = client.get("/?region=210300&year=2024").text  # 鞍山市: 8 agencies, 海城/千山/台安 ... missing 2
    kpi = dict(re.findall(r'class="kpi k-(\w+)"[^>]*><b>(\d+)</b>', page))
    assert kpi["missing"] == "2" and kpi["late"] == "0" and kpi["ontime"] == "6"
    assert "<svg" in page and "立山区" in page  # counties of the prefecture as rows and bars
    overall = client.get("/?year=2023").text
    kpi = dict(re.findall(r'class="kpi k-(\w+)"[^>]*><b>(\d+)</b>', overall))
    assert (kpi["late"], kpi["missing"]) == ("2", "1")  # 教育局 and 海城市 late; 台安县 missing
    prefectures = client.get("/?group_by=prefecture").text
    assert "鞍山市" in prefectures and "大连市" in prefectures


def test_agency_lists_and_pages(app, db):
    client = login(app, READONLY)
    missing = client.get("/agencies?year=2024&timeliness=missing").text
    assert "台安县人民政府" in missing and "鞍山市千山区人民政府" in missing and "立山区人民政府" not in missing
    agency = app.state.store.agency(sample.AGENCIES[TAIAN].name)
    page = client.get(f"/agencies/{agency['id']}").text
    assert "未发现 2024 年度报告" in page and "未发现 2023 年度报告" in page


def test_report_page_highlights_the_failed_identity(app, db):
    client = login(app, READONLY)
    page = client.get(f"/reports/{db[1][(LISHAN, 2023)]}").text
    bad = re.findall(r'<td[^>]*class="num[^"]*mark-bad"[^>]*data-key="([^"]+)"', page)
    assert {"applications.new.total", "applications.total.total", "applications.carried_out.total"} <= set(bad)
    assert re.search(r"一\s*\+\s*二\s*=\s*\d+\s*\+\s*\d+\s*=\s*\d+\s*≠", page)
    assert '<iframe sandbox=""' in page


def test_narrative_evidence_is_marked_in_the_prose(app, db):
    client = login(app, READONLY)
    store = app.state.store
    rid = db[1][(3, 2023)]
    evidence = findings_of(store, rid)[0]["evidence"]
    page = client.get(f"/reports/{rid}").text
    marked = re.findall(r'<mark class="evidence-hit">([^<]+)</mark>', page)
    assert len(marked) == 1 and "共收到政府信息公开申请" in marked[0]
    assert unicodedata.normalize("NFKC", marked[0]) == unicodedata.normalize("NFKC", evidence)


def test_security_headers_and_document_routes(app):
    client = login(app, READONLY)
    page = client.get("/")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert not re.search(r"<script(?![^>]*\bsrc=)", page.text) and not re.search(r"\son[a-z]+=", page.text)
    view = client.get("/documents/1/view")
    assert view.headers["content-security-policy"].startswith(
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:")
    assert view.headers["x-content-type-options"] == "nosniff"
    download = client.get("/documents/1/download")
    assert download.headers["content-disposition"].startswith("attachment;")
    assert download.content == view.content


# ---------------------------------------------------------------- exports


def test_export_page_and_files(app, db):
    client = login(app, REVIEWER)
    store = app.state.store
    fp = findings_of(store, db[1][(9, 2023)])[0]["fingerprint"]  # 大连市中山区 appeal total
    store.set_review(fp, "confirmed", reviewer="alice", note="确认")
    page = client.get("/export?year=2023&export_status=confirmed")
    assert page.status_code == 200 and "大连市中山区人民政府" in page.text

    raw = client.get("/export/noncompliant.csv?year=2023&export_status=confirmed")
    assert raw.headers["content-disposition"].startswith("attachment;")
    assert raw.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.content.decode("utf-8-sig"))))
    zhongshan = next(r for r in rows if r["机构"] == "大连市中山区人民政府")
    assert (zhongshan["省份"], zhongshan["地市"], zhongshan["区县"], zhongshan["行政区划代码"]) == (
        "辽宁省", "大连市", "中山区", "210202")
    assert "复议诉讼合计与总计不符" in zhongshan["问题"] and zhongshan["已确认数"] == "1"

    from openpyxl import load_workbook

    xlsx = client.get("/export/noncompliant.xlsx?year=2023&export_status=open")
    ws = load_workbook(io.BytesIO(xlsx.content)).active
    header = [c.value for c in ws[1]]
    assert header[:5] == ["省份", "地市", "区县", "行政区划代码", "机构"]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref.startswith("A1:")
    agencies = {row[4] for row in ws.iter_rows(min_row=2, values_only=True)}
    assert {"台安县人民政府", "海城市人民政府", "大连市中山区人民政府"} <= agencies  # missing, late, wrong


def test_cli_users_and_export_noncompliant(db, tmp_path):
    from nianbao.cli import main

    path = str(db[0])
    runner = CliRunner()
    result = runner.invoke(main, ["users", "add", "carol", "--role", "readonly", "--db", path, "--password-stdin"],
                           input="carol-password\n")  # fmt: skip
    assert result.exit_code == 0, result.output
    with Store(path) as store:
        assert users.authenticate(store, "carol", "carol-password")["role"] == "readonly"
        assert users.authenticate(store, "carol", "wrong") is None
    short = runner.invoke(main, ["users", "add", "dave", "--role", "reviewer", "--db", path, "--password-stdin"],
                          input="short\n")  # fmt: skip
    assert short.exit_code != 0 and "密码至少" in short.output
    out = tmp_path / "n.json"
    result = runner.invoke(main, ["export", "noncompliant", "--db", path, "--year", "2024", "--format", "json",
                                  "--status", "open", "-o", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    import json

    rows = json.loads(out.read_text(encoding="utf-8"))
    assert {"台安县人民政府", "大连市人民政府"} <= {r["agency"] for r in rows}
    assert next(r for r in rows if r["agency"] == "大连市人民政府")["days_late"] > 0
