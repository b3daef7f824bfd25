"""HTML: official template with rowspan/colspan, Word-exported markup, layout tables, encodings."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from nianbao.parsers import read
from nianbao.parsers.grid import table_to_grid

ROOT = Path(__file__).resolve().parent.parent
WORD = ROOT / "tests" / "data" / "html" / "word_export_2021.html"


@pytest.fixture(scope="module", params=["utf8-declared-gb2312", "gbk-declared-gb2312", "gbk-undeclared"])
def word_report(request):
    text = WORD.read_text("utf-8")
    if request.param == "utf8-declared-gb2312":
        data = text.encode("utf-8")
    elif request.param == "gbk-declared-gb2312":
        data = text.encode("gbk")
    else:
        data = text.replace("charset=gb2312", "").encode("gbk")
    return read(data, str(WORD), url="http://www.test.gov.cn/zwgk/t20250124_1.html")


def test_word_export_metadata(word_report):
    r = word_report
    assert r.is_report and r.read_by == "html"
    assert (r.agency, r.year, r.layout) == ("测试县人民政府", 2024, "2021")
    assert (r.published, r.published_source) == (dt.date(2025, 1, 22), "meta")
    sources = {e.source for e in r.dates}
    assert {"meta", "visible", "url", "signature", "header"} <= sources
    assert not any(e.date == dt.date(2019, 1, 1) or e.date == dt.date(2020, 1, 1) for e in r.dates)  # script, hidden
    assert sorted(r.sections) == ["1", "2", "3", "4", "5", "6"]
    assert r.url == "http://www.test.gov.cn/zwgk/t20250124_1.html"


def test_word_export_tables(word_report):
    r = word_report
    assert [c.value for c in r.disclosure["normative_documents"].values()] == [3, 1, 1024]
    assert r.disclosure["licensing"]["decisions"].value == 14494
    assert r.disclosure["coercion"]["decisions"].status == "blank"
    assert r.disclosure["fees"]["amount"].value == pytest.approx(12.5)
    assert len(r.applications) == 25
    assert [c.value for c in r.applications["new"].values()] == [10, 2, 0, 0, 0, 0, 12]
    assert [c.value for c in r.applications["denied.third_party"].values()] == [1, 0, 0, 0, 0, 0, 1]
    assert [c.value for c in r.applications["other.other"].values()] == [1, 0, 0, 0, 0, 0, 1]
    assert [c.value for c in r.applications["total"].values()] == [11, 2, 0, 0, 0, 0, 13]
    assert r.applications["carried_out"]["commercial"].status == "blank"
    assert [c.value for c in r.appeals["review"].values()] == [2, 1, 0, 0, 3]
    assert [c.value for c in r.appeals["litigation_direct"].values()] == [1, 0, 0, 1, 2]
    assert "99" not in r.text  # the script's table is not content


def test_grid_expands_rowspan_and_colspan():
    import lxml.html

    t = lxml.html.fromstring(
        "<table><tr><td rowspan=2>A</td><td colspan=2>B</td></tr><tr><td>1</td><td>2</td></tr></table>"
    )
    g = table_to_grid(t)
    assert [[c.text for c in row] for row in g.rows] == [["A", "B", "B"], ["A", "1", "2"]]
    assert [[c.span_origin for c in row] for row in g.rows] == [[True, True, False], [False, True, True]]


def test_fragment_with_nbsp_zeros_and_blank_totals():
    path = ROOT / "tests/data/corpus/s001_shanghai_govoffice_2019_fragment.html"
    r = read(path.read_bytes(), str(path))
    granted = r.applications["granted"]
    assert [c.value for c in granted.values()] == [258, 12, None, None, 1, 1, None]
    assert granted["total"].status == "blank" and granted["total"].number == 0
    assert r.disclosure["procurement"]["amount"].value == pytest.approx(25.1)  # 251000元


def _expected(name: str) -> dict:
    return json.loads((ROOT / "tests/data/expected" / f"{name}.json").read_text("utf-8"))


@pytest.mark.parametrize("seed", ["000_4275a0b14778ec30", "002_19ca39454c16e942", "003_258597be410f19fd"])
@pytest.mark.parametrize("style", ["official", "word", "plain"])
def test_sandbox_renderings_read_back(seed, style):
    render = pytest.importorskip("nianbao.sandbox.render")
    exp = _expected(seed)
    original = read((ROOT / exp["source"]).read_bytes(), exp["source"])
    page = render.render_page(original, style)
    r = read(page.encode("utf-8"), f"{seed}@{style}")
    assert r.read_by == "html" and r.layout == exp["layout"] and r.year == exp["year"]
    for table in ("applications", "appeals"):
        got = {row: {c: cell.value for c, cell in cols.items()} for row, cols in r.table(table).items()}
        assert got == exp[table]
