"""Pure functions of the readers: numbers, encodings, glued digits, labels, metadata, classification."""

from __future__ import annotations

import datetime as dt

import pytest

from nianbao.model import Report
from nianbao.parsers import read
from nianbao.parsers.blocks import Extracted, TextBlock
from nianbao.parsers.encoding import decode
from nianbao.parsers.glued import resolve_table, split_candidates
from nianbao.parsers.labels import heading_at_start, key_text
from nianbao.parsers.metadata import agency_from_title, date_candidates, fill, parse_date
from nianbao.parsers.numbers import parse_cell


@pytest.mark.parametrize(
    ("text", "kind", "value", "status"),
    [
        ("14,494", "count", 14494, "ok"),
        ("１２３", "count", 123, "ok"),
        ("0", "count", 0, "ok"),
        ("", "count", None, "blank"),
        ("\u00a0", "count", None, "blank"),
        ("&nbsp;", "count", None, "blank"),
        ("—", "count", None, "blank"),
        ("-", "count", None, "blank"),
        ("/", "count", None, "blank"),
        ("无", "count", None, "blank"),
        ("12a3", "count", None, "unreadable"),
        ("75394432.52元", "money", 7539.443252, "ok"),
        ("2517.23万元", "money", 2517.23, "ok"),
        ("4068.208", "money", 4068.208, "ok"),
        ("27（减）", "signed", -27, "ok"),
        ("9623(增)", "signed", 9623, "ok"),
        ("增3", "signed", 3, "ok"),
        ("减 5", "signed", -5, "ok"),
        ("-15", "signed", -15, "ok"),
        ("29件", "count", 29, "ok"),
        ("22（其中修订 16 件）", "count", 22, "ok"),
    ],
)
def test_parse_cell(text, kind, value, status):
    cell = parse_cell(text, kind)
    assert cell.status == status
    assert cell.value == (pytest.approx(value) if isinstance(value, float) else value)
    assert cell.raw == text


SAMPLE = "三、收到和处理政府信息公开申请情况 鞍山市立山区人民政府 镕 堃"


@pytest.mark.parametrize(
    ("data", "declared"),
    [
        (SAMPLE.encode("utf-8"), None),
        (SAMPLE.encode("gb18030"), None),
        (SAMPLE.encode("gb18030"), "gb2312"),  # GBK-only characters declared as GB2312
        (SAMPLE.encode("gb18030"), "utf-8"),  # declared wrongly
        (SAMPLE.encode("utf-8"), "gbk"),  # declared wrongly the other way
        (SAMPLE.replace(" 镕 堃", "").encode("gb2312"), "gb2312"),
        ("\ufeff".encode() + SAMPLE.encode("utf-8"), None),
    ],
)
def test_decode(data, declared):
    text, _ = decode(data, declared)
    assert SAMPLE.replace(" 镕 堃", "") in text


def test_decode_reads_meta_and_http_declarations():
    page = f'<html><head><meta charset="gb2312"></head><body>{SAMPLE}</body></html>'.encode("gb18030")
    assert SAMPLE in decode(page)[0]
    assert SAMPLE in decode(SAMPLE.encode("gb18030"), content_type="text/html; charset=GBK")[0]


def test_split_candidates_and_row_identity():
    cands = split_candidates("230 000023", ["count"] * 7)
    ok = [c for c in cands if sum(map(int, c[:6])) == int(c[6])]
    assert ok == [("23", "0", "0", "0", "0", "0", "23")]
    assert split_candidates("35-15", ["count", "signed"]) == [("35", "-15")]


def test_resolve_table_marks_ambiguous_cells_only():
    res = resolve_table({"r": "2648-18538"}, {"r": ["count", "signed", "count"]})["r"]
    assert res.tokens[0] == "2648" and res.tokens[1] is None and res.tokens[2] is None
    assert "2648|-18|538" in res.note


def test_resolve_table_uses_cross_row_identities():
    # both rows alone are ambiguous ("110" = 1|10 or 11|0); the column sums decide
    kinds = {"a": ["count"] * 2, "b": ["count"] * 2, "t": ["count"] * 2}

    def score(v):
        return sum(v["a"][i] + v["b"][i] == v["t"][i] for i in range(2)) if len(v) == 3 else 0

    out = resolve_table({"a": "110", "b": "55", "t": "165"}, kinds, table_score=score)
    assert out["a"].tokens == ["11", "0"] and out["b"].tokens == ["5", "5"] and out["t"].tokens == ["16", "5"]


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ("一、总体情况", "1"),
        ("二、主动公开政府信息情况", "2"),
        ("三、收到和处理政府信息公开申请情况", "3"),
        ("四、政府信息公开行政复议、行政诉讼情况", "4"),
        ("四、政府信息公开行政复议和行政诉讼情况", "4"),
        ("五、存在问题及改进措施", "5"),
        ("五、政府信息公开工作存在的主要问题及改进情况", "5"),
        ("六、其他需要报告的事项", "6"),
        ("## 一、总体情况", "1"),
        ("四、结转下年度继续办理", None),
        ("三、本年度办理结果", None),
        ("二、上年结转政府信息公开申请数量", None),
    ],
)
def test_headings(line, key):
    assert heading_at_start(line) == key


