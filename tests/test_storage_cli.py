"""``nianbao ingest`` and ``nianbao export`` through Click's runner on real files."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from nianbao.cli import main
from nianbao.cli.storage import export, ingest
from nianbao.storage import Store
from tests.storage_factory import make_report

SEEDS = sorted((Path(__file__).parent / "data" / "seeds").glob("*.txt"))


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "n.db"
    with Store(path) as s:
        for i, year in enumerate((2023, 2024)):
            ref = s.add_document(f"http://www.lishan.gov.cn/{i}.html", f"b{i}".encode())
            s.save_report(make_report(year=year), version_id=ref.version_id)
    return path


@pytest.mark.parametrize("cmd", [ingest, export])
def test_commands_have_help(cmd):
    result = CliRunner().invoke(main, [cmd.name, "--help"])
    assert result.exit_code == 0 and len(cmd.help or "") > 20 and "--db" in result.output


def test_export_csv_to_stdout(db):
    result = CliRunner().invoke(main, ["export", "reports", "--db", str(db), "--format", "csv"])
    assert result.exit_code == 0, result.output
    lines = result.output.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("编号,机构,年度") and len(lines) == 3


def test_export_json_findings_filtered(db):
    result = CliRunner().invoke(main, ["export", "findings", "--db", str(db), "--format", "json", "--year", "2024", "--severity", "error"]
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [(r["year"], r["rule"]) for r in rows] == [(2024, "ROW_TOTAL_MISMATCH")]


def test_export_xlsx_file(db, tmp_path):
    out = tmp_path / "f.xlsx"
    result = CliRunner().invoke(main, ["export", "findings", "--db", str(db), "--format", "xlsx", "-o", str(out)])
    assert result.exit_code == 0, result.output
    ws = openpyxl.load_workbook(out).active
    assert ws.title == "问题" and ws["A1"].value == "编号" and ws.max_row == 7 and ws.freeze_panes == "A2"


def test_export_refuses_missing_db_and_xlsx_to_stdout(tmp_path, db):
    result = CliRunner().invoke(main, ["export", "reports", "--db", str(tmp_path / "none.db")])
    assert result.exit_code != 0 and "数据库不存在" in result.output
    assert not (tmp_path / "none.db").exists()
    result = CliRunner().invoke(main, ["export", "reports", "--db", str(db), "--format", "xlsx"])
    assert result.exit_code != 0 and "-o" in result.output


def test_ingest_nothing_readable_exits_nonzero(tmp_path):
    db = tmp_path / "n.db"
    result = CliRunner().invoke(main, ["ingest", str(tmp_path / "missing.txt"), "--db", str(db)])
    assert result.exit_code == 1
    assert "无法读取" in result.output and "missing.txt" in result.output


def test_ingest_seeds(tmp_path):
    pytest.importorskip("nianbao.parsers.dispatch")
    db = tmp_path / "n.db"
    args = [*map(str, SEEDS), str(tmp_path / "missing.txt"), "--db", str(db)]
    result = CliRunner().invoke(main, ["ingest", *args])
    assert result.exit_code == 0, result.output
    assert "missing.txt" in result.output and result.output.count("✓") == len(SEEDS)
    with Store(db) as s:
        counts = s.counts()
        assert counts["documents"] == counts["document_versions"] == counts["reports"] == len(SEEDS)
        assert counts["cells"] > 100 * len(SEEDS)
        findings = counts["findings"]
        run = s.one("SELECT * FROM runs")
        assert json.loads(run["stats"])["stored"] == len(SEEDS) and run["status"] == "finished"
    # the same files again: nothing new
    result = CliRunner().invoke(main, ["ingest", *args])
    assert result.exit_code == 0, result.output
    with Store(db) as s:
        again = s.counts()
        assert (again["documents"], again["reports"], again["findings"]) == (len(SEEDS), len(SEEDS), findings)
        assert again["runs"] == 2
