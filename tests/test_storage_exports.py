"""Exports: rows, CSV with BOM, JSON, XLSX read back with openpyxl."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import openpyxl
import pytest

from nianbao.storage import Store, exports
from nianbao.storage.exports import (
    COLUMNS,
    FINDING_COLUMNS,
    REPORT_COLUMNS,
    write_csv,
    write_json,
    write_xlsx,
)
from tests.storage_factory import make_report


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "n.db")
    for i, (agency, year) in enumerate(
        [("鞍山市立山区人民政府", 2024), ("鞍山市立山区人民政府", 2023), ("鞍山市铁东区教育局", 2024)]
    ):
        ref = s.add_document(f"http://www.as.gov.cn/{i}.html", f"body{i}".encode())
        s.save_report(make_report(agency, year), version_id=ref.version_id, level="county", region="210304")
    yield s
    s.close()


def test_report_rows(store):
    rows = exports.export_reports(store)
    assert [(r["agency"], r["year"]) for r in rows] == [
        ("鞍山市立山区人民政府", 2023),
        ("鞍山市立山区人民政府", 2024),
        ("鞍山市铁东区教育局", 2024),
    ]
    r = rows[0]
    for key in (
        "agency",
        "year",
        "url",
        "published",
        "published_source",
        "first_seen",
        "deadline",
        "days_late",
        "layout",
        "findings",
        "region",
        "level",
        "read_by",
        "title",
    ):
        assert key in r
    assert r["findings"] == ["BLANK_CELLS", "MISSING_FEE_STATEMENT", "ROW_TOTAL_MISMATCH"]
    assert (r["n_errors"], r["n_warnings"]) == (1, 1)
    assert r["url"] == "http://www.as.gov.cn/1.html" and r["published"] == "2025-01-20"
    assert [r["year"] for r in exports.export_reports(store, year=2024)] == [2024, 2024]
    assert [r["agency"] for r in exports.export_reports(store, agency="教育局")] == ["鞍山市铁东区教育局"]
    assert exports.export_reports(store, rule="NO_SUCH_RULE") == []


def test_finding_rows_and_filters(store):
    rows = exports.export_findings(store)
    assert len(rows) == 9
    assert rows[0]["severity"] == "error" and rows[0]["expected"] == 21 and rows[0]["review"] == "pending"
    assert len(exports.export_findings(store, severity="warning")) == 3
    store.set_review(rows[0]["fingerprint"], "confirmed", reviewer="王")
    assert [r["id"] for r in exports.export_findings(store, review="confirmed")] == [rows[0]["id"]]
    assert len(exports.export_findings(store, review="pending")) == 8


def test_csv_has_bom_and_chinese_headers(store, tmp_path):
    path = tmp_path / "r.csv"
    with open(path, "w", encoding="utf-8", newline="") as fp:
        n = write_csv(exports.export_reports(store), REPORT_COLUMNS, fp)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and n == 3
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:3] == ["编号", "机构", "年度"] and "逾期天数" in rows[0] and "问题规则" in rows[0]
    assert rows[1][rows[0].index("问题规则")] == "BLANK_CELLS、MISSING_FEE_STATEMENT、ROW_TOTAL_MISMATCH"
    assert rows[1][rows[0].index("层级")] == "县级"
    buf = io.StringIO()
    write_csv(exports.export_findings(store), FINDING_COLUMNS, buf, chinese=False, bom=False)
    header = buf.getvalue().splitlines()[0].split(",")
    assert header[:4] == ["id", "agency", "year", "rule"]
    assert "pending" in buf.getvalue()


def test_json_round_trip(store):
    buf = io.StringIO()
    write_json(exports.export_findings(store), buf)
    data = json.loads(buf.getvalue())
    assert len(data) == 9 and data[0]["where"] == "applications.new.total" and "鞍山" in buf.getvalue()


@pytest.mark.parametrize("what", ["reports", "findings"])
def test_xlsx_headers_frozen_filter_widths(store, tmp_path, what):
    rows = exports.export_reports(store) if what == "reports" else exports.export_findings(store)
    path = tmp_path / f"{what}.xlsx"
    assert write_xlsx(rows, COLUMNS[what], path) == len(rows)
    ws = openpyxl.load_workbook(path).active
    headers = [c.value for c in ws[1]]
    assert headers == [c.zh for c in COLUMNS[what]]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(len(headers))}{len(rows) + 1}"
    assert ws.max_row == len(rows) + 1
    assert ws[1][0].font.bold
    agency_col = openpyxl.utils.get_column_letter(headers.index("机构") + 1)
    assert ws.column_dimensions[agency_col].width >= 20  # 鞍山市立山区人民政府 is 20 columns wide
    if what == "reports":
        published = ws.cell(row=2, column=headers.index("发布日期") + 1).value
        assert published.date() == dt.date(2025, 1, 20)  # a real date, not text
    else:
        sev = {ws.cell(row=i, column=headers.index("严重程度") + 1).value for i in range(2, ws.max_row + 1)}
        assert sev == {"错误", "警告", "提示"}


def test_rows_carry_the_place_and_filter_by_region(store):
    rows = exports.export_reports(store)
    assert {(r["province"], r["prefecture"], r["county"], r["region_code"]) for r in rows} == {
        ("辽宁省", "鞍山市", "立山区", "210304")}
    for region in ("210304", "210300", "210000", "鞍山市", "立山区", "辽宁省"):
        assert len(exports.export_reports(store, region=region)) == 3, region
        assert len(exports.export_findings(store, region=region)) == 9, region
    for region in ("210302", "210200", "大连市", "北京市"):
        assert exports.export_reports(store, region=region) == [] and exports.export_findings(store, region=region) == [], region
    buf = io.StringIO()
    write_csv(exports.export_findings(store), FINDING_COLUMNS, buf)
    head, first = list(csv.reader(io.StringIO(buf.getvalue().lstrip("\ufeff"))))[:2]
    assert [first[head.index(h)] for h in ("省份", "地市", "区县", "区划代码")] == ["辽宁省", "鞍山市", "立山区", "210304"]
    assert {"省份", "地市", "区县", "区划代码"} <= {c.zh for c in REPORT_COLUMNS}
