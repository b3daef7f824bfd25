"""Publication dates: the 信息公开 metadata table and <publishtime> are date sources; lines saying
when a page was collected, printed, viewed or archived never are."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from nianbao.parsers import read
from nianbao.parsers.blocks import Extracted, GridBlock, TextBlock
from nianbao.parsers.metadata import date_candidates, metadata_table

PAGE = Path(__file__).parent / "data" / "html" / "saved_page_metadata_2024.html"


def test_saved_page_takes_the_metadata_table_date_not_the_archivers():
    """A saved report page (imitating a real one): archiver's 采集时间 2025-12-30, a 今天是 clock,
    a 浏览次数 cell, and the platform's metadata table with 公开日期 2025-01-21 as <publishtime>."""
    report = read(PAGE.read_bytes(), "saved.html")
    assert report.published == dt.date(2025, 1, 21)
    assert report.published_source == "meta"
    assert report.agency == "鞍山市立山区人民政府"
    by_date = {(e.date, e.source) for e in report.dates}
    assert (dt.date(2025, 1, 20), "signature") in by_date  # 成文日期, kept with its source
    assert (dt.date(2025, 1, 23), "signature") in by_date  # 生成日期
    assert all(e.source == "header" for e in report.dates if e.date == dt.date(2025, 12, 30))
    assert len(list(report.cells())) == 200


def test_metadata_table_without_markup():
    html = PAGE.read_text(encoding="utf-8").replace("<publishtime>", "").replace("</publishtime>", "")
    report = read(html.encode(), "saved.html")
    assert report.published == dt.date(2025, 1, 21)
    assert any("公开日期" in e.text for e in report.dates)


def _ex(rows: list[list[str]], lines: list[str] = ()) -> Extracted:
    return Extracted(blocks=[*(TextBlock(t) for t in lines), GridBlock.from_strings(rows)], read_by="html")


def test_published_date_preferred_over_written_date():
    ex = _ex([["索引号：", "001/2024-1", "发布机构：", "某县人民政府办公室"],
              ["成文日期：", "2024-01-10", "发布日期：", "2024-01-18"]])
    assert metadata_table(ex)["发布机构"] == "某县人民政府办公室"
    cands = date_candidates(ex, None, {})
    assert [(e.date, e.source) for e in cands] == [(dt.date(2024, 1, 18), "meta"), (dt.date(2024, 1, 10), "signature")]


def test_label_and_value_in_one_cell():
    ex = _ex([["索引号：001/2024-1", "发布机构：某县人民政府办公室"], ["公开日期：2024年1月17日", "生成日期：2024-01-16"]])
    table = metadata_table(ex)
    assert table["公开日期"] == "2024年1月17日"
    assert table["生成日期"] == "2024-01-16"


def test_a_data_table_is_not_a_metadata_table():
    ex = _ex([["项目", "本年制发件数", "本年废止件数"], ["规章", "0", "0"], ["日期", "2024-01-01", ""]])
    assert metadata_table(ex) == {}


@pytest.mark.parametrize(
    "line",
    [
        "采集时间：2025-12-30 09:41:07",
        "打印时间：2025-12-30",
        "本页归档时间：2025-12-30",
        "今天是2025年12月30日",
        "浏览次数：12 访问时间：2025-12-30",
    ],
)
def test_collection_lines_are_never_publication_dates(line):
    ex = Extracted(blocks=[TextBlock(line), TextBlock("一、总体情况")], read_by="html")
    cands = date_candidates(ex, None, {})
    assert cands and all(e.source == "header" for e in cands)


def test_publication_line_with_a_view_counter_is_still_a_publication_date():
    ex = Extracted(blocks=[TextBlock("发布时间：2024-01-29 17:25 浏览次数：433")], read_by="html")
    assert [(e.date, e.source) for e in date_candidates(ex, None, {})] == [(dt.date(2024, 1, 29), "visible")]