def test_key_text_ignores_numbering_and_punctuation():
    assert key_text("(三)不予公开 1、属于国家秘密") == key_text("（三）不予公开1.属于国家秘密")


@pytest.mark.parametrize(
    ("title", "agency", "year"),
    [
        ("鞍山市立山区人民政府2024年政府信息公开工作年度报告", "鞍山市立山区人民政府", 2024),
        ("偃师区人民政府办公室 2024 年政府信息公开工作年度报告", "偃师区人民政府办公室", 2024),
        ("2019年上海市人民政府办公厅政府信息公开工作年度报告", "上海市人民政府办公厅", 2019),
        ("平潭综合实验区2019年度政府信息公开工作年度报告_政府信息公开年报_平潭", "平潭综合实验区", 2019),
    ],
)
def test_agency_from_title(title, agency, year):
    assert agency_from_title(title) == (agency, year)


def test_parse_date_forms():
    assert parse_date("2025年1月20日") == dt.date(2025, 1, 20)
    assert parse_date("发布时间: 2020-01-20 15:22") == dt.date(2020, 1, 20)
    assert parse_date("二〇一三年一月") == dt.date(2013, 1, 1)


def _ex(lines, meta=None):
    return Extracted(blocks=[TextBlock(t) for t in lines], meta=meta or {})


def test_publication_date_priority_and_header_clock():
    ex = _ex(
        ["2024年05月19日 星期日 |", "某县人民政府2023年政府信息公开工作年度报告", "日期:2024-01-29 17:25:39 来源:某县", "正文", "某县人民政府", "2024年1月25日"],
        {"PubDate": "2024-01-30 10:00"},
    )
    sources = {e.source: e.date for e in date_candidates(ex, "http://x.gov.cn/art/t20240131_1.html", {})}
    assert sources["header"] == dt.date(2024, 5, 19)
    assert sources["meta"] == dt.date(2024, 1, 30)
    assert sources["visible"] == dt.date(2024, 1, 29)
    assert sources["url"] == dt.date(2024, 1, 31)
    assert sources["signature"] == dt.date(2024, 1, 25)
    r = Report("x")
    fill(r, ex, {})
    assert (r.published, r.published_source) == (dt.date(2024, 1, 30), "meta")
    ex.meta.clear()
    fill(r, ex, {})
    assert (r.published, r.published_source) == (dt.date(2024, 1, 29), "visible")
    ex.blocks[2] = TextBlock("来源:某县")
    fill(r, ex, {})
    assert r.published_source == "signature"  # the page clock is never the publication date
    r.url = "http://x.gov.cn/art/t20240131_1.html"
    fill(r, ex, {})
    assert (r.published, r.published_source) == (dt.date(2024, 1, 31), "url")


def _doc(title: str, body: str = "") -> bytes:
    return f"{title}\n一、总体情况\n{body or '全年公开信息100条。'}\n二、主动公开政府信息情况\n无。\n".encode()


@pytest.mark.parametrize(
    "title",
    [
        "关于2014年政府信息公开工作要点落实情况的函",
        "某市2024年政务公开工作要点",
        "某县2024年政府信息公开工作总结",
        "2024年某市人民政府政府工作报告",
        "某县人民政府政府信息公开指南",
        "关于做好2024年政府信息公开工作年度报告编制发布工作的通知",
        "某某科技有限公司2024年企业年度报告",
    ],
)
def test_not_reports(title):
    assert read(_doc(title), "x").is_report is False


def test_blank_template_is_not_a_report():
    rows = "\n".join(f"{label} | | | | | | | |" for label in ["一、本年新收政府信息公开申请数量", "二、上年结转政府信息公开申请数量", "(七)总计"])
    doc = (
        "XX县人民政府XXXX年政府信息公开工作年度报告\n一、总体情况\n文字描述\n二、主动公开政府信息情况\n文字描述\n"
        "三、收到和处理政府信息公开申请情况\n自然人 | 法人或其他组织 | 总计 |\n" + rows + "\n"
    )
    assert read(doc.encode(), "t").is_report is False


def test_reports_without_title_are_found_by_structure():
    doc = _doc("根据条例编制本年度报告。统计期限自2024年1月1日起至2024年12月31日止。") + "六、其他需要报告的事项\n无。\n".encode()
    r = read(doc, "x")
    assert r.is_report and r.year == 2024 and r.layout is None


@pytest.mark.parametrize(
    "line,agency,year",
    [
        ("某某县教育局2023年度政府信息公开工作报告", "某某县教育局", 2023),
        ("某某县人民政府2024年政府信息公开工作年度报告", "某某县人民政府", 2024),
    ],
)
def test_title_without_the_words_annual_report_together(line: str, agency: str, year: int) -> None:
    from nianbao.parsers.blocks import Extracted, TextBlock
    from nianbao.parsers.metadata import agency_from_title, find_title

    ex = Extracted(blocks=[TextBlock(line), TextBlock("根据《中华人民共和国政府信息公开条例》……")])
    title = find_title(ex, {})
    assert title == line
    assert agency_from_title(title) == (agency, year)
