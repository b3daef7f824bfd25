"""Table identities, INVALID_VALUE, IMPLAUSIBLE_RULES, CHANGE_MISMATCH."""

from __future__ import annotations

import pytest

from nianbao.rules.registry import AuditContext
from nianbao.rules.samples import report_2019, report_2021, run_rule, set_cell

ARITHMETIC = ["ROW_TOTAL_MISMATCH", "RESULT_TOTAL_MISMATCH", "BALANCE_MISMATCH", "APPEAL_TOTAL_MISMATCH",
              "INVALID_VALUE", "IMPLAUSIBLE_RULES", "CHANGE_MISMATCH"]
SAMPLES = {"2021": report_2021, "2019": report_2019}


@pytest.mark.parametrize("layout", SAMPLES)
@pytest.mark.parametrize("rule", ARITHMETIC)
def test_clean(layout, rule):
    assert run_rule(rule, SAMPLES[layout]()) == []


def _value(r, table, row, col):
    return r.table(table)[row][col].value


@pytest.mark.parametrize(
    "layout, table, row, col, bump, rule, where",
    [
        # one applicant cell off: its row total and its column's result total both break
        ("2021", "applications", "granted", "natural_person", 2, "ROW_TOTAL_MISMATCH", "applications.granted.total"),
        ("2021", "applications", "new", "commercial", -1, "ROW_TOTAL_MISMATCH", "applications.new.total"),
        ("2019", "applications", "other", "total", 1, "ROW_TOTAL_MISMATCH", "applications.other.total"),
        ("2021", "applications", "total", "total", -2, "RESULT_TOTAL_MISMATCH", "applications.total.total"),
        ("2019", "applications", "total", "natural_person", 3, "RESULT_TOTAL_MISMATCH",
         "applications.total.natural_person"),
        ("2021", "applications", "carried_out", "natural_person", 1, "BALANCE_MISMATCH",
         "applications.balance.natural_person"),
        ("2021", "appeals", "review", "total", 1, "APPEAL_TOTAL_MISMATCH", "appeals.review.total"),
        ("2019", "appeals", "litigation_after_review", "pending", 2, "APPEAL_TOTAL_MISMATCH",
         "appeals.litigation_after_review.total"),
    ],
)
def test_identity_broken(layout, table, row, col, bump, rule, where):
    r = SAMPLES[layout]()
    set_cell(r, table, row, col, _value(r, table, row, col) + bump)
    found = [f for f in run_rule(rule, r) if f.where == where]
    assert len(found) == 1, run_rule(rule, r)
    f = found[0]
    assert f.severity == "error" and f.expected != f.actual and "≠" in f.message
    assert abs(f.expected - f.actual) == abs(bump)


def test_balance_message_spells_the_identity():
    r = report_2021()
    set_cell(r, "applications", "total", "total", 46)
    (f,) = [f for f in run_rule("BALANCE_MISMATCH", r) if f.where == "applications.balance.total"]
    assert f.message.startswith("总计列：一+二 = 49+2 = 51 ≠ （七）总计+四 = 46+3 = 49")
    assert (f.expected, f.actual) == (51, 49)


def test_row_total_message_lists_the_addends():
    r = report_2021()
    set_cell(r, "applications", "granted", "total", 18)
    (f,) = run_rule("ROW_TOTAL_MISMATCH", r)
    assert "15+4+0+0+0+0 = 19 ≠ 总计 18" in f.message and (f.expected, f.actual) == (19, 18)


def test_blank_counts_as_zero():
    r = report_2021()
    set_cell(r, "applications", "granted", "research", None, "blank", "—")  # 0 anyway: still adds up
    for rule in ARITHMETIC:
        assert run_rule(rule, r) == []
    set_cell(r, "applications", "granted", "commercial", None, "blank", "")  # was 4: now short by 4
    (f,) = run_rule("ROW_TOTAL_MISMATCH", r)
    assert (f.expected, f.actual) == (15, 19)


def test_blank_total_with_nonzero_parts_is_not_a_mismatch():
    r = report_2021()
    set_cell(r, "applications", "granted", "total", None, "blank", "")
    for rule in ARITHMETIC:
        assert run_rule(rule, r) == [], rule


def test_unreadable_cell_stops_every_identity_that_needs_it():
    r = report_2021()
    set_cell(r, "applications", "granted", "natural_person", None, "unreadable", "l5")
    set_cell(r, "applications", "total", "total", 999)  # would break RESULT and BALANCE in column 总计
    # the granted row is not checked; the (七) row still is (its own cells are all readable)
    assert {f.where for f in run_rule("ROW_TOTAL_MISMATCH", r)} == {"applications.total.total"}
    # the natural-person column needs the unreadable cell: only the 总计 column is checked
    assert {f.where for f in run_rule("RESULT_TOTAL_MISMATCH", r)} == {"applications.total.total"}
    set_cell(r, "applications", "granted", "total", None, "unreadable", "l9")
    assert run_rule("RESULT_TOTAL_MISMATCH", r) == []
    assert {f.where for f in run_rule("BALANCE_MISMATCH", r)} == {"applications.balance.total"}


def test_single_other_row_stands_in_for_the_three():
    r = report_2021()
    other = {c: r.applications["other.other"][c] for c in r.applications["other.other"]}
    for key in ("other.no_correction", "other.fee_unpaid", "other.other"):
        del r.applications[key]
    r.applications["other"] = other
    assert run_rule("RESULT_TOTAL_MISMATCH", r) == []
    set_cell(r, "applications", "other", "total", 5)
    assert {f.where for f in run_rule("RESULT_TOTAL_MISMATCH", r)} == {"applications.total.total"}


