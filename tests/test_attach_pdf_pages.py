"""Page breaks in text-layer PDFs: tables cut by a break come back as one grid, a heading at
the foot of a page stays its own block, the signature date dates the report (the file's
CreationDate does not)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from nianbao.parsers.blocks import GridBlock, TextBlock
from nianbao.parsers.pdf import _append_rows, _join_pages, _read_page, grids, read_pdf
from nianbao.sandbox.render_office import official_grids
from tests.attach_support import compare, make_report

CORPUS = Path(__file__).parent / "data" / "corpus"


def padded(year: int, k: int):
    """A generated report with ``k`` extra paragraphs before table 3, to move the page breaks."""
    rep = make_report(seed=7, year=year)
    pad = "\n".join(f"补充说明第{i}段，本段用于调整版面位置。" for i in range(k))
    rep.sections["3"] = pad + "\n" + rep.sections.get("3", "")
    return rep


def raw_splits(pdf: bytes) -> list[tuple[int, int, int]]:
    """Tables the page breaks cut, before joining: (rows above, rows below, width below)."""
    import pdfplumber

    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        pages = [[b for _, b, _ in (_read_page(p, i + 1, "x") or [])] for i, p in enumerate(doc.pages)]
    return [(len(a[-1].rows), len(b[0].rows), len(b[0].rows[0])) for a, b in zip(pages, pages[1:], strict=False)
            if a and b and isinstance(a[-1], GridBlock) and isinstance(b[0], GridBlock)]


# (year, padding, a cut the renderer makes there): section 4 with its data row alone on the next
# page, section 4 with its first header row alone, section 3 with one row over (a narrower
# part), section 3 cut after five rows, 2019 layout section 2 and section 3 cut.
CASES = [(2023, 4, (3, 1, 15)), (2023, 5, (1, 3, 15)), (2023, 10, (27, 1, 8)), (2023, 12, (5, 23, 10)),
         (2020, 0, (11, 7, 4)), (2020, 44, (1, 3, 15))]


@pytest.mark.parametrize("year,k,cut", CASES)
def test_tables_cut_by_page_breaks_come_back_whole(year, k, cut):
    pytest.importorskip("reportlab")
    from nianbao.parsers import read
    from nianbao.sandbox.pdf_fast import render_pdf

    rep = padded(year, k)
    pdf = render_pdf(rep)
    assert cut in raw_splits(pdf), "the layout moved: pick another padding for this cut"
    ex = read_pdf(pdf, "x.pdf")
    specs = official_grids(rep)
    assert [(len(g.rows), len(g.rows[0])) for g in grids(ex)] == [(len(s.rows), len(s.rows[0])) for s in specs.values()]
    stats = compare(specs, ex)
    assert stats["right"] == sum(len(s.values) for s in specs.values()), stats["errors"]
    got, want = read(pdf, "x.pdf").to_contract(), rep.to_contract()
    for table in ("applications", "appeals", "disclosure"):
        assert got[table] == want[table], table
    assert got["sections"] == sorted(rep.sections)


def _grid(rows: list[list[str]], page: int) -> GridBlock:
    g = GridBlock.from_strings(rows)
    g.page = page
    g.col_spans = [(10.0 * c, 10.0 * c + 10) for c in range(len(rows[0]))]  # type: ignore[attr-defined]
    return g


def test_repeated_header_rows_dropped_and_cut_row_joined():
    head = [["项目", "复议", "诉讼"], ["项目", "维持", "纠正"]]
    above = _grid([*head, ["1.申请人无正当理由逾期不补正、", "1", "2"]], 1)
    below = _grid([*head, ["行政机关不再处理", "", ""], ["2.其他", "3", "4"]], 2)
    out = _join_pages([[above], [below]], {})
    assert len(out) == 1
    assert [[c.text for c in r] for r in out[0].rows] == [
        *head, ["1.申请人无正当理由逾期不补正、行政机关不再处理", "1", "2"], ["2.其他", "3", "4"]]


def test_a_new_item_or_other_columns_is_not_a_continuation():
    above = _grid([["（五）不予处理", "1", "2"]], 1)
    item = _grid([["（六）其他处理", "", ""]], 2)  # a blank data row, not the rest of the one above
    _append_rows(above, item)
    assert len(above.rows) == 2
    other = _grid([["a", "1"], ["b", "2"]], 3)
    assert len(_join_pages([[above], [other]], {})) == 2  # other columns: another table
    far = _grid([["（七）总计", "3", "5"]], 4)
    assert len(_join_pages([[above], [], [far]], {})) == 2  # not on the next page


def test_paragraph_joins_over_a_page_break_but_not_after_a_heading():
    body = TextBlock("进一步规范依申请公开办理流程，建立完善依申请公开登记", page=1)
    rest = TextBlock("台账。", page=2)
    assert [b.text for b in _join_pages([[body], [rest]], {})] == ["进一步规范依申请公开办理流程，建立完善依申请公开登记台账。"]
    heading = TextBlock("五、存在的主要问题及改进情况", page=1)
    para = TextBlock("2023年，我区政府信息公开工作虽然取得了一定的成效", page=2)
    assert len(_join_pages([[heading], [para]], {})) == 2
    short = TextBlock("按照规定，本单位未收取信息处理费", page=1)
    nxt = TextBlock("某某县人民政府", page=2)
    assert len(_join_pages([[short], [nxt]], {id(short): (False, False)})) == 2  # last line stopped short
    assert len(_join_pages([[short], [nxt]], {id(nxt): (True, True)})) == 2  # indented: a new paragraph


def test_signature_date_is_the_publication_date_not_the_creation_date():
    pytest.importorskip("reportlab")
    from nianbao.parsers import read
    from nianbao.sandbox.pdf_fast import render_pdf

    rep = make_report(seed=7, year=2023)
    signed = next(d.date for d in rep.dates if d.source == "signature")
    got = read(render_pdf(rep), "x.pdf")
    assert got.published == signed and got.published_source == "signature"
    corpus = CORPUS / "h001_hongze_district_2023.pdf"
    ex = read_pdf(corpus.read_bytes(), corpus.name)
    assert ex.meta["CreationDate"].startswith("D:20240226")  # kept as file metadata ...
    h001 = read(corpus.read_bytes(), corpus.name)
    assert h001.published is None and h001.dates == []  # ... but never a publication date (no 落款 printed)
    assert json.loads(json.dumps(h001.to_contract(), default=str))["published"] is None


def test_corpus_heading_blocks_stand_alone():
    ex = read_pdf((CORPUS / "h002_hongze_district_2024.pdf").read_bytes(), "h002")
    texts = [b.text for b in ex.blocks if isinstance(b, TextBlock)]
    for title in ("三、收到和处理政府信息公开申请情况", "四、政府信息公开行政复议、行政诉讼情况", "五、存在的主要问题及改进情况"):
        assert title in texts
    assert len(grids(ex)) == 3  # sections 2 and 3 run over page breaks: one grid each



def test_wrapped_line_before_a_number_is_not_a_paragraph_end():
    from nianbao.parsers.layout_geom import Line, paragraph_lines

    def line(text: str, x1: float, top: float) -> Line:
        return Line(text, 56.8, top, x1, top + 11, 11.0)

    right = 552.8
    wrapped = [line("本报告所列数据统计期限为", 529.9, 100), line("2023年12月31日止。", 300, 118)]
    assert len(paragraph_lines(wrapped, 56.8, right)) == 1  # "2023" did not fit in the 23 pt left
    ended = [line("本报告所列数据统计期限为", 529.9, 100), line("如对本年度报告有疑问", 300, 118)]
    assert len(paragraph_lines(ended, 56.8, right)) == 2  # one character would have fitted
    heading = [line("五、存在的主要问题及改进情况", right, 100), line("二是部门间沟通联系仍有不足", right, 118)]
    assert len(paragraph_lines(heading, 56.8, right)) == 2  # a heading line never runs on
