"""Render a ``Report`` the way portals publish it.

Three shapes: the official HTML template (real ``<table>`` markup with rowspan/colspan
exactly like the national layouts), HTML exported from Word (``MsoNormal`` paragraphs,
``<o:p>``, ``&nbsp;``, labels broken by ``<br>``) and plain text (pipe, tab or one cell per
line, like the seeds).  Tables are built once as a grid of :class:`Td` and then written out by
each style.  Pure functions: no I/O.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from nianbao.layouts import (
    APPEAL_GROUPS,
    APPEAL_KEYS,
    APPLICANT_COLUMNS,
    APPLICATION_COLUMNS,
    APPLICATION_ROWS,
    SECTIONS,
)
from nianbao.model import Cell, Report

STYLES = ("official", "word", "plain")
TEXT_STYLES = ("pipe", "tab", "lines")


@dataclass
class Td:
    """One table cell as printed: text, spans, whether it is a label, which value it shows."""

    text: str
    rowspan: int = 1
    colspan: int = 1
    label: bool = True


Grid = list[list[Td]]

_GROUPS = {
    "denied": "(三)不予公开",
    "unavailable": "(四)无法提供",
    "not_processed": "(五)不予处理",
    "other": "(六)其他处理",
}
_BALANCE_NOTE = "(本列数据的勾稽关系为:第一项加第二项之和,等于第三项加第四项之和)"


# ---------------------------------------------------------------------------- values


def fmt(cell: Cell | None, zero_as: str | None = None) -> str:
    """The printed form of a cell (its ``raw`` when it has one)."""
    if cell is None:
        return ""
    if zero_as is not None and cell.value == 0 and cell.status == "ok":
        return zero_as
    if cell.raw:
        return cell.raw
    if cell.value is None:
        return ""
    v = cell.value
    if isinstance(v, float) and not v.is_integer():
        return f"{v:.2f}"
    return str(int(v))


def _val(text: str) -> Td:
    return Td(text, label=False)


# ---------------------------------------------------------------------------- grids


def disclosure_grid(report: Report, zero_as: str | None = None) -> Grid:
    """Section 2 as printed in the national template (4 columns)."""
    t, layout = report.disclosure, report.layout or "2021"

    def v(row: str, col: str) -> str:
        return fmt(t.get(row, {}).get(col), zero_as)

    g: Grid = []
    if layout == "2021":
        g.append([Td("第二十条第(一)项", colspan=4)])
        g.append([Td("信息内容"), Td("本年制发件数"), Td("本年废止件数"), Td("现行有效件数")])
        for row, label in (("rules", "规章"), ("normative_documents", "行政规范性文件")):
            g.append([Td(label)] + [_val(v(row, c)) for c in ("issued", "repealed", "in_force")])
        g.append([Td("第二十条第(五)项", colspan=4)])
        g.append([Td("信息内容"), Td("本年处理决定数量", colspan=3)])
        g.append([Td("行政许可"), Td(v("licensing", "decisions"), colspan=3, label=False)])
        g.append([Td("第二十条第(六)项", colspan=4)])
        g.append([Td("信息内容"), Td("本年处理决定数量", colspan=3)])
        g.append([Td("行政处罚"), Td(v("penalty", "decisions"), colspan=3, label=False)])
        g.append([Td("行政强制"), Td(v("coercion", "decisions"), colspan=3, label=False)])
        g.append([Td("第二十条第(八)项", colspan=4)])
        g.append([Td("信息内容"), Td("本年收费金额(单位:万元)", colspan=3)])
        g.append([Td("行政事业性收费"), Td(v("fees", "amount"), colspan=3, label=False)])
        return g
    g.append([Td("第二十条第(一)项", colspan=4)])
    g.append([Td("信息内容"), Td("本年新制作数量"), Td("本年新公开数量"), Td("对外公开总数量")])
    for row, label in (("rules", "规章"), ("normative_documents", "规范性文件")):
        g.append([Td(label)] + [_val(v(row, c)) for c in ("made", "published", "public_total")])
    head = [Td("信息内容"), Td("上一年项目数量"), Td("本年增/减"), Td("处理决定数量")]
    g.append([Td("第二十条第(五)项", colspan=4)])
    g.append(list(head))
    for row, label in (("licensing", "行政许可"), ("other_services", "其他对外管理服务事项")):
        g.append([Td(label)] + [_val(v(row, c)) for c in ("previous", "change", "decisions")])
    g.append([Td("第二十条第(六)项", colspan=4)])
    g.append([Td(h.text) for h in head])
    for row, label in (("penalty", "行政处罚"), ("coercion", "行政强制")):
        g.append([Td(label)] + [_val(v(row, c)) for c in ("previous", "change", "decisions")])
    g.append([Td("第二十条第(八)项", colspan=4)])
    g.append([Td("信息内容"), Td("上一年项目数量"), Td("本年增/减", colspan=2)])
    g.append([Td("行政事业性收费"), _val(v("fees", "previous")), Td(v("fees", "change"), colspan=2, label=False)])
    g.append([Td("第二十条第(九)项", colspan=4)])
    g.append([Td("信息内容"), Td("采购项目数量"), Td("采购总金额", colspan=2)])
    amount = v("procurement", "amount")
    if amount and amount not in ("0", zero_as or "0"):
        amount += "万元"
    g.append([Td("政府集中采购"), _val(v("procurement", "projects")), Td(amount, colspan=2, label=False)])
    return g


def applications_grid(report: Report, zero_as: str | None = None) -> Grid:
    """Section 3 as printed in the national template (3 label columns + 7 numbers)."""
    layout = report.layout or "2021"
    rows = APPLICATION_ROWS[layout]
    t = report.applications

    def nums(row: str) -> list[Td]:
        cols = t.get(row, {})
        return [_val(fmt(cols.get(c), zero_as)) for c in [*APPLICANT_COLUMNS, "total"]]

    g: Grid = [
        [Td(_BALANCE_NOTE, rowspan=3, colspan=3), Td("申请人情况", colspan=7)],
        [Td("自然人", rowspan=2), Td("法人或其他组织", colspan=5), Td("总计", rowspan=2)],
        [Td(APPLICATION_COLUMNS[c]) for c in APPLICANT_COLUMNS[1:]],
        [Td(rows["new"], colspan=3), *nums("new")],
        [Td(rows["carried_in"], colspan=3), *nums("carried_in")],
    ]
    result_keys = [r for r in rows if r not in ("new", "carried_in", "carried_out")]  # results + total
    first = True
    seen_groups: set[str] = set()
    for row in result_keys:
        line: list[Td] = []
        if first:
            line.append(Td("三、本年度办理结果", rowspan=len(result_keys)))
            first = False
        group = row.split(".")[0] if "." in row else None
        if group:
            if group not in seen_groups:
                seen_groups.add(group)
                size = sum(1 for r in result_keys if r.startswith(group + "."))
                line.append(Td(_GROUPS[group], rowspan=size))
            line.append(Td(rows[row]))
        elif row == "other":
            line.append(Td(_GROUPS["other"], colspan=2))
        else:
            line.append(Td(rows[row], colspan=2))
        g.append(line + nums(row))
    g.append([Td(rows["carried_out"], colspan=3), *nums("carried_out")])
    return g


def appeals_grid(report: Report, zero_as: str | None = None) -> Grid:
    """Section 4 as printed in the national template (15 columns)."""
    keys = list(APPEAL_KEYS)
    g: Grid = [
        [Td("行政复议", colspan=5), Td("行政诉讼", colspan=10)],
        [*(Td(APPEAL_KEYS[k], rowspan=2) for k in keys), Td("未经复议直接起诉", colspan=5), Td("复议后起诉", colspan=5)],
        [Td(APPEAL_KEYS[k]) for _ in range(2) for k in keys],
        [_val(fmt(report.appeals.get(grp, {}).get(k), zero_as)) for grp in APPEAL_GROUPS for k in keys],
    ]
    return g


def grids(report: Report, zero_as: str | None = None) -> dict[str, Grid]:
    """The tables of sections 2, 3, 4 (only for tables the report has)."""
    out: dict[str, Grid] = {}
    if report.disclosure:
        out["2"] = disclosure_grid(report, zero_as)
    if report.applications:
        out["3"] = applications_grid(report, zero_as)
    if report.appeals:
        out["4"] = appeals_grid(report, zero_as)
    return out


# ---------------------------------------------------------------------------- text parts


def intro_of(report: Report) -> str:
    """The preamble before 一、总体情况 (taken from ``report.text``)."""
    text = report.text or ""
    cut = len(text)
    for title in SECTIONS.values():
        i = text.find(title)
        if i >= 0:
            cut = min(cut, i)
    return text[:cut].strip() if cut < len(text) else ""


def signature_of(report: Report) -> list[str]:
    """Signature lines: issuing body and signature date."""
    for d in report.dates:
        if d.source == "signature":
            return [report.agency or "", d.text or f"{d.date.year}年{d.date.month}月{d.date.day}日"]
    return []


def _blocks(report: Report, zero_as: str | None) -> list[tuple[str, object]]:
    """The document as an ordered list of (kind, content): title, para, heading, table, sign."""
    out: list[tuple[str, object]] = []
    if report.title:
        out.append(("title", report.title))
    intro = intro_of(report)
    if intro:
        out += [("para", p) for p in intro.split("\n") if p.strip()]
    tables = grids(report, zero_as)
    for key, title in SECTIONS.items():
        if key not in report.sections:
            continue
        out.append(("heading", title))
        for p in (report.sections.get(key) or "").split("\n"):
            if p.strip():
                out.append(("para", p))
        if key in tables:
            out.append(("table", tables[key]))
    out += [("sign", s) for s in signature_of(report)]
    return out


_FULLWIDTH = str.maketrans({"(": "\uff08", ")": "\uff09", ",": "\uff0c", ";": "\uff1b"})


def fullwidth_parens(s: str) -> str:
    """Half-width brackets and commas to full-width ones, as on official pages."""
    return s.translate(_FULLWIDTH)


# ---------------------------------------------------------------------------- official HTML


def _official_table(grid: Grid) -> str:
    out = ['<table border="1" cellspacing="0" cellpadding="0" width="100%" class="nb-table">', "<tbody>"]
    for row in grid:
        out.append("<tr>")
        for td in row:
            attrs = ""
            if td.rowspan > 1:
                attrs += f' rowspan="{td.rowspan}"'
            if td.colspan > 1:
                attrs += f' colspan="{td.colspan}"'
            text = html.escape(fullwidth_parens(td.text)) if td.label else html.escape(td.text)
            align = "" if td.label else ' align="center"'
            out.append(f"<td{attrs}{align}>{text}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def render_official(report: Report, zero_as: str | None = None) -> str:
    """The article body in the official template: paragraphs plus real tables."""
    out = ['<div class="TRS_Editor"><div class="view TRS_UEDITOR trs_paper_default trs_web">']
    for kind, content in _blocks(report, zero_as):
        if kind == "title":
            continue  # the article page prints the title itself
        if kind == "table":
            out.append(_official_table(content))  # type: ignore[arg-type]
            continue
        text = html.escape(fullwidth_parens(str(content)))
        if kind == "heading":
            out.append(f'<p style="text-indent:2em;"><strong>{text}</strong></p>')
        elif kind == "sign":
            out.append(f'<p style="text-align:right;">{text}</p>')
        else:
            out.append(f'<p style="text-indent:2em;">{text}</p>')
    out.append("</div></div>")
    return "\n".join(out)


# ---------------------------------------------------------------------------- Word-exported HTML

_WORD_HEAD = """<html xmlns:v="urn:schemas-microsoft-com:vml"
xmlns:o="urn:schemas-microsoft-com:office:office"
xmlns:w="urn:schemas-microsoft-com:office:word"
xmlns:m="http://schemas.microsoft.com/office/2004/12/omml"
xmlns="http://www.w3.org/TR/REC-html40">
<head>
<meta http-equiv=Content-Type content="text/html; charset={charset}">
<meta name=ProgId content=Word.Document>
<meta name=Generator content="Microsoft Word 15">
<meta name=Originator content="Microsoft Word 15">
<title>{title}</title>
<!--[if gte mso 9]><xml>
 <w:WordDocument>
  <w:View>Print</w:View>
  <w:TrackMoves>false</w:TrackMoves>
  <w:PunctuationKerning/>
  <w:DrawingGridVerticalSpacing>7.8 磅</w:DrawingGridVerticalSpacing>
 </w:WordDocument>
