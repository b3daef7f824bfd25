"""Formula injection: publisher names and titles from hostile pages go out as text, never formulas.

Pages whose publisher (title, signature, ``ContentSource`` meta) starts with ``=``, ``+``, ``-``,
``@`` are ingested with ``nianbao ingest``; the reports, findings and noncompliant exports are
written by ``nianbao export`` (CSV and XLSX) and by the workbench (CSV and XLSX).
"""

from __future__ import annotations

import csv
import io
import re
import warnings
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from nianbao.cli import main
from nianbao.parsers.metadata import plausible_agency_name
from nianbao.sandbox import sample
from nianbao.storage import users
from nianbao.storage.exports import REPORT_COLUMNS, neutralise_csv_cell, write_csv, write_xlsx
from nianbao.storage.store import Store

warnings.filterwarnings("ignore", message=".*httpx.*", category=DeprecationWarning)
from starlette.testclient import TestClient  # noqa: E402

from nianbao.workbench.app import create_app  # noqa: E402

HOSTILE = [
    '=HYPERLINK("http://evil.example/?x","点击查看")测试县教育局',
    "+cmd|' /C calc'!A0测试县民政局",
    "-2+3+cmd|' /C calc'!A0测试县财政局",
    "@SUM(1+1)*cmd|' /C calc'!A0测试县水务局",
]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
YEAR = 2023


def _pages(folder: Path) -> None:
    agency = sample.AGENCIES[0]
    base = sample.generated_page(agency, YEAR, defect="BALANCE_MISMATCH").decode()
    for i, name in enumerate(HOSTILE):
        # the publisher everywhere: title, heading, prose, signature
        (folder / f"title{i}.html").write_text(base.replace(agency.name, name), encoding="utf-8")
        # the publisher only in the ContentSource meta (and a 来源 line); nothing else names it
        quoted = name.replace("&", "&amp;").replace('"', "&quot;")
        page = base.replace(agency.name, "").replace(
            "<head>", f'<head><meta name="ContentSource" content="{quoted}">'
        ).replace("<body>", f"<body><p>来源：{name}</p>")
        (folder / f"meta{i}.html").write_text(page, encoding="utf-8")


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("inj")
    pages = root / "pages"
    pages.mkdir()
    _pages(pages)
    path = root / "n.db"
    result = CliRunner().invoke(main, ["ingest", str(pages), "--db", str(path)])
    assert result.exit_code == 0, result.output
    with Store(path) as store:
        # an agency row with a hostile name (site lists come from outside too): no report, so it is
        # listed as missing in the open noncompliant export
        store.upsert_agency('=HYPERLINK("http://evil.example/","x")某某局', level="county", region="210300")
        users.add_user(store, "alice", "secret-pass-1", "reviewer")
    return path


def _csv_cells(text: str) -> list[str]:
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    return [cell for row in rows[1:] for cell in row]


def _assert_csv_safe(text: str) -> None:
    cells = _csv_cells(text)
    assert cells, "export is empty"
    bad = [c for c in cells if c.startswith(FORMULA_START) and not NUMBER.fullmatch(c)]
    assert bad == []


