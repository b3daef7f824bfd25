"""The 通报 draft: pure assembly, the DOCX read back, the PDF rendered, the CLI and the web button."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
import warnings
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner

from nianbao.cli import main
from nianbao.sandbox import sample
from nianbao.storage import users
from nianbao.storage.store import Store
from nianbao.workbench import notice
from nianbao.workbench.notice_docx import FONTS, clean, to_pdf, write_docx

warnings.filterwarnings("ignore", message=".*httpx.*", category=DeprecationWarning)
from starlette.testclient import TestClient  # noqa: E402

from nianbao.workbench.app import create_app  # noqa: E402

SHOTS = Path(__file__).resolve().parent.parent / "test-output" / "screenshots"
LISHAN, TIEDONG, TIEXI = 2, 3, 4
DEADLINE = dt.date(2025, 6, 30)
TITLES = {"BALANCE_MISMATCH": "收结平衡不符", "NARRATIVE_MISMATCH": "正文与表格不一致", "LATE_PUBLICATION": "逾期发布"}


def _f(agency, rule, status="confirmed", **kw):
    return {"agency": agency, "rule": rule, "severity": kw.pop("severity", "error"), "status": status,
            "message": kw.pop("message", f"{agency}的问题。"), **kw}  # fmt: skip


def test_cn_numbers():
    assert [notice.cn_number(n) for n in (1, 9, 10, 11, 20, 23)] == ["一", "九", "十", "十一", "二十", "二十三"]


def test_assemble_counts_rate_change_numbering_and_marks_open_findings():
    statuses = {"甲区人民政府": "ontime", "乙区人民政府": "late", "丙区人民政府": "ontime", "丁区人民政府": "unknown",
                "戊区人民政府": "unverified"}  # fmt: skip
    before = {"甲区人民政府": "ontime", "乙区人民政府": "ontime", "丙区人民政府": "late"}
    findings = [
        _f("乙区人民政府", "BALANCE_MISMATCH", expected="47", actual="49", location="applications.balance.total"),
        _f("甲区人民政府", "NARRATIVE_MISMATCH", severity="warning", evidence="共收到申请12件"),
        _f("丙区人民政府", "BALANCE_MISMATCH", status="pending"),
        _f("乙区人民政府", "LATE_PUBLICATION", evidence="发布日期来源：落款日期"),
    ]
    n = notice.assemble(region_name="某市", region_level="prefecture", year=2023, statuses=statuses,
                        statuses_before=before, findings=findings, rule_titles=TITLES, deadline=DEADLINE,
                        today=dt.date(2025, 5, 1))  # fmt: skip
    text = "\n".join(p.text for p in n.paragraphs)
    assert n.title == "关于某市2023年度政府信息公开工作年度报告核查情况的通报"
    assert n.recipients.startswith("各县（市、区）人民政府")
    # 2 of 3 due on time = 66.7%; last year 2 of 3 = 66.7%: 持平; unknown and unverified are left out, and said so
    assert "按时发布率为66.7%，与上年持平" in text
    assert "另有1家发布时间无法确认" in text and "另有1家暂未找到报告、尚待核实" in text
    assert "确认存在问题3个，涉及2家单位" in text and "另有1个问题尚待审核" in text
    h1 = [p.text for p in n.paragraphs if p.kind == "h1"]
    assert h1 == ["一、总体情况", "二、存在的主要问题", "三、整改要求"]
    h2 = [p.text for p in n.paragraphs if p.kind == "h2"]
    assert h2 == ["（一）未按时发布年度报告", "（二）收结平衡不符（2个）", "（三）正文与表格不一致（1个）"]
    items = [p.text for p in n.paragraphs if p.kind == "item"]
    assert "1. 逾期发布年度报告：乙区人民政府。" in items
    assert any(re.match(r"[12]\. 乙区人民政府", i) and "填报 49，应为 47" in i for i in items)
    assert any(re.match(r"[12]\. 丙区人民政府", i) and i.endswith("（待审核）。") for i in items)
    assert any("原文：“共收到申请12件”" in i for i in items)
    assert not any("落款日期" in i for i in items)  # a date source is no quotation
    assert "于2025年6月30日前完成整改" in text
    assert "戊区" not in text.split("三、整改要求")[1]  # absent from the store is no accusation
    assert n.attachments[0].header == ["序号", "单位", "问题类型", "问题描述", "审核状态"]
    assert len(n.attachments[0].rows) == len(findings)


def test_rate_change_wording():
    n = notice.assemble(region_name="某县", region_level="county", year=2024,
                        statuses={"a": "ontime", "b": "ontime"}, statuses_before={"a": "ontime", "b": "late"},
                        findings=[], rule_titles={}, deadline=DEADLINE, today=DEADLINE)  # fmt: skip
    text = "\n".join(p.text for p in n.paragraphs)
    assert "按时发布率为100.0%，较上年提高 50.0 个百分点" in text and "本次核查未发现经确认的问题" in text


def test_clean_strips_control_characters():
    assert clean("a\x00b\x1fc\nd") == "abc\nd"


@pytest.fixture(scope="module")
def store_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("notice") / "n.db"
    with Store(path) as store:
        ids = sample.build(store)
        users.add_user(store, "alice", "secret-pass-1", "reviewer")
        confirmed = store.query("SELECT DISTINCT fingerprint FROM findings WHERE report_id IN (?, ?) AND active = 1",
                                (ids[(LISHAN, 2023)], ids[(TIEDONG, 2023)]))  # fmt: skip
        for r in confirmed:
            store.set_review(r["fingerprint"], "confirmed", reviewer="alice")
        # 海城市's late 2023 report stays pending: it must not be named in a confirmed-only notice
    return path


def _docx_text(d: docx.Document) -> str:
    parts = [p.text for p in d.paragraphs]
    for t in d.tables:
        parts += ["\t".join(c.text for c in row.cells) for row in t.rows]
    return "\n".join(parts)


def test_cli_notice_docx_names_the_confirmed_agencies_and_figures(store_path, tmp_path):
    out = tmp_path / "通报.docx"
    result = CliRunner().invoke(main, ["notice", "--db", str(store_path), "--region", "210300", "--year", "2023",
                                       "-o", str(out), "--deadline", "2025-06-30"])  # fmt: skip
    assert result.exit_code == 0, result.output
    d = docx.Document(str(out))
    text = _docx_text(d)
    with Store(store_path) as store:
        confirmed = store.query(
            "SELECT f.agency, f.message FROM findings f JOIN reviews v ON v.fingerprint = f.fingerprint "
            "WHERE v.status = 'confirmed' AND f.active = 1 AND f.year = 2023")  # fmt: skip
        pending = store.query(
            "SELECT DISTINCT f.agency FROM findings f LEFT JOIN reviews v ON v.fingerprint = f.fingerprint "
            "WHERE COALESCE(v.status, 'pending') = 'pending' AND f.active = 1 AND f.year = 2023")  # fmt: skip
    assert confirmed and pending
    demand = text.split("三、整改要求")[1].split("附件：")[0]
    for row in confirmed:
        assert row["agency"] in demand
        numbers = re.findall(r"\d+", row["message"])
        assert numbers and all(x in text for x in numbers)  # the printed and expected figures
    for row in pending:
        if row["agency"] not in {c["agency"] for c in confirmed}:
            assert row["agency"] not in demand, row["agency"]
    assert "确认存在问题" in text and f"确认存在问题{len(confirmed)}个" in text
    assert "一、总体情况" in text and "（一）" in text and "1. " in text and "于2025年6月30日前完成整改" in text
    heading = next(p for p in d.paragraphs if p.text == "一、总体情况")
    fonts = {r._element.rPr.rFonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia")
             for r in heading.runs}  # fmt: skip
    assert fonts == {FONTS["h1"]}
    body = next(p for p in d.paragraphs if p.text.startswith("本次共核查"))
    assert {r._element.rPr.rFonts.get(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia") for r in body.runs} == {"仿宋_GB2312"}
    assert len(d.tables) == 3
    ranking = [[c.text for c in row.cells] for row in d.tables[2].rows]
    assert ranking[0] == ["层级", "名次", "单位", "得分"]
    lishan = next(r for r in ranking if r[2] == "鞍山市立山区人民政府")
    assert float(lishan[3]) < 100 and "附件3" in text


@pytest.mark.slow
def test_notice_pdf_renders(store_path, tmp_path):
    if not shutil.which("libreoffice") or not shutil.which("pdftoppm"):
        pytest.skip("LibreOffice or poppler missing")
    with Store(store_path) as store:
        n = notice.collect(store, region="210300", year=2023, deadline=DEADLINE, today=dt.date(2025, 5, 1))
    docx_path = tmp_path / "notice.docx"
    write_docx(n, docx_path)
    pdf = to_pdf(docx_path, tmp_path)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "核查情况的通报" in text and "鞍山市立山区人民政府" in text
    SHOTS.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf), str(SHOTS / "notice-page")],
                   check=True, timeout=120)  # fmt: skip
    png = next(SHOTS.glob("notice-page*.png"))
    assert png.stat().st_size > 10_000


def test_overview_button_and_docx_download(store_path):
    app = create_app(store_path)
    try:
        client = TestClient(app)
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
        client.post("/login", data={"username": "alice", "password": "secret-pass-1", "csrf_token": token})
        page = client.get("/?region=210300&year=2023").text
        assert 'id="notice-docx"' in page and 'action="/notice.docx"' in page
        assert 'id="notice-docx"' not in client.get("/?year=2023").text  # a region first
        resp = client.get("/notice.docx?region=210300&year=2023&deadline=2025-06-30")
        assert resp.status_code == 200 and resp.headers["content-type"].startswith(
            "application/vnd.openxmlformats-officedocument.wordprocessingml")
        text = _docx_text(docx.Document(io.BytesIO(resp.content)))
        assert "关于辽宁省鞍山市2023年度" in text and "鞍山市立山区人民政府" in text
        assert client.get("/notice.docx?year=2023").status_code == 400
        assert client.get("/notice.docx?region=999999&year=2023").status_code == 404
    finally:
        app.state.store.close()


@pytest.mark.slow
def test_notice_pdf_from_the_web(store_path):
    if not shutil.which("libreoffice"):
        pytest.skip("LibreOffice missing")
    app = create_app(store_path)
    try:
        client = TestClient(app)
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
        client.post("/login", data={"username": "alice", "password": "secret-pass-1", "csrf_token": token})
        resp = client.get("/notice.pdf?region=210300&year=2023&deadline=2025-06-30")
        assert resp.status_code == 200 and resp.headers["content-type"] == "application/pdf"
        assert resp.content.startswith(b"%PDF") and len(resp.content) > 10_000
    finally:
        app.state.store.close()