@pytest.mark.parametrize(
    "table, row, col, value, fires",
    [
        ("applications", "new", "natural_person", -3, True),
        ("applications", "new", "natural_person", 2.5, True),
        ("applications", "new", "natural_person", 40.0, False),
        ("appeals", "review", "upheld", -1, True),
        ("disclosure", "fees", "amount", 12.75, False),
        ("disclosure", "fees", "amount", -1.5, True),
        ("disclosure", "licensing", "decisions", 3.2, True),
    ],
)
def test_invalid_value(table, row, col, value, fires):
    r = report_2021()
    set_cell(r, table, row, col, value)
    found = run_rule("INVALID_VALUE", r)
    assert len(found) == int(fires)
    if fires:
        assert found[0].where == f"{table}.{row}.{col}" and found[0].actual == value


def test_signed_change_may_be_negative_but_whole():
    r = report_2019()
    assert run_rule("INVALID_VALUE", r) == []  # the sample has 减 rows
    set_cell(r, "disclosure", "penalty", "change", -3.5)
    (f,) = run_rule("INVALID_VALUE", r)
    assert f.where == "disclosure.penalty.change"


@pytest.mark.parametrize(
    "agency, ctx, fires",
    [
        ("西宁市城中区人民政府", {}, True),
        ("张家川县闫家乡人民政府", {}, True),
        ("托里县政务服务中心", {}, True),
        ("广东省人民政府", {}, False),
        ("广西壮族自治区人民政府", {}, False),
        ("淮安市人民政府", {}, False),
        ("上海市人民政府办公厅", {}, False),  # publishes its government's 规章
        ("平潭综合实验区管委会", {}, False),  # kind unknown: not guessed
        ("平潭综合实验区管委会", {"level": "county"}, True),
        ("西宁市城中区人民政府", {"level": "city"}, False),
    ],
)
def test_implausible_rules(agency, ctx, fires):
    r = report_2019()
    r.agency, r.agency_kind = agency, None
    for col, v in (("made", 3), ("published", 3), ("public_total", 3)):
        set_cell(r, "disclosure", "rules", col, v)
    found = run_rule("IMPLAUSIBLE_RULES", r, AuditContext(**ctx))
    assert len(found) == int(fires)
    if fires:
        f = found[0]
        assert f.where == "disclosure.rules" and f.severity == "warning"
        assert f.actual == {"made": 3, "published": 3, "public_total": 3}


def test_implausible_rules_2021_layout():
    r = report_2021()
    set_cell(r, "disclosure", "rules", "in_force", 2)
    (f,) = run_rule("IMPLAUSIBLE_RULES", r)
    assert f.actual == {"issued": 0, "repealed": 0, "in_force": 2}


def _coercion(r, previous, change, decisions, raw=None):
    set_cell(r, "disclosure", "coercion", "previous", previous)
    set_cell(r, "disclosure", "coercion", "change", change, raw=raw)
    set_cell(r, "disclosure", "coercion", "decisions", decisions)


def test_change_mismatch_seed_003():
    r = report_2019()
    _coercion(r, 30, -27, 57, "27(减)")
    (f,) = run_rule("CHANGE_MISMATCH", r)
    assert f.where == "disclosure.coercion.change" and f.severity == "warning"
    assert (f.expected, f.actual) == (27, -27)
    assert "30 − 27 = 3 ≠ 处理决定数量 57" in f.message and "增减方向可能写反" in f.message
    assert "27(减)" in f.evidence


def test_change_mismatch_not_when_the_report_does_not_follow_the_convention():
    r = report_2019()  # 平潭 2019: 396, 0, 181 and no other row obeys
    for row, nums in {"licensing": (396, 0, 181), "other_services": (100, 1, 53),
                      "penalty": (2648, 0, 430), "coercion": (126, 0, 25)}.items():
        for col, v in zip(("previous", "change", "decisions"), nums, strict=True):
            set_cell(r, "disclosure", row, col, v)
    assert run_rule("CHANGE_MISMATCH", r) == []


def test_change_mismatch_needs_two_obeying_rows():
    r = report_2019()
    set_cell(r, "disclosure", "licensing", "decisions", 1)
    set_cell(r, "disclosure", "other_services", "decisions", 1)
    _coercion(r, 30, -27, 57)
    # only 行政处罚 obeys now: no convention, no finding for the three rows that break it
    assert run_rule("CHANGE_MISMATCH", r) == []
    ctx = AuditContext(settings={"change_min_rows": 1})
    assert len(run_rule("CHANGE_MISMATCH", r, ctx)) == 3


def test_decrease_larger_than_previous_always_flagged():
    r = report_2019()
    set_cell(r, "disclosure", "licensing", "decisions", 1)
    set_cell(r, "disclosure", "other_services", "decisions", 1)
    _coercion(r, 10, -12, 5)
    found = {f.where: f for f in run_rule("CHANGE_MISMATCH", r)}
    assert set(found) == {"disclosure.coercion.change"}
    assert "大于上一年项目数量" in found["disclosure.coercion.change"].message


def test_change_mismatch_only_for_2019_layout():
    r = report_2021()
    assert run_rule("CHANGE_MISMATCH", r) == []


def test_change_rule_skips_unreadable_rows():
    r = report_2019()
    set_cell(r, "disclosure", "coercion", "previous", None, "unreadable", "3057")
    set_cell(r, "disclosure", "coercion", "decisions", 999)
    assert run_rule("CHANGE_MISMATCH", r) == []
