"""Resource bounds on hostile inputs: span bombs, zip bombs, huge sheets, oversized files."""

from __future__ import annotations

import time

from nianbao.parsers.dispatch import read_document
from nianbao.parsers.grid import MAX_GRID_CELLS


def _span_bomb(cells: int, span: int = 200) -> bytes:
    row = "".join(f'<td rowspan="{span}" colspan="{span}">{i}</td>' for i in range(cells))
    return (f"<html><body><table><tr><td>项目</td><td>数量</td></tr><tr>{row}</tr>"
            "<tr><td>a</td><td>1</td></tr></table></body></html>").encode()


def test_rowspan_colspan_bomb_is_refused_with_a_reason():
    data = _span_bomb(40)  # 40 cells of 200 x 200: 1.6 million grid positions from 2 KB
    assert len(data) < 3000
    t0 = time.perf_counter()
    report = read_document(data, "bomb.html")
    assert time.perf_counter() - t0 < 5
    assert not report.is_report
    assert len(report.errors) == 1
    assert "bomb.html" in report.errors[0] and "cells" in report.errors[0], report.errors
    assert str(MAX_GRID_CELLS) in report.errors[0]


def test_ordinary_spans_still_read():
    html = ("<html><body><table><tr><td rowspan='2'>项目</td><td colspan='3'>申请人情况</td></tr>"
            "<tr><td>自然人</td><td>法人</td><td>总计</td></tr><tr><td>收到</td><td>1</td><td>2</td><td>3</td></tr>"
            "</table></body></html>").encode()
    report = read_document(html, "ok.html")
    assert not report.errors
