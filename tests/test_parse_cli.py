"""``nianbao parse`` end to end, and the dispatcher on bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from nianbao.cli import main
from nianbao.parsers import read

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "tests/data/seeds").glob("*.txt"))


def test_parse_json_contract_over_seeds():
    res = CliRunner().invoke(main, ["parse", *map(str, SEEDS), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert [d["source"] for d in data] == list(map(str, SEEDS))
    for d in data:
        for key in ("source", "is_report", "agency", "year", "layout", "published", "sections",
                    "disclosure", "applications", "appeals", "findings"):  # fmt: skip
            assert key in d
        assert isinstance(d["findings"], list)
    first = data[0]
    assert first["agency"] == "鞍山市立山区人民政府" and first["published"] == "2025-01-20"
    assert first["applications"]["new"]["total"] == 49
    assert first["appeals"]["review"] == {"upheld": 2, "corrected": 3, "other": 0, "pending": 0, "total": 5}


def test_findings_come_from_the_rules_when_they_exist():
    res = CliRunner().invoke(main, ["parse", str(SEEDS[0]), "--json"])
    data = json.loads(res.stdout)
    assert any(f["rule"] == "NARRATIVE_MISMATCH" for f in data[0]["findings"])


def test_parse_summary_is_chinese_and_names_unreadable_files(tmp_path):
    missing = tmp_path / "nope.txt"
    res = CliRunner().invoke(main, ["parse", str(SEEDS[3]), str(missing)])
    assert res.exit_code == 0
    assert "机关：城中区人民政府" in res.stdout or "机关：西宁市城中区人民政府" in res.stdout
    assert "格式：2019" in res.stdout and "9623" in res.stdout
    assert str(missing) in res.stderr


def test_parse_exits_nonzero_when_nothing_is_readable(tmp_path):
    empty = tmp_path / "empty.html"
    empty.write_bytes(b"")
    res = CliRunner().invoke(main, ["parse", str(empty), str(tmp_path / "missing.pdf")])
    assert res.exit_code == 1
    assert "empty.html" in res.stderr and "missing.pdf" in res.stderr


def test_installed_command_runs():
    exe = Path(sys.executable).with_name("nianbao")
    out = subprocess.run([str(exe), "parse", str(SEEDS[1]), "--json"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)[0]["agency"] == "托里县政务服务中心"


@pytest.mark.parametrize(
    "data",
    [b"", b"   \n", b"\x00\x01\x02garbage\xff\xfe", b"%PDF-1.4 broken", b"PK\x03\x04broken zip", b"<html><body></body></html>",
     "一、总体情况\n".encode() * 3, "二、主动公开政府信息情况\n规章 | 1 | x |\n".encode()],
)  # fmt: skip
def test_bad_input_never_raises(data):
    r = read(data, "bad-doc")
    assert r.source == "bad-doc"
    if r.errors:
        assert r.is_report is False and all("bad-doc" in e for e in r.errors)