</xml><![endif]-->
<style>
<!--
 /* Font Definitions */
 @font-face {{font-family:宋体; panose-1:2 1 6 0 3 1 1 1 1 1;}}
 @font-face {{font-family:仿宋_GB2312; panose-1:2 1 6 9 3 1 1 1 1 1;}}
p.MsoNormal, li.MsoNormal, div.MsoNormal
	{{mso-style-unhide:no; margin:0cm; text-align:justify; text-justify:inter-ideograph;
	font-size:10.5pt; font-family:"Times New Roman",serif;}}
@page WordSection1 {{size:595.3pt 841.9pt; margin:72.0pt 90.0pt 72.0pt 90.0pt;}}
div.WordSection1 {{page:WordSection1;}}
-->
</style>
</head>
<body lang=ZH-CN style='tab-interval:21.0pt;text-justify-trim:punctuation'>
<div class=WordSection1 style='layout-grid:15.6pt'>
"""

_WORD_FONT = "font-size:16.0pt;font-family:仿宋_GB2312;mso-hansi-font-family:\"Times New Roman\""
_LATIN = re.compile(r"([0-9A-Za-z.%]+)")


def _word_runs(text: str, font: str = _WORD_FONT) -> str:
    """Split text into Word runs: CJK in one font, Latin/digits in an ``lang=EN-US`` span."""
    out = []
    for part in _LATIN.split(text):
        if not part:
            continue
        if _LATIN.fullmatch(part):
            out.append(f"<span lang=EN-US style='{font}'>{html.escape(part)}</span>")
        else:
            out.append(f"<span style='{font}'>{html.escape(part)}</span>")
    return "".join(out)


def _word_break(text: str) -> str:
    """Break a label the way narrow Word cells do (结果<br>维持)."""
    if len(text) == 4:
        return html.escape(text[:2]) + "<br>\n" + html.escape(text[2:])
    if 5 <= len(text) <= 7 and not text.startswith(("(", "\uff08")):
        return html.escape(text[:2]) + "<br>\n" + html.escape(text[2:])
    if len(text) > 16:
        chunks = [text[i:i + 14] for i in range(0, len(text), 14)]
        return "<br>\n".join(html.escape(c) for c in chunks)
    return html.escape(text)


def _word_table(grid: Grid) -> str:
    out = [
        "<div align=center>",
        "<table class=MsoNormalTable border=1 cellspacing=0 cellpadding=0 width=600",
        " style='width:450.0pt;border-collapse:collapse;border:none;mso-border-alt:solid windowtext .5pt;",
        " mso-yfti-tbllook:1184;mso-padding-alt:0cm 5.4pt 0cm 5.4pt'>",
    ]
    cell_font = "font-size:10.0pt;font-family:宋体;mso-bidi-font-family:宋体;mso-font-kerning:0pt"
    for i, row in enumerate(grid):
        first = ";mso-yfti-firstrow:yes" if i == 0 else ""
        out.append(f" <tr style='mso-yfti-irow:{i}{first};height:20.0pt'>")
        for td in row:
            attrs = f" width={40 * td.colspan}"
            if td.colspan > 1:
                attrs += f" colspan={td.colspan}"
            if td.rowspan > 1:
                attrs += f" rowspan={td.rowspan}"
            style = ("border:solid windowtext 1.0pt;mso-border-alt:solid windowtext .5pt;"
                     "padding:0cm 5.4pt 0cm 5.4pt;height:20.0pt")
            if td.label:
                body = _word_break(fullwidth_parens(td.text)) if td.text else "&nbsp;"
                span = f"<span style='{cell_font}'>{body}<o:p></o:p></span>"
            else:
                body = html.escape(td.text) if td.text else "&nbsp;"
                span = f"<span lang=EN-US style='{cell_font}'>{body}<o:p></o:p></span>"
            out.append(f"  <td{attrs} valign=middle style='{style}'>")
            out.append(f"  <p class=MsoNormal align=center style='text-align:center'>{span}</p>")
            out.append("  </td>")
        out.append(" </tr>")
    out.append("</table>")
    out.append("</div>")
    return "\n".join(out)


def render_word(report: Report, zero_as: str | None = None, *, document: bool = True, charset: str = "utf-8") -> str:
    """HTML as Word's "save as web page" writes it (whole document, or the body only)."""
    out: list[str] = []
    if document:
        out.append(_WORD_HEAD.format(charset=charset, title=html.escape(report.title or "")))
    for kind, content in _blocks(report, zero_as):
        if kind == "table":
            out.append(_word_table(content))  # type: ignore[arg-type]
            out.append("<p class=MsoNormal><span lang=EN-US><o:p>&nbsp;</o:p></span></p>")
            continue
        text = fullwidth_parens(str(content))
        if kind == "title":
            out.append("<p class=MsoNormal align=center style='text-align:center;line-height:28.0pt'><b>"
                       + _word_runs(text, "font-size:22.0pt;font-family:方正小标宋简体") + "<o:p></o:p></b></p>")
        elif kind == "heading":
            out.append("<p class=MsoNormal style='text-indent:32.0pt;line-height:28.0pt'>"
                       + _word_runs(text, "font-size:16.0pt;font-family:黑体") + "<o:p></o:p></p>")
        elif kind == "sign":
            out.append("<p class=MsoNormal align=right style='text-align:right;line-height:28.0pt'>"
                       + _word_runs(text) + "<o:p></o:p></p>")
        else:
            out.append("<p class=MsoNormal style='text-indent:32.0pt;line-height:28.0pt'>"
                       "<span lang=EN-US style='font-size:16.0pt'>&nbsp;</span>"
                       + _word_runs(text) + "<o:p></o:p></p>")
    if document:
        out.append("</div>\n</body>\n</html>")
    return "\n".join(out)