def _assert_xlsx_safe(data: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        sheets = [n for n in zf.namelist() if n.startswith("xl/worksheets/sheet")]
        assert sheets and not any(b"<f>" in zf.read(n) or b"<f " in zf.read(n) for n in sheets)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    cells = [c for row in wb.active.iter_rows(min_row=2) for c in row if c.value is not None]
    assert cells and not [c.coordinate for c in cells if c.data_type == "f"]
    return [c.value for c in cells if isinstance(c.value, str)]


def test_hostile_publisher_names_are_not_taken_as_agency_names(db):
    with Store(db) as store:
        stored = [r["agency"] for r in store.query("SELECT agency FROM reports WHERE is_report = 1")]
        names = [a["name"] for a in store.query("SELECT name FROM agencies")]
    assert len(stored) == 2 * len(HOSTILE)
    for name in stored + [n for n in names if "某某局" not in n]:
        assert name is None or plausible_agency_name(name), name
    assert not any(n and ("HYPERLINK" in n or "cmd" in n) for n in stored)


@pytest.mark.parametrize("what", ["reports", "findings", "noncompliant"])
def test_cli_exports_write_text_never_formulas(db, tmp_path, what):
    extra = ["--year", str(YEAR), "--status", "open"] if what == "noncompliant" else []
    out_csv, out_xlsx = tmp_path / "x.csv", tmp_path / "x.xlsx"
    for fmt, out in (("csv", out_csv), ("xlsx", out_xlsx)):
        result = CliRunner().invoke(main, ["export", what, "--db", str(db), "--format", fmt, "-o", str(out), *extra])
        assert result.exit_code == 0, result.output
    text = out_csv.read_text(encoding="utf-8")
    _assert_csv_safe(text)
    strings = _assert_xlsx_safe(out_xlsx.read_bytes())
    # the hostile text is there, as text: titles (reports, findings) or the agency row (noncompliant)
    assert any("HYPERLINK" in c for c in _csv_cells(text)) and any("HYPERLINK" in s for s in strings)


def test_web_noncompliant_exports_write_text_never_formulas(db):
    app = create_app(db)
    try:
        client = TestClient(app)
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
        resp = client.post("/login", data={"username": "alice", "password": "secret-pass-1", "csrf_token": token},
                           follow_redirects=False)  # fmt: skip
        assert resp.status_code == 303
        got = client.get(f"/export/noncompliant.csv?year={YEAR}&export_status=open")
        assert got.status_code == 200
        _assert_csv_safe(got.content.decode("utf-8"))
        assert "HYPERLINK" in got.content.decode("utf-8")
        got = client.get(f"/export/noncompliant.xlsx?year={YEAR}&export_status=open")
        assert got.status_code == 200
        assert any("HYPERLINK" in s for s in _assert_xlsx_safe(got.content))
    finally:
        app.state.store.close()


def test_writers_neutralise_text_and_keep_numbers():
    rows = [{"id": 7, "agency": "=1+1", "year": 2023, "days_late": -3, "title": "-5", "region": "\t=x",
             "findings": ["@A1"], "source": "+1"}]  # fmt: skip
    text = io.StringIO()
    write_csv(rows, REPORT_COLUMNS, text)
    row = dict(zip([c.key for c in REPORT_COLUMNS], list(csv.reader(io.StringIO(text.getvalue())))[1], strict=True))
    assert (row["agency"], row["title"], row["region"], row["findings"], row["source"]) == (
        "'=1+1", "'-5", "'\t=x", "'@A1", "'+1")
    assert (row["id"], row["days_late"]) == ("7", "-3")
    buf = io.BytesIO()
    write_xlsx(rows, REPORT_COLUMNS, buf)
    ws = openpyxl.load_workbook(io.BytesIO(buf.getvalue())).active
    values = {ws.cell(1, i).value: ws.cell(2, i) for i in range(1, len(REPORT_COLUMNS) + 1)}
    assert values["机构"].value == "=1+1" and values["机构"].data_type == "s"
    assert values["逾期天数"].value == -3 and values["逾期天数"].data_type == "n"
    assert neutralise_csv_cell("正常") == "正常" and neutralise_csv_cell("") == ""


@pytest.mark.parametrize("name, ok", [
    ("鞍山市人民政府", True), ("中共鞍山市委办公室（市政府办公室）", True), ("鞍山市CBD管理委员会", True),
    ('=HYPERLINK("http://evil.example/?x","点击查看")测试县教育局', False), ("+测试县民政局", False),
    ("-测试县财政局", False), ("@测试县水务局", False), ("http://www.as.gov.cn", False), ("www.as.gov.cn测试局", False),
    ("测试局<script>", False), ("“测试局”", False), ("测试局[1]", False), ("局", False), ("2023年度", False),
    ("测" * 61, False),
])  # fmt: skip
def test_plausible_agency_name(name, ok):
    assert plausible_agency_name(name) is ok
