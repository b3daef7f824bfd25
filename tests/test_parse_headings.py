"""Section headings matched by meaning: typos, extra/missing characters, numbering, punctuation."""

from __future__ import annotations

from pathlib import Path

import pytest

from nianbao.parsers.dispatch import read_document
from nianbao.parsers.labels import heading_at_start
from nianbao.rules.registry import audit

DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ("四、政府信息公开行政法复议、行政诉讼情况", "4"),  # extra character (a real county report)
        ("四、政府信息公开行政复诉讼情况", "4"),  # missing character
        ("第四部分 政府信息公开行政复议、行政诉讼情况", "4"),
        ("（三）收到和处理政府信息公开申请情况", "3"),
        ("3.收到和处理政府信息公开申请情况", "3"),
        ("二. 主动公开政府信息情况", "2"),
        ("五、存在的主要问题和改进情况", "5"),
        ("六、其它需要报告的事项。", "6"),
        ("一、总体工作情况", "1"),
        ("四、政府信息公开复议诉讼情况", "4"),
    ],
)
def test_heading_variants(line, key):
    assert heading_at_start(line) == key


@pytest.mark.parametrize(
    "line",
    [
        "四、结转下年度继续办理",
        "一、本年新收政府信息公开申请数量",
        "二、上年结转政府信息公开申请数量",
        "三、本年度办理结果",
        "（一）主动公开",
        "（二）依申请公开",
        "（三）不予公开",
        "一、加强组织领导",
        "二是主动公开政府信息情况",
        "1、属于国家秘密",
        "三、收到和处理政府信息公开申请情况 | 12",
    ],
)
def test_not_headings(line):
    assert heading_at_start(line) is None


def test_heading_typo_in_a_real_report_is_not_a_missing_section():
    """Seed 000 (a real district report) with the heading misprinted as a real county report has it."""
    text = (DATA / "seeds" / "000_4275a0b14778ec30.txt").read_text(encoding="utf-8")
    typo = "四、政府信息公开行政法复议、行政诉讼情况"
    assert "四、政府信息公开行政复议、行政诉讼情况" in text
    text = text.replace("四、政府信息公开行政复议、行政诉讼情况", typo)
    report = read_document(text.encode(), "typo.txt")
    audit(report)
    assert sorted(report.sections) == ["1", "2", "3", "4", "5", "6"]
    assert report.appeals["review"]["total"].value == 5
    assert not [f for f in report.findings if f.rule in ("MISSING_SECTION", "MISSING_TABLE")]


@pytest.mark.parametrize(
    ("line", "key"),
    [("收到和处理政府信息公开申请情况", "3"), ("其他需要报告的事项", "6"), ("本机关主动公开政府信息情况如下", None),
     ("总体情况", None), ("二是主动公开政府信息情况", None)],
)
def test_unnumbered_titles(line, key):
    """An OCR that lost the numbering still names the section; prose and short phrases do not."""
    assert heading_at_start(line) == key