# ---------------------------------------------------------------------------- plain HTML and text


def render_plain(report: Report, zero_as: str | None = None) -> str:
    """Minimal HTML: paragraphs and bare tables (no classes, spans written out)."""
    out = []
    for kind, content in _blocks(report, zero_as):
        if kind == "table":
            rows = []
            for row in content:  # type: ignore[union-attr]
                cells = []
                for td in row:
                    span = (f" rowspan={td.rowspan}" if td.rowspan > 1 else "") + (
                        f" colspan={td.colspan}" if td.colspan > 1 else "")
                    cells.append(f"<td{span}>{html.escape(td.text)}</td>")
                rows.append("<tr>" + "".join(cells) + "</tr>")
            out.append("<table>" + "\n".join(rows) + "</table>")
        elif kind == "title":
            out.append(f"<h1>{html.escape(str(content))}</h1>")
        elif kind == "heading":
            out.append(f"<h3>{html.escape(str(content))}</h3>")
        else:
            out.append(f"<p>{html.escape(str(content))}</p>")
    return "\n".join(out)


def render_html(report: Report, style: str = "official", *, zero_as: str | None = None) -> str:
    """The article body in one of :data:`STYLES` (``word`` gives a whole Word document)."""
    if style == "official":
        return render_official(report, zero_as)
    if style == "word":
        return render_word(report, zero_as)
    if style == "plain":
        return render_plain(report, zero_as)
    raise ValueError(f"unknown style {style!r}; choose from {STYLES}")


