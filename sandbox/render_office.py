"""Render a :class:`Report` as the files portals attach: DOCX, PDF, PNG and a scanned-looking PNG.

Used as test data for the attachment readers and as sandbox attachments.  The tables follow
the national layout (merged header cells, the vertical 三、本年度办理结果 label, the two-level
section 4 header).  ``official_grids`` gives the same tables as plain grids (merged cells
repeated), which is exactly what a perfect reader should give back.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field

from nianbao.layouts import (
    APPEAL_GROUPS,
    APPEAL_KEYS,
    APPLICATION_COLUMNS,
    APPLICATION_ROWS,
    DISCLOSURE_COLUMNS,
    DISCLOSURE_ROWS,
    SECTIONS,
)
from nianbao.model import Cell, Report
from nianbao.parsers.office import convert

CJK_FONT = "Noto Serif CJK SC"


@dataclass
class Spec:
    """One table: rectangular text grid (merged cells repeated) plus the merged ranges."""

    rows: list[list[str]]
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # r0, c0, r1, c1 inclusive
    values: dict[tuple[int, int], tuple[str, str, str]] = field(default_factory=dict)  # pos -> cell address

    def add(self, cells: list[str]) -> int:
        self.rows.append(cells)
        return len(self.rows) - 1

    def merge(self, r0: int, c0: int, r1: int, c1: int) -> None:
        text = self.rows[r0][c0]
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                self.rows[r][c] = text
        self.merges.append((r0, c0, r1, c1))


def _full(label: str) -> str:
    """Official labels print full-width parentheses and commas."""
    return label.replace("(", "（").replace(")", "）").replace(",", "，")


def _raw(cell: Cell | None) -> str:
    if cell is None:
        return ""
    if cell.raw:
        return cell.raw
    if cell.value is None:
        return ""
    v = cell.value
    return f"{v:.2f}" if isinstance(v, float) and not v.is_integer() else str(int(v))


def _disclosure_spec(rep: Report) -> Spec:
    layout = rep.layout or "2021"
    rows = DISCLOSURE_ROWS[layout]
    spec = Spec(rows=[])
    groups: list[tuple[str, list[str]]]
    if layout == "2021":
        groups = [("（一）", ["rules", "normative_documents"]), ("（五）", ["licensing"]),
                  ("（六）", ["penalty", "coercion"]), ("（八）", ["fees"])]
    else:
        groups = [("（一）", ["rules", "normative_documents"]), ("（五）", ["licensing", "other_services"]),
                  ("（六）", ["penalty", "coercion"]), ("（八）", ["fees"]), ("（九）", ["procurement"])]
    for item, keys in groups:
        r = spec.add([f"第二十条第{item}项"] * 4)
        spec.merge(r, 0, r, 3)
        cols = rows[keys[0]][1]
        heads = [DISCLOSURE_COLUMNS[c] for c in cols]
        if layout == "2021" and cols == ["decisions"]:
            heads = ["本年处理决定数量"]
        if cols == ["amount"]:
            heads = ["本年收费金额（单位：万元）"]
        if keys == ["procurement"]:
            heads = ["采购项目数量", "采购总金额（单位：万元）"]
        r = spec.add(["信息内容", *heads] + [heads[-1]] * (3 - len(heads)))
        if len(heads) < 3:
            spec.merge(r, len(heads), r, 3)
        for key in keys:
            label, cols = rows[key]
            vals = [_raw(rep.disclosure.get(key, {}).get(c)) for c in cols]
            r = spec.add([label, *vals] + [vals[-1]] * (3 - len(vals)))
            for i, c in enumerate(cols):
                spec.values[(r, i + 1)] = ("disclosure", key, c)
            if len(vals) < 3:
                spec.merge(r, len(vals), r, 3)
    return spec


def _applications_spec(rep: Report) -> Spec:
    layout = rep.layout or "2021"
    labels = APPLICATION_ROWS[layout]
    cols = list(APPLICATION_COLUMNS)
    spec = Spec(rows=[])
    note = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
    spec.add([note] * 3 + ["申请人情况"] * 7)
    spec.add([note] * 3 + ["自然人"] + ["法人或其他组织"] * 5 + ["总计"])
    spec.add([note] * 3 + ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"])
    spec.merge(0, 0, 2, 2)
    spec.merge(0, 3, 0, 9)
    spec.merge(1, 3, 2, 3)
    spec.merge(1, 4, 1, 8)
    spec.merge(1, 9, 2, 9)
    groups = {
        "denied": "（三）不予公开",
        "unavailable": "（四）无法提供",
        "not_processed": "（五）不予处理",
        "other": "（六）其他处理",
    }
    result_start = None
    group_start: dict[str, int] = {}
    for key, label in labels.items():
        vals = [_raw(rep.applications.get(key, {}).get(c)) for c in cols]
        prefix = key.split(".")[0]
        if key in ("new", "carried_in", "carried_out"):
            r = spec.add([_full(label)] * 3 + vals)
            spec.merge(r, 0, r, 2)
        elif "." in key:
            r = spec.add(["三、本年度办理结果", groups[prefix], _full(label)] + vals)
            group_start.setdefault(prefix, r)
        else:
            r = spec.add(["三、本年度办理结果", _full(label), _full(label)] + vals)
            spec.merge(r, 1, r, 2)
        if key not in ("new", "carried_in", "carried_out") and result_start is None:
            result_start = r
        if key == "total":
            spec.merge(result_start, 0, r, 0)
        for i, c in enumerate(cols):
            spec.values[(r, 3 + i)] = ("applications", key, c)
    for prefix, start in group_start.items():
        end = max(r for r, row in enumerate(spec.rows) if row[1] == groups[prefix])
        spec.merge(start, 1, end, 1)
    return spec


def _appeals_spec(rep: Report) -> Spec:
    keys = list(APPEAL_KEYS)
    heads = [APPEAL_KEYS[k] for k in keys]
    spec = Spec(rows=[])
    spec.add(["行政复议"] * 5 + ["行政诉讼"] * 10)
    spec.add(heads + ["未经复议直接起诉"] * 5 + ["复议后起诉"] * 5)
    spec.add(heads + heads + heads)
    spec.merge(0, 0, 0, 4)
    spec.merge(0, 5, 0, 14)
    for i in range(5):
        spec.merge(1, i, 2, i)
    spec.merge(1, 5, 1, 9)
    spec.merge(1, 10, 1, 14)
    vals = []
    for g in APPEAL_GROUPS:
        vals += [_raw(rep.appeals.get(g, {}).get(k)) for k in keys]
    r = spec.add(vals)
    for gi, g in enumerate(APPEAL_GROUPS):
        for ki, k in enumerate(keys):
            spec.values[(r, gi * 5 + ki)] = ("appeals", g, k)
    return spec


def official_grids(report: Report) -> dict[str, Spec]:
    """The three official tables of ``report`` keyed by section ("2", "3", "4")."""
    return {"2": _disclosure_spec(report), "3": _applications_spec(report), "4": _appeals_spec(report)}


# ---------------------------------------------------------------------------- DOCX


def _set_cjk_font(run_or_style, size_pt: float | None = None) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    font = run_or_style.font
    font.name = CJK_FONT
    if size_pt:
        font.size = Pt(size_pt)
    rpr = run_or_style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), CJK_FONT)


def _add_table(doc, spec: Spec) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Cm

    nrows, ncols = len(spec.rows), len(spec.rows[0])
    table = doc.add_table(rows=nrows, cols=ncols)
    table.style = "Table Grid"
    table.autofit = False
    widths = {4: [5.0, 4.0, 4.0, 4.0], 10: [1.4, 2.2, 4.2] + [1.3] * 7}.get(ncols, [17.0 / ncols] * ncols)
    for row in table.rows:
        row._tr.get_or_add_trPr().append(row._tr.makeelement(qn("w:cantSplit"), {}))  # no row split over pages
        for c, cell in enumerate(row.cells):
            cell.width = Cm(widths[c])
    covered = set()
    for r0, c0, r1, c1 in spec.merges:
        table.cell(r0, c0).merge(table.cell(r1, c1))
        covered |= {(r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)} - {(r0, c0)}
    for r in range(nrows):
        for c in range(ncols):
            if (r, c) in covered:
                continue
            cell = table.cell(r, c)
            para = cell.paragraphs[0]
            run = para.add_run(spec.rows[r][c])
            _set_cjk_font(run, 9)
            if (r, c) in spec.values:
                para.alignment = WD_ALIGN_PARAGRAPH.CENTER


def render_docx(report: Report) -> bytes:
    """The report as a Word file: title, prose, and the official tables after titles 二/三/四."""
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm

    doc = docx.Document()
    for section in doc.sections:
        section.left_margin = section.right_margin = Cm(2.0)
        section.top_margin = section.bottom_margin = Cm(2.2)
    _set_cjk_font(doc.styles["Normal"], 11)
    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _set_cjk_font(title.add_run(report.title or "政府信息公开工作年度报告"), 16)
    specs = official_grids(report)
    lines = [ln for ln in (report.text or _text_from_sections(report)).split("\n") if ln.strip()]
    titles = {v: k for k, v in SECTIONS.items()}
    for line in lines:
        para = doc.add_paragraph()
        _set_cjk_font(para.add_run(line), 11)
        key = titles.get(line.strip())
        if key in specs and (key != "3" or report.applications) and (key != "4" or report.appeals):
            _add_table(doc, specs[key])
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _text_from_sections(report: Report) -> str:
    out = []
    for key, title in SECTIONS.items():
        if key in report.sections:
            out += [title, report.sections[key]]
    return "\n".join(out)


# ---------------------------------------------------------------------------- PDF, PNG, scans


def docx_to_pdf(docx_bytes: bytes) -> bytes:
    """Convert with LibreOffice (raises ``UnsupportedDocument`` if it is not installed)."""

    return convert(docx_bytes, "render_office", "docx", "pdf")


def pdf_to_png(pdf_bytes: bytes, dpi: int = 150, bands: list[tuple[int, float, float]] | None = None,
               grayscale: bool = False) -> list[bytes]:
    """Every page as PNG bytes (pypdfium2); with ``bands`` ``(page, top, bottom)`` in points, those strips."""
    import pypdfium2 as pdfium

    out = []
    doc = pdfium.PdfDocument(pdf_bytes)
    try:
        for i, top, bottom in bands if bands is not None else [(i, None, None) for i in range(len(doc))]:
            img = doc[i].render(scale=dpi / 72, grayscale=grayscale).to_pil()
            if top is not None:
                img = img.crop((0, round(top * dpi / 72), img.width, round(bottom * dpi / 72)))
            buf = io.BytesIO()
            img.save(buf, "PNG")
            out.append(buf.getvalue())
    finally:
        doc.close()
    return out


def scanned(png: bytes, seed: int) -> bytes:
    """Make a clean page look scanned: slight rotation, blur, grey paper, speckle noise."""
    import numpy as np
    from PIL import Image, ImageFilter

    rng = random.Random(seed)
    img = Image.open(io.BytesIO(png)).convert("L")
    angle = rng.choice([-1, 1]) * rng.uniform(0.5, 1.0)
    img = img.rotate(angle, resample=Image.BICUBIC, expand=True, fillcolor=255)
    img = img.filter(ImageFilter.GaussianBlur(radius=rng.uniform(0.4, 0.7)))
    arr = np.asarray(img).astype(np.float32)
    nrng = np.random.default_rng(seed)
    arr = arr * rng.uniform(0.85, 0.92) + rng.uniform(12, 22)  # grey paper, weaker ink contrast
    arr += nrng.normal(0, 9, arr.shape)
    speckle = nrng.random(arr.shape) < 0.0015
    arr[speckle] = nrng.uniform(0, 120, int(speckle.sum()))
    out = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    buf = io.BytesIO()
    out.save(buf, "PNG")
    return buf.getvalue()
