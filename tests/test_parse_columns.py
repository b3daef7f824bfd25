"""Section 3 columns placed by their header labels; units printed twice; rows that lost a cell."""

from __future__ import annotations

import pytest

from nianbao.layouts import APPLICATION_COLUMNS, APPLICATION_ROWS
from nianbao.parsers import read
from nianbao.parsers.blocks import GridBlock
from nianbao.parsers.mapping import applicant_columns

COLS = list(APPLICATION_COLUMNS)
ROWS = list(APPLICATION_ROWS["2021"])
HEAD = "测试县人民政府2024年政府信息公开工作年度报告\n一、总体情况\n本年度工作。\n"
SEC3 = "三、收到和处理政府信息公开申请情况\n"
SEC4 = "四、政府信息公开行政复议、行政诉讼情况\n"


def _value(row: int, col: str) -> int:
    """A distinct number for every cell, so a value in the wrong column is caught."""
    return (row + 1) * 100 + COLS.index(col) * 11 + 1


def _pipe(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _pipe_report(header_rows: list[list[str]], order: list[str]) -> str:
    """A text report whose section 3 prints ``order`` columns under ``header_rows``."""
    lines = [_pipe(["本年度办理结果", "", *r]) for r in header_rows]
    for i, key in enumerate(ROWS):
        lines.append(_pipe(["", APPLICATION_ROWS["2021"][key], *(str(_value(i, c)) for c in order)]))
    return HEAD + SEC3 + "\n".join(lines) + "\n" + SEC4


def _html_report(order: list[str], labels: dict[str, str]) -> str:
    """An HTML report whose section 3 is a two-level header table in ``order``."""
    org = [c for c in order if c not in ("natural_person", "total")]
    # the official nesting: 法人或其他组织 spans the five organisation columns (kept together)
    cells: list[str] = []
    done_org = False
    for c in order:
        if c in org:
            if not done_org:
                cells.append(f'<td colspan="{len(org)}">法人或其他组织</td>')
                done_org = True
        else:
            cells.append(f'<td rowspan="2">{labels[c]}</td>')
    sub = "".join(f"<td>{labels[c]}</td>" for c in order if c in org)
    rows = [
        '<tr><td rowspan="3" colspan="2">本年度办理结果</td><td colspan="7">申请人情况</td></tr>',
        f"<tr>{''.join(cells)}</tr>",
        f"<tr>{sub}</tr>",
    ]
    for i, key in enumerate(ROWS):
        vals = "".join(f"<td>{_value(i, c)}</td>" for c in order)
        rows.append(f'<tr><td colspan="2">{APPLICATION_ROWS["2021"][key]}</td>{vals}</tr>')
    body = f"<p>{HEAD.replace(chr(10), '</p><p>')}</p><p>{SEC3}</p><table>{''.join(rows)}</table><p>{SEC4}</p>"
    return f"<html><head><title>x</title></head><body>{body}</body></html>"


def _assert_by_header(report) -> None:
    assert list(report.applications) == ROWS
    for i, key in enumerate(ROWS):
        got = {c: report.applications[key][c].value for c in COLS}
        assert got == {c: _value(i, c) for c in COLS}, key


SHUFFLED = ["total", "research", "other_org", "legal_service", "commercial", "nonprofit", "natural_person"]


def test_html_header_in_another_order_is_followed():
    labels = {c: APPLICATION_COLUMNS[c] for c in COLS}
    html = _html_report(SHUFFLED, labels)
    report = read(html.encode("utf-8"), "shuffled.html")
    _assert_by_header(report)
    assert any("header labels" in n for n in report.notes)


def test_html_abbreviated_header_labels():
    labels = {"natural_person": "自然人", "commercial": "企业", "research": "科研", "nonprofit": "公益组织",
              "legal_service": "法律服务", "other_org": "其它", "total": "合计"}  # fmt: skip
    report = read(_html_report(SHUFFLED, labels).encode("utf-8"), "abbrev.html")
    _assert_by_header(report)


def test_text_header_with_words_split_over_two_lines():
    order = ["natural_person", "legal_service", "commercial", "research", "nonprofit", "other_org", "total"]
    header = [
        ["申请人情况", "", "", "", "", "", ""],
        ["自然人", "法人或其他组织", "", "", "", "", "总计"],
        ["", "法律服", "商业企", "科研", "社会公", "其他", ""],
        ["", "务机构", "业", "机构", "益组织", "", ""],
    ]
    report = read(_pipe_report(header, order).encode("utf-8"), "split.txt")
    _assert_by_header(report)


def test_official_order_reads_the_same_without_a_note():
    header = [["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]]
    report = read(_pipe_report(header, COLS).encode("utf-8"), "official.txt")
    _assert_by_header(report)
    assert not any("header labels" in n for n in report.notes)


@pytest.mark.parametrize(
    "header",
    [
        [["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "总计"]],  # a column unnamed
        [["自然人", "商业企业", "商业企业", "社会公益组织", "法律服务机构", "其他", "总计"]],  # named twice
        [],
    ],
    ids=["missing", "duplicate", "none"],
)
def test_incomplete_header_falls_back_to_position(header):
    report = read(_pipe_report(header, COLS).encode("utf-8"), "fallback.txt")
    _assert_by_header(report)


def test_applicant_columns_of_a_grid():
    grid = GridBlock.from_strings(
        [
            ["本年度办理结果", "申请人情况", "申请人情况", "申请人情况"],
            ["本年度办理结果", "总计", "自然人", "商业企业"],
            ["一、本年新收政府信息公开申请数量", "3", "2", "1"],
        ]
    )
    assert applicant_columns(grid) is None  # four of seven columns named: not a usable header
    full = GridBlock.from_strings(
        [
            ["结果", "其他", "总计", "自然人", "商业", "科研机构", "法律服务机构", "社会公益组织"],
            ["一、本年新收政府信息公开申请数量", "0", "3", "2", "1", "0", "0", "0"],
        ]
    )
    assert applicant_columns(full) == {
        1: "other_org", 2: "total", 3: "natural_person", 4: "commercial", 5: "research", 6: "legal_service",
        7: "nonprofit",
    }  # fmt: skip


# --- amounts with the unit printed twice ------------------------------------------------------

SEC2 = "二、主动公开政府信息情况\n"


@pytest.mark.parametrize("amount", ["2517.23万元万元", "2517.23 万元万元", "2517.23万元 万元", "2517.23万元"])
@pytest.mark.parametrize("shape", ["pipe", "lines", "html"])
def test_amount_with_unit_printed_twice(amount, shape):
    if shape == "pipe":
        table = "| 信息内容 | 采购项目数量 | 采购总金额 |\n| 政府集中采购 | 12 | {a} |\n| 行政事业性收费 | 3 | 0 |"
    elif shape == "lines":
        table = "政府集中采购\n12\n{a}\n行政事业性收费\n3\n0"
    else:
        table = (
            "<table><tr><td>信息内容</td><td>采购项目数量</td><td colspan=2>采购总金额</td></tr>"
            "<tr><td>政府集中采购</td><td>12</td><td colspan=2><span>{a}</span></td></tr></table>"
        )
    tail = SEC3 + _pipe(["一、本年新收政府信息公开申请数量", "1", "0", "0", "0", "0", "0", "1"]) + "\n" + SEC4
    text = HEAD + SEC2 + table.replace("{a}", amount) + "\n" + tail
    if shape == "html":
        text = "<html><body>" + "".join(f"<p>{ln}</p>" if "<table>" not in ln else ln for ln in text.split("\n"))
        text += "</body></html>"
    report = read(text.encode("utf-8"), f"amount.{'html' if shape == 'html' else 'txt'}")
    cells = report.disclosure["procurement"]
    assert cells["projects"].value == 12
    assert cells["amount"].value == pytest.approx(2517.23) and cells["amount"].status == "ok"


# --- rows that lost a cell --------------------------------------------------------------------


def test_row_short_of_cells_is_unread_not_shifted():
    table = "| 信息内容 | 本年制发件数 | 本年废止件数 | 现行有效件数 |\n| 规章 | 22 | 235 |\n| 行政规范性文件 | 3 | 0 | 40 |"
    tail = SEC3 + _pipe(["一、本年新收政府信息公开申请数量", "1", "0", "0", "0", "0", "0", "1"]) + "\n" + SEC4
    report = read((HEAD + SEC2 + table + "\n" + tail).encode("utf-8"), "short.txt")
    rules = report.disclosure["rules"]
    assert all(c.value is None and c.status == "unreadable" for c in rules.values())
    assert "22 | 235" in rules["issued"].note
    assert [c.value for c in report.disclosure["normative_documents"].values()] == [3, 0, 40]