def _text_rows(grid: Grid, style: str) -> list[str]:
    """Rows as copied off a page: merged cells once; pipe rows padded at the end like seed 000."""
    width = sum(td.colspan for td in grid[0])
    lines = []
    for row in grid:
        cells: list[str] = []
        for td in row:
            cells.append(td.text)
            cells.extend([""] * (td.colspan - 1))
        if style == "pipe":
            texts = [td.text for td in row]
            pad = width - len(texts) - _covered(grid, row)
            lines.append(" | ".join(texts) + (" | " + "|" * pad if pad > 0 else " |"))
        elif style == "tab":
            lines.append("\t".join(cells))
        else:
            lines.extend(c for c in cells if c)
    return lines


def _covered(grid: Grid, row: list[Td]) -> int:
    """How many columns of ``row`` are taken by cells spanning down from rows above."""
    i = grid.index(row)
    taken = [0] * (i + 1)
    for r, above in enumerate(grid[: i + 1]):
        for td in above:
            for k in range(r + 1, min(r + td.rowspan, i + 1)):
                taken[k] += td.colspan
    return taken[i]


def render_text(report: Report, style: str = "pipe", *, zero_as: str | None = None, title: bool = False) -> str:
    """Plain text as copied off a web page: tables pipe-/tab-separated or one cell per line."""
    if style not in TEXT_STYLES:
        raise ValueError(f"unknown text style {style!r}; choose from {TEXT_STYLES}")
    lines: list[str] = []
    for kind, content in _blocks(report, zero_as):
        if kind == "title":
            if title:
                lines.append(str(content))
        elif kind == "table":
            lines.extend(_text_rows(content, style))  # type: ignore[arg-type]
        else:
            lines.append(str(content))
    return "\n".join(lines)


def render_page(report: Report, style: str = "official", *, zero_as: str | None = None, charset: str = "utf-8") -> str:
    """A standalone HTML document (title + body), for tests and files on disk."""
    if style == "word":
        return render_word(report, zero_as, charset=charset)
    body = render_html(report, style, zero_as=zero_as)
    title = html.escape(report.title or "")
    return (f'<!DOCTYPE html>\n<html><head><meta charset="{charset}"><title>{title}</title></head>\n'
            f"<body><h1>{title}</h1>\n{body}\n</body></html>")


__all__ = [
    "STYLES", "TEXT_STYLES", "Td", "applications_grid", "appeals_grid", "disclosure_grid", "fmt",
    "grids", "render_html", "render_official", "render_page", "render_plain", "render_text", "render_word",
]
