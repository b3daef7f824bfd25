"""NARRATIVE_MISMATCH on real prose (seeds and corpus sentences) and its scope filters."""

from __future__ import annotations

import pytest

from nianbao.rules.registry import AuditContext
from nianbao.rules.samples import report_2019, report_2021, run_rule, set_cell

SEED_000 = ("(三)依法做好政府信息依申请公开\n区政府严格按照《中华人民共和国政府信息公开条例》要求,坚持“以公开为常态,"
            "不公开为例外”原则,全年立山区共收到依申请公开事项29宗,均在法定期限内予以答复。")
SEED_002 = ("2024 年全年共受理依申请公开政府信息件 81 件，上年度结转至本年度 1 件，共办结 82 件，其中予以公开 11 件，"
            "本机关不掌握相关政府信息 71 件。")
H002 = ("（二）依申请公开情况。根据《条例》和上级部门关于依申请办理的规范要求，强化组织领导、规范办理流程，指导各部门\n"
        "采取自行办理、协同办理、会商办理相结合的工作方式，确保依\n申请答复工作规范高效。2024 年，区政府办代表区政府受理政府\n"
        "信息公开申请 17 件，均已在法定期限内予以答复。")
S001 = ("市政府办公厅代表市政府共受理政府信息公开申请859件，申请数量较去年回落12.3%。其中予以公开及部分公开258件，"
        "无法提供265件。")


def _report(text, *, agency="鞍山市立山区人民政府", new=49, carried=0, granted=19, partial=2, not_held=28,
            done=None, review=5, litigation=(7, 3)):
    r = report_2021(2024)
    r.agency, r.agency_kind = agency, None
    r.sections["1"] = "一、总体情况\n" + text
    cells = {"new": new, "carried_in": carried, "granted": granted, "partial": partial,
             "unavailable.not_held": not_held, "total": done if done is not None else new + carried}
    for row, v in cells.items():
        set_cell(r, "applications", row, "total", v)
    set_cell(r, "appeals", "review", "total", review)
    set_cell(r, "appeals", "litigation_direct", "total", litigation[0])
    set_cell(r, "appeals", "litigation_after_review", "total", litigation[1])
    return r


def test_clean_samples():
    assert run_rule("NARRATIVE_MISMATCH", report_2021()) == []
    assert run_rule("NARRATIVE_MISMATCH", report_2019()) == []


def test_seed_000_twenty_nine_against_forty_nine():
    (f,) = run_rule("NARRATIVE_MISMATCH", _report(SEED_000))
    assert (f.where, f.expected, f.actual, f.severity) == ("applications.new.total", 49, 29, "error")
    assert "全年立山区共收到依申请公开事项29宗" in f.evidence
    assert not f.evidence.startswith("(三)")  # the heading is not part of the sentence
    assert "29" in f.message and "49" in f.message


def test_seed_000_agrees_when_the_table_says_29():
    assert run_rule("NARRATIVE_MISMATCH", _report(SEED_000, new=29)) == []


def test_seed_002_all_numbers_agree():
    r = _report(SEED_002, agency="偃师区人民政府办公室", new=81, carried=1, granted=11, partial=0, not_held=71)
    assert run_rule("NARRATIVE_MISMATCH", r) == []


@pytest.mark.parametrize(
    "cell, value, where, stated",
    [
        ("new", 70, "applications.new.total", 81),  # (80 would pass: 80 + 1 carried = 81)
        ("carried", 2, "applications.carried_in.total", 1),
        ("done", 90, "applications.total.total", 82),
        ("granted", 12, "applications.granted.total", 11),
        ("not_held", 70, "applications.unavailable.not_held.total", 71),
    ],
)
def test_seed_002_each_number_is_checked(cell, value, where, stated):
    kwargs = {"new": 81, "carried": 1, "granted": 11, "partial": 0, "not_held": 71, "done": 82}
    kwargs[cell] = value
    r = _report(SEED_002, agency="偃师区人民政府办公室", **kwargs)
    found = [f for f in run_rule("NARRATIVE_MISMATCH", r) if f.where == where]
    assert len(found) == 1 and (found[0].expected, found[0].actual) == (value, stated)


def test_h002_office_sub_scope_is_not_compared_with_the_district_table():
    r = _report(H002, agency="淮安市洪泽区人民政府", new=95)
    assert run_rule("NARRATIVE_MISMATCH", r) == []


def test_office_speaking_for_itself_is_compared():
    # the same sentence in the office's own report is about the reporting body
    r = _report(S001, agency="上海市人民政府办公厅", new=850, granted=275)
    (f,) = run_rule("NARRATIVE_MISMATCH", r)
    assert (f.where, f.expected, f.actual) == ("applications.new.total", 850, 859)  # 予以公开及部分公开: a sum


