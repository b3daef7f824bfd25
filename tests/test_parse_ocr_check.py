"""OCR readings checked before they are believed (pure logic, no OCR engine)."""

from __future__ import annotations

import pytest

from nianbao.model import Cell
from nianbao.parsers.ocr_check import REPAIRED, candidates, verify
from nianbao.rules.registry import audit
from nianbao.rules.samples import report_2021


@pytest.mark.parametrize(
    ("raw", "kind", "accepted", "cands"),
    [
        ("12", "count", 12, []),
        ("1.2", "count", None, [12]),  # 12 read as 1.2
        ("367.8", "count", None, [3678]),  # 3678 read as 367.8
        ("0.", "count", None, [0]),  # a speck after the digit
        ("1,234", "count", None, [1234]),
        ("-2", "count", None, [2]),  # a count has no sign
        ("-2", "signed", -2, []),
        ("。", "count", None, [0]),  # a 0 read as a full stop
        ("图", "count", None, []),
        ("123456789", "count", None, []),  # implausible digit count
    ],
)
def test_candidates(raw, kind, accepted, cands):
    assert candidates(raw, kind) == (accepted, cands)


def _ocr(report, confidence=0.99):
    """Mark every cell as read by OCR (with its printed text)."""
    for *_, cell in report.cells():
        cell.confidence = confidence
        cell.raw = cell.raw or str(cell.value)
    report.read_by = "ocr"
    return report


def _set(report, table, row, col, raw, confidence=0.99):
    report.table(table)[row][col] = Cell(None, raw, "unreadable", confidence=confidence)


def test_a_separator_is_repaired_only_when_an_identity_confirms_it():
    r = _ocr(report_2021())
    truth = r.applications["new"]["natural_person"].value
    assert truth >= 10
    _set(r, "applications", "new", "natural_person", f"{str(truth)[0]}.{str(truth)[1:]}")
    stats = verify(r)
    cell = r.applications["new"]["natural_person"]
    assert cell.value == truth and cell.status == "ok" and REPAIRED in cell.note
    assert stats["repaired"] == 1


def test_unconfirmed_reading_is_unreadable_with_its_candidates_and_raises_no_arithmetic_finding():
    r = _ocr(report_2021())
    truth = r.applications["new"]["natural_person"].value
    # the row total and the column identity both pass through this cell; break the row total too
    r.applications["new"]["total"] = Cell(None, "图", "unreadable", confidence=0.6)
    _set(r, "applications", "new", "natural_person", f"{truth}.5")
    r.applications["carried_in"]["natural_person"] = Cell(None, "", "unreadable", confidence=0.0)
    verify(r)
    cell = r.applications["new"]["natural_person"]
    assert cell.value is None and cell.status == "unreadable"
    assert f"{truth}5" in cell.note
    found = {f.rule for f in audit(r)}
    assert not found & {"ROW_TOTAL_MISMATCH", "BALANCE_MISMATCH", "RESULT_TOTAL_MISMATCH", "INVALID_VALUE"}
    assert "TABLE_UNREADABLE" in found


def test_low_confidence_reading_taken_when_confirmed():
    r = _ocr(report_2021())
    good = r.applications["granted"]["natural_person"].value
    _set(r, "applications", "granted", "natural_person", str(good), confidence=0.5)
    verify(r)
    cell = r.applications["granted"]["natural_person"]
    assert cell.value == good and REPAIRED in cell.note


def test_a_wrong_low_confidence_digit_is_never_accepted():
    r = _ocr(report_2021())
    printed = r.applications["granted"]["commercial"].value
    wrong = (printed or 0) + 7
    _set(r, "applications", "granted", "commercial", str(wrong), confidence=0.5)
    r.applications["granted"]["total"] = Cell(None, "图", "unreadable", confidence=0.4)  # one identity left
    verify(r)
    cell = r.applications["granted"]["commercial"]
    assert cell.value is None and cell.status == "unreadable"


