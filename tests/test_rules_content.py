"""WRONG_PERIOD, MISSING_FEE_STATEMENT, MISSING_ASSESSMENT_RESULTS."""

from __future__ import annotations

import pytest

from nianbao.rules.registry import AuditContext
from nianbao.rules.samples import report_2019, report_2021, run_rule


@pytest.mark.parametrize("rule", ["WRONG_PERIOD", "MISSING_FEE_STATEMENT", "MISSING_ASSESSMENT_RESULTS"])
@pytest.mark.parametrize("make", [report_2021, report_2019])
def test_clean(rule, make):
    assert run_rule(rule, make()) == []


@pytest.mark.parametrize(
    "period, where, actual",
    [
        ("统计期限自2023年1月1日起至2023年12月31日止", "period", "2023-01-01至2023-12-31"),
        ("数据统计期限从2024年1月1日起到2025年12月31日止", "period", "2024-01-01至2025-12-31"),
        ("统计期限为2024年1月1日至6月30日", "period", "2024-01-01至2024-06-30"),
        ("统计期限自２０２４年１月１日起至２０２４年１２月３１日止", None, None),  # full-width digits
        ("报告中所列数据统计期限自 2024 年 1 月 1 日\n起至 2024 年 12 月 31 日止", None, None),
    ],
)
def test_wrong_period(period, where, actual):
    r = report_2021(2024)
    r.text = r.title + "\n本报告所列数据" + period + "。\n" + r.sections["1"]
    found = run_rule("WRONG_PERIOD", r)
    if where is None:
        assert found == []
        return
    (f,) = found
    assert (f.where, f.actual, f.expected) == (where, actual, "2024-01-01至2024-12-31")
    assert f.severity == "error" and f.evidence


def test_wrong_title_year():
    r = report_2021(2024)
    r.title = "鞍山市立山区人民政府2023年政府信息公开工作年度报告"
    (f,) = run_rule("WRONG_PERIOD", r)
    assert (f.where, f.expected, f.actual) == ("title", 2024, 2023)


def test_first_line_names_another_year_than_the_period():
    r = report_2021(2024)
    r.title, r.year = None, None
    r.text = ("现向社会公布张家川县闫家乡人民政府2023年度政府信息公开工作报告。本报告所列数据统计期限为"
              "2024年1月1日起至2024年12月31日止。")
    (f,) = run_rule("WRONG_PERIOD", r)
    assert (f.where, f.expected, f.actual) == ("title", 2024, 2023)


def test_clock_widget_is_not_a_title_year():
    r = report_2021(2023)
    r.text = "2024年05月19日 星期日 |\n" + r.text
    assert run_rule("WRONG_PERIOD", r) == []


@pytest.mark.parametrize(
    "section6, fires",
    [
        ("本年度没有产生信息公开处理费。", False),
        ("按照《政府信息公开信息处理费管理办法》规定，本单位未收取费用。", False),
        ("本年度未向申请人收取任何费用。", False),
        ("无。", True),
        ("本报告电子版可在政府网站查阅下载。", True),
    ],
)
def test_missing_fee_statement(section6, fires):
    r = report_2021(2024)
    r.sections["6"] = section6
    found = run_rule("MISSING_FEE_STATEMENT", r)
    assert len(found) == int(fires)
    if fires:
        assert found[0].where == "sections.6" and found[0].severity == "warning"


def test_fee_statement_not_required_before_2021():
    r = report_2019(2020)
    r.sections["6"] = "无。"
    assert run_rule("MISSING_FEE_STATEMENT", r) == []


def test_fee_statement_elsewhere_counts_when_section_6_is_missing():
    r = report_2021(2024)
    del r.sections["6"]
    r.text += "\n本年度未收取信息处理费。"
    assert run_rule("MISSING_FEE_STATEMENT", r) == []


ASSESSMENT_NONE = "将政务公开工作考核纳入年度领导班子目标责任考核内容，不断细化考核指标。"


@pytest.mark.parametrize(
    "text, agency, ctx, fires",
    [
        (ASSESSMENT_NONE, "西宁市城中区人民政府", {}, True),  # seed 003: 考核 named, no result
        ("建立健全督导检查、考核评估、责任追究等制度机制。", "鞍山市立山区人民政府", {}, True),
        ("我乡在全县信息公开工作年度考核工作中等次为:合格;社会各界评议结果为:满意。", "张家川县闫家乡人民政府",
         {}, False),
        ("全年未发生政府信息公开工作责任追究事项。", "鞍山市立山区人民政府", {}, False),
        (ASSESSMENT_NONE, "偃师区人民政府办公室", {}, False),  # a department: not required
        (ASSESSMENT_NONE, "朝阳区三里屯街道办事处", {}, False),  # not a 人民政府
        (ASSESSMENT_NONE, "偃师区人民政府办公室", {"kind": "government"}, True),
    ],
)
def test_missing_assessment_results(text, agency, ctx, fires):
    r = report_2021(2024)
    r.agency, r.agency_kind = agency, None
    r.sections["1"] = "一、总体情况\n" + text
    r.text = r.sections["1"]
    found = run_rule("MISSING_ASSESSMENT_RESULTS", r, AuditContext(**ctx))
    assert len(found) == int(fires)
    if fires:
        assert found[0].where == "sections.1" and found[0].severity == "warning"