@pytest.mark.parametrize(
    "text",
    [
        "区财政局共收到政府信息公开申请17件。",  # a department inside a government's report
        "全区各部门共收到政府信息公开申请17件。",
        "其中，区本级受理政府信息公开申请17件。",
        "全年共受理政府信息公开申请49件，其中通过网络受理申请17件。",
        "2023年共收到政府信息公开申请17件。",  # another year
        "去年共收到政府信息公开申请17件。",
        "累计受理政府信息公开申请1700件。",
        "共收到政府信息公开申请数量较上年增加17件。",
        "因政府信息公开申请行政复议、行政诉讼各1件。",
        "全年办理群众诉求259起，受理12345转办事项10460件。",
        "收到建议提案17件。",
    ],
)
def test_sub_scope_and_non_claims_give_no_finding(text):
    assert run_rule("NARRATIVE_MISMATCH", _report(text)) == []


def test_received_may_include_the_carry_over():
    text = "全县全年共受理政府信息公开申请 749 件，其中自然人申请 741 件，法人或其他组织申请 8 件。"  # corpus k001
    assert run_rule("NARRATIVE_MISMATCH", _report(text, agency="沭阳县人民政府", new=713, carried=36)) == []
    (f,) = run_rule("NARRATIVE_MISMATCH", _report(text, agency="沭阳县人民政府", new=700, carried=36))
    assert (f.expected, f.actual) == (700, 749) and "736" in f.message


def test_none_received_against_a_nonzero_table():
    text = "2024年度，我乡未收到公民或者法人依申请公开申请。"  # seed 004
    assert run_rule("NARRATIVE_MISMATCH", _report(text, agency="张家川县闫家乡人民政府", new=0)) == []
    (f,) = run_rule("NARRATIVE_MISMATCH", _report(text, agency="张家川县闫家乡人民政府", new=3))
    assert (f.where, f.expected, f.actual) == ("applications.new.total", 3, 0)


def test_no_appeals_sentence_is_not_a_zero_application_claim():
    text = "2024年，未发生因政府信息公开申请引起的行政复议、行政诉讼案件。"
    assert run_rule("NARRATIVE_MISMATCH", _report(text, new=3)) == []


@pytest.mark.parametrize(
    "text, where, expected, actual",
    [
        ("2024年，因政府信息公开申请引发行政复议4件，行政诉讼10件。", "appeals.review.total", 5, 4),
        ("2024年，因政府信息公开申请引发行政复议5件，行政诉讼12件。", "appeals.litigation.total", 10, 12),
    ],
)
def test_appeals(text, where, expected, actual):
    (f,) = run_rule("NARRATIVE_MISMATCH", _report(text))
    assert (f.where, f.expected, f.actual) == (where, expected, actual)


def test_appeals_agree():
    text = "2024年，因政府信息公开申请引发行政复议5件，行政诉讼10件。"
    assert run_rule("NARRATIVE_MISMATCH", _report(text)) == []


def test_chinese_numerals_and_fullwidth_digits():
    assert run_rule("NARRATIVE_MISMATCH", _report("全年共收到政府信息公开申请四十九件。")) == []
    (f,) = run_rule("NARRATIVE_MISMATCH", _report("全年共收到政府信息公开申请２９件。"))
    assert f.actual == 29


def test_unreadable_table_cell_is_not_compared():
    r = _report(SEED_000)
    set_cell(r, "applications", "new", "total", None, "unreadable", "4g")
    assert run_rule("NARRATIVE_MISMATCH", r) == []


def test_tolerance_setting():
    r = _report("全年共收到政府信息公开申请48件。")
    assert len(run_rule("NARRATIVE_MISMATCH", r)) == 1
    assert run_rule("NARRATIVE_MISMATCH", r, AuditContext(settings={"narrative_tolerance": 1})) == []


def test_only_the_configured_sections_are_read():
    r = _report("见下表。")
    r.sections["5"] = "全年共收到政府信息公开申请29件。"
    assert run_rule("NARRATIVE_MISMATCH", r) == []
    assert len(run_rule("NARRATIVE_MISMATCH", r, AuditContext(settings={"narrative_sections": "1,5"}))) == 1


def test_one_agreeing_claim_silences_the_cell():
    text = "全年共收到政府信息公开申请49件。财政局收到申请17件，全年收到申请17件。"
    assert run_rule("NARRATIVE_MISMATCH", _report(text)) == []
