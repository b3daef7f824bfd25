"""Resource bounds on hostile inputs: span bombs, zip bombs, huge sheets, oversized files."""

from __future__ import annotations

from nianbao.parsers.dispatch import read_document
from nianbao.parsers.grid import MAX_GRID_CELLS


def _span_bomb(cells: int, span: int = 200) -> bytes:
    row = "".join(f'<td rowspan="{span}" colspan="{span}">{i}</td>' for i in range(cells))
    return (f"<html><body><table><tr><td>项目</td><td>数量</td></tr><tr>{row}</tr>"
            "<tr><td>a</td><td>1</td></tr></table></body></html>").encode()


def test_rowspan_colspan_bomb_is_refused_with_a_reason():
    data = _span_bomb(40)  # 40 cells of 200 x 200: 1.6 million grid positions from 2 KB
    assert len(data) < 3000
    report = read_document(data, "bomb.html")  # time and memory: python -m bench.hostile_inputs
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


# ---------------------------------------------------------------- zip containers (DOCX / XLSX)


def _docx_bytes() -> bytes:
    import io

    import docx

    d = docx.Document()
    d.add_paragraph("测试县人民政府2023年政府信息公开工作年度报告")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def _rezip(data: bytes, extra: dict[str, bytes]) -> bytes:
    import io
    import zipfile

    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            z.writestr(info.filename, extra.pop(info.filename, src.read(info.filename)))
        for name, body in extra.items():
            z.writestr(name, body)
    return out.getvalue()


def _lie_about_sizes(data: bytes, name: str, size: int) -> bytes:
    """Rewrite the declared uncompressed size of ``name`` (local header and central directory)."""
    import struct

    buf, enc = bytearray(data), name.encode()
    for sig, off_size, off_name in ((b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)):
        i = buf.find(sig)
        while i != -1:
            n = struct.unpack_from("<H", buf, i + off_name - (2 if sig == b"PK\x03\x04" else 18))[0]
            if bytes(buf[i + off_name:i + off_name + n]) == enc:
                struct.pack_into("<I", buf, i + off_size, size)
            i = buf.find(sig, i + 4)
    return bytes(buf)


def test_docx_lying_about_its_inflated_size_is_refused_as_a_bomb():
    import zipfile

    padding = b"<!--" + b" " * (60 << 20) + b"-->"  # 60 MB that deflate to ~60 KB
    data = _rezip(_docx_bytes(), {"word/padding.xml": padding})
    data = _lie_about_sizes(data, "word/padding.xml", 1024)  # the directory claims 1 KB
    info = zipfile.ZipFile(__import__("io").BytesIO(data)).getinfo("word/padding.xml")
    assert info.file_size == 1024 and len(data) < 1 << 20
    report = read_document(data, "lies.docx")
    assert len(report.errors) == 1, report.errors
    err = report.errors[0]
    assert err.count("lies.docx") == 1, err  # the path once
    assert "word/padding.xml" in err and "inflates" in err, err


def test_many_honest_parts_over_the_xml_budget_are_refused():
    parts = {f"customXml/item{i}.xml": b"<a>" + b"<b/>" * (2 << 20) + b"</a>" for i in range(6)}  # 6 x 8 MB
    data = _rezip(_docx_bytes(), parts)
    report = read_document(data, "many.docx")
    assert report.errors and "inflate" in report.errors[0], report.errors


def test_truncated_docx_is_a_damaged_docx():
    data = _docx_bytes()
    report = read_document(data[: len(data) * 2 // 3], "cut.docx")
    assert len(report.errors) == 1, report.errors
    err = report.errors[0]
    assert "damaged DOCX" in err, err
    assert "not an attachment format" not in err
    assert err.count("cut.docx") == 1, err


def _xlsx_rows(n: int) -> bytes:
    """An XLSX whose only sheet has ``n`` rows of one cell, written as raw XML (fast)."""
    import io
    import zipfile

    import openpyxl

    wb = openpyxl.Workbook()
    wb.active["A1"] = "项目"
    buf = io.BytesIO()
    wb.save(buf)
    rows = b"".join(b'<row r="%d"><c r="A%d"><v>%d</v></c></row>' % (i, i, i) for i in range(1, n + 1))
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    sheet = src.read("xl/worksheets/sheet1.xml")
    head, _, tail = sheet.partition(b"<sheetData>")
    if not _:
        head, _, tail = sheet.partition(b"<sheetData/>")
        tail = b"</sheetData>" + tail
    else:
        tail = tail[tail.index(b"</sheetData>"):]
    return _rezip(buf.getvalue(), {"xl/worksheets/sheet1.xml": head + b"<sheetData>" + rows + tail})


def test_xlsx_rows_counted_while_streaming():
    data = _xlsx_rows(300_000)  # 13 MB of sheet XML: under the XML budget, over the cell limit
    report = read_document(data, "rows.xlsx")  # time and memory: python -m bench.hostile_inputs
    assert len(report.errors) == 1, report.errors
    err = report.errors[0]
    # refused by the streaming count (rows seen so far), not after openpyxl loaded the sheet
    assert err.startswith("rows.xlsx: sheet sheet1.xml has over 200,001 rows x 1 columns"), err