def test_a_wrong_reading_is_not_replaced_by_what_the_identities_imply():
    # arithmetic is not reading: the value two identities imply is the agency's arithmetic, not
    # necessarily what it printed (a defect in this very cell would be hidden by "repairing" it)
    r = _ocr(report_2021())
    printed = r.applications["granted"]["commercial"].value
    _set(r, "applications", "granted", "commercial", str((printed or 0) + 7), confidence=0.5)
    verify(r)
    cell = r.applications["granted"]["commercial"]
    assert cell.value is None and cell.status == "unreadable"
    assert not {"ROW_TOTAL_MISMATCH", "RESULT_TOTAL_MISMATCH"} & {f.rule for f in audit(r)}


def test_a_number_the_scan_lost_is_never_filled_in_by_arithmetic():
    r = _ocr(report_2021())
    r.applications["total"]["natural_person"] = Cell(None, "", "blank")  # OCR saw nothing
    verify(r)
    assert r.applications["total"]["natural_person"].value is None
    assert not {f.rule for f in audit(r)} & {"ROW_TOTAL_MISMATCH", "RESULT_TOTAL_MISMATCH", "BALANCE_MISMATCH"}


def test_a_doubtful_reading_its_own_row_confirms_lets_a_real_defect_be_reported():
    """A column that does not add up, with one of its cells read at 0.96: the cell's row (all
    read sure) holds with that reading, so the column's failure is the agency's, not OCR's."""
    r = _ocr(report_2021())
    col = "natural_person"
    total = r.applications["total"][col]
    r.applications["total"][col] = Cell(total.value + 1, str(total.value + 1), "ok", confidence=1.0)
    r.applications["total"]["total"].value += 1  # the 总计 row still adds up: a defect of the column
    r.applications["total"]["total"].raw = str(r.applications["total"]["total"].value)
    r.applications["new"][col].value += 1  # and the balance too
    r.applications["new"][col].raw = str(r.applications["new"][col].value)
    r.applications["new"]["total"].value += 1
    r.applications["new"]["total"].raw = str(r.applications["new"]["total"].value)
    granted = r.applications["granted"][col]
    granted.confidence = 0.96  # doubtful, but its row holds
    verify(r)
    assert granted.value is not None and granted.status == "ok"
    assert "RESULT_TOTAL_MISMATCH" in {f.rule for f in audit(r)}


def test_text_layer_cells_are_not_touched():
    r = report_2021()
    r.applications["new"]["natural_person"] = Cell(12, "12", "ok")
    assert verify(r) == {"rejected": 0, "repaired": 0, "unreadable": 0, "filled": 0}


def test_rows_a_scan_lost_are_unreadable_not_missing():
    r = _ocr(report_2021())
    del r.applications["carried_out"]
    verify(r)
    assert all(c.status == "unreadable" for c in r.applications["carried_out"].values())
    found = {f.rule for f in audit(r)}
    assert "MISSING_TABLE" not in found and "TABLE_UNREADABLE" in found


def test_a_failing_identity_with_a_doubtful_reading_accuses_no_one():
    r = _ocr(report_2021())
    r.appeals["litigation_after_review"]["pending"] = Cell(9, "9", "ok", confidence=0.95)  # printed 0
    verify(r)
    cell = r.appeals["litigation_after_review"]["pending"]
    assert cell.value is None and cell.status == "unreadable" and "9" in cell.note
    assert "APPEAL_TOTAL_MISMATCH" not in {f.rule for f in audit(r)}


def test_a_failing_identity_read_with_confidence_is_reported():
    r = _ocr(report_2021())
    total = r.appeals["review"]["total"]
    r.appeals["review"]["total"] = Cell(total.value + 1, str(total.value + 1), "ok", confidence=1.0)
    verify(r)
    assert "APPEAL_TOTAL_MISMATCH" in {f.rule for f in audit(r)}


