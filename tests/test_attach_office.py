"""DOCX, XLSX, DOC and text-layer PDF files built from a report read back cell for cell."""

from __future__ import annotations

import io
import shutil

import pytest

from nianbao.magic import sniff
from nianbao.parsers.attachments import extract
from nianbao.sandbox.render_office import docx_to_pdf, official_grids, render_docx
from tests.attach_support import compare, make_report

needs_soffice = pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")


@pytest.fixture(scope="module")
def report():
    return make_report(seed=7, year=2023)


@pytest.fixture(scope="module")
def docx_bytes(report):
    return render_docx(report)


@pytest.fixture(scope="module")
def pdf_bytes(docx_bytes):
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice not installed")
    return docx_to_pdf(docx_bytes)


def _assert_exact(report, ex):
    stats = compare(official_grids(report), ex)
    assert stats["wrong"] == 0 and stats["missed"] == 0, stats["errors"][:10]
    assert stats["label_errors"] == [], stats["label_errors"][:10]
    assert stats["right"] == sum(len(s.values) for s in official_grids(report).values())


def test_docx_every_cell(report, docx_bytes):
    assert sniff(docx_bytes) == "docx"
    ex = extract("docx", docx_bytes, "r.docx")
    assert ex.read_by == "docx"
    _assert_exact(report, ex)
    text = "\n".join(b.text for b in ex.blocks if hasattr(b, "text"))
    assert "一、总体情况" in text and "六、其他需要报告的事项" in text


def test_docx_2019_layout_every_cell():
    rep = make_report(seed=11, year=2020)
    assert rep.layout == "2019"
    _assert_exact(rep, extract("docx", render_docx(rep), "r2019.docx"))


@needs_soffice
def test_pdf_from_libreoffice_every_cell(report, pdf_bytes):
    assert sniff(pdf_bytes) == "pdf"
    ex = extract("pdf", pdf_bytes, "r.pdf")
    assert ex.read_by == "pdf"
    _assert_exact(report, ex)


def test_xlsx_merged_ranges(report):
    import openpyxl

    spec = official_grids(report)["3"]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["三、收到和处理政府信息公开申请情况"])
    for r, row in enumerate(spec.rows):
        for c, text in enumerate(row):
            if all(not (r0 <= r <= r1 and c0 <= c <= c1) or (r, c) == (r0, c0) for r0, c0, r1, c1 in spec.merges):
                ws.cell(row=r + 2, column=c + 1, value=int(text) if text.isdigit() else text)
    for r0, c0, r1, c1 in spec.merges:
        ws.merge_cells(start_row=r0 + 2, start_column=c0 + 1, end_row=r1 + 2, end_column=c1 + 1)
    buf = io.BytesIO()
    wb.save(buf)
    ex = extract("xlsx", buf.getvalue(), "r.xlsx")
    grid = [b for b in ex.blocks if hasattr(b, "rows")][0]
    assert [[c.text for c in row] for row in grid.rows] == spec.rows
    assert any(getattr(b, "text", "") == "三、收到和处理政府信息公开申请情况" for b in ex.blocks)


@needs_soffice
@pytest.mark.slow
def test_doc_via_libreoffice(report, docx_bytes):
    from nianbao.parsers.office import convert

    doc = convert(docx_bytes, "r.docx", "docx", "doc")
    assert sniff(doc) in ("doc", "xls")  # magic looks at 64 KB only; extract() looks further
    ex = extract(sniff(doc), doc, "r.doc")
    assert any("LibreOffice" in n for n in ex.notes)
    _assert_exact(report, ex)
