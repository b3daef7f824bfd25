"""Every hand-checked document in tests/data/expected/ reads as expected, cell by cell."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from nianbao.parsers import read_path

ROOT = Path(__file__).resolve().parent.parent
EXPECTED = sorted((ROOT / "tests" / "data" / "expected").glob("*.json"))
# text and HTML are this part's readers; PDF/DOCX cases belong to the attachments tests
MINE = [p for p in EXPECTED if json.loads(p.read_text("utf-8"))["source"].endswith((".txt", ".html"))]
SEEDS = [p for p in MINE if p.name[0].isdigit()]


def _load(path: Path) -> tuple[dict, object]:
    exp = json.loads(path.read_text("utf-8"))
    return exp, read_path(ROOT / exp["source"])


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(float(a), float(b), abs_tol=1e-6)


def test_all_five_seeds_have_expected_values():
    assert len(SEEDS) == 5


@pytest.mark.parametrize("path", MINE, ids=lambda p: p.stem)
def test_metadata(path):
    exp, report = _load(path)
    assert report.is_report == exp["is_report"]
    if not exp["is_report"]:
        return
    assert report.year == exp["year"]
    assert report.layout == exp["layout"]
    accepted = set(exp.get("agency_any") or []) | {exp["agency"]}
    assert report.agency in accepted
    if "published" in exp:
        assert (report.published.isoformat() if report.published else None) == exp["published"]


@pytest.mark.parametrize("path", MINE, ids=lambda p: p.stem)
def test_every_cell(path):
    exp, report = _load(path)
    if exp.get("tables") == "absent":
        assert not report.applications and not report.appeals, "pre-2019 report must not get national tables"
        return
    status = exp.get("status", {})
    complete = exp.get("complete", ["disclosure", "applications", "appeals"])
    wrong = []
    for table in ("disclosure", "applications", "appeals"):
        if table not in exp:
            continue
        mine = report.table(table)
        if table in complete:
            assert list(mine) == list(exp[table]), f"{table} rows differ"
        for row, cols in exp[table].items():
            for col, value in cols.items():
                cell = mine.get(row, {}).get(col)
                where = f"{table}.{row}.{col}"
                if cell is None or not _same(cell.value, value):
                    wrong.append(f"{where}: {cell} != {value}")
                elif where in status and cell.status != status[where]:
                    wrong.append(f"{where}: status {cell.status} != {status[where]}")
                elif value is None and where not in status:
                    wrong.append(f"{where}: expected a number-less cell with a status")
    assert not wrong, "\n".join(wrong)


def test_seed_001_missing_row_stays_absent_and_nbsp_is_blank():
    _, r = _load(ROOT / "tests/data/expected/001_7f1bd1702e1bb24d.json")
    assert "other.other" not in r.applications
    cell = r.applications["partial"]["research"]
    assert cell.status == "blank" and cell.value is None and cell.number == 0


def test_seed_002_typo_label_and_seed_003_signed_changes():
    _, r2 = _load(ROOT / "tests/data/expected/002_19ca39454c16e942.json")
    assert r2.disclosure["normative_documents"] == {
        k: r2.disclosure["normative_documents"][k] for k in ("issued", "repealed", "in_force")
    }
    assert [c.value for c in r2.disclosure["normative_documents"].values()] == [5, 0, 45]
    _, r3 = _load(ROOT / "tests/data/expected/003_258597be410f19fd.json")
    assert r3.disclosure["other_services"]["change"].value == -361
    assert r3.disclosure["licensing"]["change"].value == 9623
    assert r3.disclosure["procurement"]["amount"].value == pytest.approx(2517.23)
    assert r3.disclosure["fees"]["previous"].status == "blank"


def test_glued_section_2_ambiguity_is_never_a_silent_guess():
    _, r = _load(ROOT / "tests/data/expected/p2019_pingtan_2019.json")
    cell = r.disclosure["normative_documents"]["made"]
    assert cell.status == "unreadable" and cell.value is None
    assert "898989" in cell.note and "89|89|89" in cell.note
    procurement = r.disclosure["procurement"]["amount"]
    assert procurement.status == "unreadable" and "135|75394432.52元" in procurement.note


def test_glued_section_3_split_by_identities():
    _, r = _load(ROOT / "tests/data/expected/p2020_pingtan_2020.json")
    assert [c.value for c in r.applications["new"].values()] == [20, 0, 0, 0, 0, 1, 21]
    assert r.disclosure["penalty"]["previous"].value == 2648
    assert r.disclosure["penalty"]["change"].status == "unreadable"


def test_sections_and_prose():
    _, r = _load(ROOT / "tests/data/expected/000_4275a0b14778ec30.json")
    assert sorted(r.sections) == ["1", "2", "3", "4", "5", "6"]
    assert "全年立山区共收到依申请公开事项29宗" in r.sections["1"]
    assert "14494" not in r.text  # tables are kept out of the prose
    assert "未收取政府信息处理费" in r.sections["6"]
