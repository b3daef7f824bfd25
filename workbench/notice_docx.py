"""Write a :class:`~nianbao.workbench.notice.Notice` as an editable DOCX (and a PDF of it).

Layout after GB/T 9704 (党政机关公文格式): A4, 标题 in 方正小标宋简体 二号 centred, 主送 flush
left, 正文 仿宋_GB2312 三号 with a two-character first-line indent, 一、 headings in 黑体,
（一） headings in 楷体_GB2312, 附件 tables on their own pages.  The fonts are named in the
document (east-Asian slot) so Word/WPS use their own; LibreOffice substitutes the CJK fonts the
machine has (Noto CJK) when it makes the PDF.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import IO

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_LINE_SPACING
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from nianbao.workbench.notice import Notice

FONTS = {"title": "方正小标宋简体", "body": "仿宋_GB2312", "h1": "黑体", "h2": "楷体_GB2312", "table": "仿宋_GB2312"}
SIZES = {"title": 22, "body": 16, "h1": 16, "h2": 16, "table": 11}  # 二号 22pt, 三号 16pt
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
MAX_CELL = 1000


def clean(text: object) -> str:
    """Text safe for the XML of a DOCX (untrusted report text: control characters out, length capped)."""
    return _CONTROL.sub("", str(text if text is not None else ""))[:MAX_CELL]


def _font(run, kind: str, *, bold: bool = False, size: int | None = None) -> None:
    run.font.name = "Times New Roman"
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONTS[kind])
    run.font.size = Pt(size or SIZES[kind])
    run.font.bold = bold


def _para(doc, text: str, kind: str, *, align=None, indent: bool = True, bold: bool = False):
    p = doc.add_paragraph()
    fmt = p.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(28 if kind != "title" else 36)
    fmt.space_before = fmt.space_after = Pt(0)
    if indent:
        fmt.first_line_indent = Pt(SIZES["body"] * 2)
    if align is not None:
        p.alignment = align
    _font(p.add_run(clean(text)), kind, bold=bold)
    return p


TEXT_WIDTH_CM = 15.6
WIDE_COLUMNS = ("问题描述", "单位")


def column_widths(header: list[str]) -> list[Cm]:
    """序号/名次 narrow, the description widest, the rest shared."""
    weights = [0.6 if h in ("序号", "名次") else 3.5 if h == "问题描述" else 1.6 if h in WIDE_COLUMNS else 1.0
               for h in header]  # fmt: skip
    total = sum(weights)
    return [Cm(TEXT_WIDTH_CM * w / total) for w in weights]


def build(notice: Notice) -> Document:
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    normal = doc.styles["Normal"]
    normal.font.name = "Times New Roman"
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONTS["body"])
    normal.font.size = Pt(SIZES["body"])
    doc.core_properties.title = clean(notice.title)
    doc.core_properties.author = clean(notice.issuer)

    _para(doc, notice.title, "title", align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    _para(doc, "", "body", indent=False)
    _para(doc, notice.recipients, "body", indent=False)
    for p in notice.paragraphs:
        kind = {"h1": "h1", "h2": "h2"}.get(p.kind, "body")
        _para(doc, p.text, kind)
    _para(doc, "", "body", indent=False)
    _para(doc, notice.issuer, "body", align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
    _para(doc, f"{notice.date.year}年{notice.date.month}月{notice.date.day}日", "body",
          align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)  # fmt: skip

    for t in notice.attachments:
        doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        _para(doc, t.title.split("：", 1)[0], "h1", indent=False)
        _para(doc, t.title.split("：", 1)[-1], "title", align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
        table = doc.add_table(rows=1, cols=len(t.header))
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        for cell, text in zip(table.rows[0].cells, t.header, strict=True):
            cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
            _font(cell.paragraphs[0].add_run(clean(text)), "h1", size=SIZES["table"])
        for row in t.rows:
            cells = table.add_row().cells
            for cell, value in zip(cells, row, strict=True):
                _font(cell.paragraphs[0].add_run(clean(value)), "table")
        widths = column_widths(t.header)
        table.autofit = False
        for row in table.rows:
            for cell, width in zip(row.cells, widths, strict=True):
                cell.width = width
    return doc


def write_docx(notice: Notice, out: str | os.PathLike | IO[bytes]) -> None:
    build(notice).save(out)


def to_pdf(docx_path: str | os.PathLike, out_dir: str | os.PathLike, *, timeout: float = 180) -> Path:
    """Convert with ``libreoffice --headless --convert-to pdf`` (a private profile: parallel runs are safe)."""
    office = shutil.which("libreoffice") or shutil.which("soffice")
    if office is None:
        raise RuntimeError("未安装 LibreOffice，无法生成 PDF")
    docx_path, out_dir = Path(docx_path), Path(out_dir)
    with tempfile.TemporaryDirectory(prefix="nianbao-lo-") as profile:
        subprocess.run(
            [office, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
             "--outdir", str(out_dir), str(docx_path)],
            check=True, timeout=timeout, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
    pdf = out_dir / (docx_path.stem + ".pdf")
    if not pdf.exists():
        raise RuntimeError("LibreOffice 未生成 PDF")
    return pdf
