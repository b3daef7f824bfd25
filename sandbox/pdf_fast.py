"""Fast PDF rendering of a report with reportlab (milliseconds, vs. seconds for LibreOffice).

Text uses the standard CID font STSong-Light (not embedded, as many government PDFs do), so
the text layer reads back with pdfplumber; tables are ruled grids with the national layout's
merged cells.
"""

from __future__ import annotations

import io
from functools import lru_cache

from nianbao.model import Report
from nianbao.sandbox.render import Grid, _blocks, fullwidth_parens


@lru_cache(maxsize=1)
def _styles():
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    base = dict(fontName="STSong-Light", wordWrap="CJK")
    return {
        "title": ParagraphStyle("t", fontSize=16, leading=24, alignment=1, spaceAfter=10, **base),
        "heading": ParagraphStyle("h", fontSize=12, leading=20, spaceBefore=10, spaceAfter=4, **base),
        "para": ParagraphStyle("p", fontSize=10.5, leading=17, firstLineIndent=21, **base),
        "sign": ParagraphStyle("s", fontSize=10.5, leading=17, alignment=2, **base),
        "cell": ParagraphStyle("c", fontSize=7, leading=8.5, alignment=1, **base),
    }


def _matrix(grid: Grid) -> tuple[list[list[str]], list[tuple]]:
    """Place spanning cells on a rectangular matrix (the HTML table algorithm)."""
    width = sum(td.colspan for td in grid[0])
    rows = [[None] * width for _ in grid]
    spans = []
    for r, row in enumerate(grid):
        c = 0
        for td in row:
            while c < width and rows[r][c] is not None:
                c += 1
            if c >= width:
                break
            for dr in range(td.rowspan):
                for dc in range(td.colspan):
                    if r + dr < len(rows) and c + dc < width:
                        rows[r + dr][c + dc] = ""
            rows[r][c] = fullwidth_parens(td.text) if td.label else td.text
            if td.rowspan > 1 or td.colspan > 1:
                spans.append(("SPAN", (c, r), (c + td.colspan - 1, r + td.rowspan - 1)))
            c += td.colspan
    return [[x or "" for x in row] for row in rows], spans


def _table(grid: Grid, avail: float):
    from reportlab.lib import colors
    from reportlab.platypus import Paragraph, Table, TableStyle

    st = _styles()
    data, spans = _matrix(grid)
    width = len(data[0])
    if width == 10:  # section 3: three label columns
        widths = [avail * 0.1, avail * 0.08, avail * 0.22] + [avail * 0.6 / 7] * 7
    else:
        widths = [avail / width] * width
    cells = [[Paragraph(text, st["cell"]) if text else "" for text in row] for row in data]
    t = Table(cells, colWidths=widths, repeatRows=0)
    t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                           ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                           ("LEFTPADDING", (0, 0), (-1, -1), 1.5), ("RIGHTPADDING", (0, 0), (-1, -1), 1.5),
                           *spans]))
    return t


def render_pdf(report: Report) -> bytes:
    """The report as a PDF with a text layer."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    st = _styles()
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=20 * mm,
                            bottomMargin=20 * mm, title=report.title or "", author=report.agency or "")
    story = []
    for kind, content in _blocks(report, None):
        if kind == "table":
            story += [_table(content, doc.width), Spacer(1, 6)]  # type: ignore[arg-type]
        else:
            text = str(content).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            story.append(Paragraph(fullwidth_parens(text), st.get(kind, st["para"])))
    doc.build(story)
    return buf.getvalue()
