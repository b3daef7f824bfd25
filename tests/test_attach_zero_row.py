"""The all-zeros 复议/诉讼 row pushed to the next page under its two-level header is read
(it used to vanish: fifteen equal texts looked like no table, giving a false MISSING_TABLE)."""

from __future__ import annotations

import pytest

from nianbao.parsers import read
from nianbao.parsers.blocks import GridBlock
from nianbao.parsers.layout_geom import is_real_table as _is_real_table
from nianbao.rules.registry import audit
from nianbao.sandbox.network import generate

DEMO_SEED, DEMO_SIZE = 2025, 30  # the network of `nianbao demo`


def _all_zero(report) -> bool:
    return all(c.value == 0 for g in report.appeals.values() for c in g.values())


def test_a_row_of_equal_numbers_is_a_table():
    assert _is_real_table(GridBlock.from_strings([["0"] * 15]))
    assert _is_real_table(GridBlock.from_strings([["0", "0"]]))
    assert not _is_real_table(GridBlock.from_strings([["—", "—"]]))


def test_demo_ximeng_office_2022_pdf_reads_its_zero_appeals_row():
    net = generate(DEMO_SEED, DEMO_SIZE)
    agency = "西盟佤族自治县人民政府办公室"
    truth = net.report(agency, 2022)
    assert _all_zero(truth)
    pdf = net.attachment_bytes(net.report_plan(agency, 2022), "pdf")
    report = read(pdf, "ximeng.pdf")
    audit(report)
    assert {g: [c.value for c in row.values()] for g, row in report.appeals.items()} == {
        g: [0] * 5 for g in ("review", "litigation_direct", "litigation_after_review")
    }
    assert "MISSING_TABLE" not in {f.rule for f in report.findings}


@pytest.mark.slow
def test_no_false_missing_table_on_any_all_zero_demo_pdf():
    net = generate(DEMO_SEED, DEMO_SIZE)
    checked = false = 0
    for r in net.ground_truth()["reports"]:
        if not any(a.endswith(".pdf") for a in r["attachments"]) or not _all_zero(net.report(r["agency"], r["year"])):
            continue
        report = read(net.attachment_bytes(net.report_plan(r["agency"], r["year"]), "pdf"), "x.pdf")
        audit(report)
        checked += 1
        false += "MISSING_TABLE" in {f.rule for f in report.findings} and "MISSING_TABLE" not in r["defects"]
    assert checked >= 20
    assert false == 0