def test_a_row_of_zeros_that_lost_a_column_rule_is_completed_only_when_identities_agree():
    r = _ocr(report_2021())
    row = "denied.state_secret"
    assert all(c.value == 0 for c in r.applications[row].values())
    why = "row has 6 cells for 7 columns (0 | 0 | 0 | 0 | 0 | 0): columns unknown"
    r.applications[row] = {c: Cell(None, "0 | 0 | 0 | 0 | 0 | 0", "unreadable", note=why) for c in r.applications[row]}
    verify(r)
    assert [c.value for c in r.applications[row].values()] == [0] * 7
    assert REPAIRED in r.applications[row]["total"].note


def _short(r, row):
    vals = [c.value for c in r.applications[row].values()]
    assert vals[-1] > 0 and vals[0] > 0
    shown = " | ".join(str(v) for v in vals[1:])  # natural_person lost
    why = f"row has 6 cells for 7 columns ({shown}): columns unknown"
    r.applications[row] = {c: Cell(None, shown, "unreadable", note=why) for c in r.applications[row]}
    return vals


def test_a_short_row_is_placed_where_the_column_identities_allow_only_one_way():
    r = _ocr(report_2021())
    vals = _short(r, "granted")
    verify(r)
    assert [c.value for c in r.applications["granted"].values()] == vals


def test_a_short_row_that_could_be_placed_two_ways_stays_unreadable():
    r = _ocr(report_2021())
    vals = _short(r, "granted")
    for col in ("natural_person", "commercial"):  # the columns that would tell are not complete
        r.applications["total"][col] = Cell(None, "图", "unreadable", confidence=0.4)
    verify(r)
    got = r.applications["granted"]
    assert got["natural_person"].value is None and got["commercial"].value is None
    # a cell its own complete column confirms may be taken, never a wrong one
    assert all(c.value in (None, v) for c, v in zip(got.values(), vals, strict=True))


@pytest.mark.parametrize("raw", ["i", "l", "一"])
def test_one_lookalikes_are_candidates_not_readings(raw):
    assert candidates(raw, "count") == (None, [1])


def test_two_doubtful_cells_of_one_identity_are_solved_together_only_when_unique():
    r = _ocr(report_2021())
    col = "nonprofit"
    rows = [k for k in r.applications if k not in ("new", "carried_in", "total", "carried_out")][:2]
    truth = [r.applications[k][col].value for k in rows]
    for k in rows:  # both also break their own rows' identities (the rows' totals unreadable)
        _set(r, "applications", k, col, f"{r.applications[k][col].value}.")
        r.applications[k]["total"] = Cell(None, "图", "unreadable", confidence=0.4)
    verify(r)
    assert [r.applications[k][col].value for k in rows] == truth


def test_a_group_read_out_of_its_columns_is_unreadable_not_a_wrong_total():
    """Printed 1 1 0 2 | 4, read as four empty cells and a total of 24."""
    r = _ocr(report_2021())
    group = r.appeals["litigation_after_review"]
    for k in ("upheld", "corrected", "other", "pending"):
        group[k] = Cell(None, "", "blank", confidence=0.0)
    group["total"] = Cell(24, "24", "ok", confidence=0.999)
    verify(r)
    assert all(c.value is None and c.status == "unreadable" for c in group.values())
    assert "APPEAL_TOTAL_MISMATCH" not in {f.rule for f in audit(r)}


def test_readings_doubted_by_an_empty_neighbour_are_taken_back_when_another_identity_confirms_them():
    r = _ocr(report_2021(), confidence=1.0)
    row = r.applications["total"]
    printed = {c: cell.value for c, cell in row.items()}
    assert printed["natural_person"] > 0
    row["natural_person"] = Cell(None, "", "blank", confidence=0.0)  # the scan lost this digit
    verify(r)
    # the row identity fails with a blank in it: the whole row is doubted first, then each reading
    # is confirmed by its own column identities; the lost cell itself is never filled by arithmetic
    assert row["natural_person"].value is None and row["natural_person"].status == "unreadable"
    assert all(row[c].value == v and row[c].status == "ok" for c, v in printed.items() if c != "natural_person")
    assert REPAIRED in row["total"].note
    assert not {"ROW_TOTAL_MISMATCH", "RESULT_TOTAL_MISMATCH", "BALANCE_MISMATCH"} & {f.rule for f in audit(r)}
