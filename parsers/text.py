"""Plain text (pages copied off the web, archive extractions, markdown) into reader blocks.

Tables arrive in four shapes and all become :class:`GridBlock` rows:

* pipe-separated (``a | b | |``, markdown ``| a | b |``) and tab-separated lines;
* one cell per line (seed ``001``), and one cell per pipe line (seed ``003``): regrouped
  into rows, a new row starting at each label that follows a value;
* glued (archive crawlers that dropped every separator: ``规章000规范性文件898989``): cut
  into ``[label, digits]`` rows; :mod:`nianbao.parsers.glued` splits the digits later, when the
  mapping knows how many cells each row has.

Everything else is a :class:`TextBlock` per line.
"""

from __future__ import annotations

import re

from nianbao.parsers.blocks import Block, Extracted, GridBlock, GridCell, TextBlock
from nianbao.parsers.labels import heading_at_start, inline_heading_spans
from nianbao.parsers.numbers import is_number_text

__all__ = ["read_text", "regroup", "split_cells"]

_HEADER_KEY = re.compile(r"^(标题|发布时间|发布日期|文号|发布机构|栏目|原文链接|来源|本地目录)\s*[:：]\s*(.*)$")
_BODY_MARK = re.compile(r"^=+\s*正文\s*=+$")
_MD_RULE = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_GLUED_LINK = re.compile(r"[\u4e00-\u9fff）)”][0-9]|[0-9][\u4e00-\u9fff（(“]")
# a value run inside glued text: digits with stray spaces, signs, decimals, a 元 unit
_VALUE_RUN = re.compile(r"-?[0-9][0-9 \u00a0.\-]*(?:(?:万元|元)(?:\s*(?:万元|元))*)?")
_LABEL_NUMBER = re.compile(r"([0-9])\s*$")
_TRAILING_RUN = re.compile(r"[\u4e00-\u9fff][0-9][0-9 \u00a0]{8,}\s*$")
# "行政许可 97": a label and its value on one line, separated by a space
_LABEL_VALUE = re.compile(r"^(.*[\u4e00-\u9fff)）])\s+(-?[0-9][0-9,.]*(?:\s*(?:万元|元))*)$")
_NBSP_ONLY = re.compile(r"^[\u00a0\u3000]+$")


def split_cells(line: str) -> list[str]:
    """Cells of a pipe- or tab-separated line (outer pipes dropped)."""
    if "|" in line:
        s = line.strip()
        if s.startswith("|"):
            s = s[1:]
        if s.endswith("|"):
            s = s[:-1]
        return [c.strip(" \t") for c in s.split("|")]
    return [c.strip(" ") for c in line.rstrip("\n").split("\t")]


def _is_value(cell: str) -> bool:
    return is_number_text(cell)


def regroup(tokens: list[str]) -> list[list[str]]:
    """One cell per line into rows: a row is some labels followed by their values."""
    rows: list[list[str]] = []
    cur: list[str] = []
    seen_value = False
    for tok in tokens:
        value = _is_value(tok)
        if not value and seen_value:
            rows.append(cur)
            cur, seen_value = [], False
        cur.append(tok)
        seen_value = seen_value or value
    if cur:
        rows.append(cur)
    return rows


def _glued_rows(text: str) -> list[list[str]]:
    """Cut glued table text into ``[label, digits]`` rows (a trailing label is its own row)."""
    rows: list[list[str]] = []
    label = ""
    pos = 0
    for m in _VALUE_RUN.finditer(text):
        start, end = m.start(), m.end()
        run = m.group()
        # digits that open a list item ("…00000002.其他法律…") belong to the next label
        nxt = text[end : end + 1]
        carry = ""
        if nxt in (".", "、", "．") or (run.endswith(".") and re.match(r"[\u4e00-\u9fff]", nxt)):
            lm = _LABEL_NUMBER.search(run.rstrip("."))
            if lm:
                carry = run[lm.start() :]
                run = run[: lm.start()]
        label += text[pos:start]
        pos = end
        if run.strip(" \u00a0.-"):
            if label.strip():
                rows.append([label.strip(), run.strip()])
            elif rows and len(rows[-1]) == 2:
                rows[-1][1] += " " + run.strip()
            else:
                rows.append(["", run.strip()])
            label = carry
        else:
            label += run + carry
    label += text[pos:]
    if label.strip():
        rows.append([label.strip()])
    return rows


def _is_glued(line: str) -> bool:
    if len(line) < 40 or "|" in line or "\t" in line:
        return False
    if line.count("。") > 1:
        return False
    links = len(_GLUED_LINK.findall(line))
    return links >= 6 or bool(_TRAILING_RUN.search(line))


def _explode_long_line(line: str) -> list[str]:
    """Break a whole document saved as one line at its section headings."""
    spans = inline_heading_spans(line)
    if not spans:
        return [line]
    out: list[str] = []
    pos = 0
    for start, end, _key in spans:
        if start < pos:
            continue
        if line[pos:start].strip():
            out.append(line[pos:start])
        out.append(line[start:end])
        pos = end
    if line[pos:].strip():
        out.append(line[pos:])
    return out


def _cell_like(line: str) -> bool:
    s = line.strip()
    if _NBSP_ONLY.match(line.strip(" \t")):
        return True
    if not s or len(s) > 80 or "。" in s:
        return False
    return heading_at_start(s) is None


def read_text(text: str) -> Extracted:
    """Plain text to blocks; a crawler header (``标题: …`` before ``=== 正文 ===``) goes to meta."""
    out = Extracted(read_by="text")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    # crawler header
    for i, line in enumerate(lines[:30]):
        if _BODY_MARK.match(line.strip()):
            for head in lines[:i]:
                m = _HEADER_KEY.match(head.strip())
                if m and m.group(2).strip():
                    out.meta[m.group(1)] = m.group(2).strip()
            lines = lines[i + 1 :]
            break
    if "标题" in out.meta:
        out.title = out.meta["标题"]

    expanded: list[str] = []
    for line in lines:
        if len(line) > 200 and "|" not in line:
            expanded.extend(_explode_long_line(line))
        else:
            expanded.append(line)
    out.blocks = _blocks(expanded)
    return out


def _blocks(lines: list[str]) -> list[Block]:
    blocks: list[Block] = []
    i, n = 0, len(lines)
    while i < n:
        raw = lines[i]
        line = raw.strip(" \t\ufeff")
        if not line and not _NBSP_ONLY.match(raw.strip(" \t") or "x"):
            i += 1
            continue
        if _MD_RULE.match(line):
            i += 1
            continue
        if ("|" in line or "\t" in raw.strip("\n")) and heading_at_start(line.replace("|", "")) is None:
            j, rows = i, []
            while j < n:
                r = lines[j]
                s = r.strip(" \ufeff")
                if not s.strip():
                    j += 1
                    continue
                if _MD_RULE.match(s.strip()):
                    j += 1
                    continue
                if "|" not in s and "\t" not in s:
                    break
                if heading_at_start(s.replace("|", "").strip()) is not None:
                    break
                rows.append(split_cells(s.strip("\n")))
                j += 1
            blocks.extend(_table_from_rows(rows))
            i = j
            continue
        if _is_glued(line):
            rows = _glued_rows(line)
            if sum(1 for r in rows if len(r) == 2) >= 3 or _TRAILING_RUN.search(line):
                blocks.append(GridBlock.from_strings(rows))
                i += 1
                continue
        if _cell_like(raw):
            j, run = i, []
            while j < n:
                r = lines[j]
                if not r.strip() and not _NBSP_ONLY.match(r.strip(" \t") or "x"):
                    j += 1
                    continue
                if not _cell_like(r) or "|" in r or "\t" in r:
                    break
                if _NBSP_ONLY.match(r.strip(" \t")):
                    run.append("")
                else:
                    m = _LABEL_VALUE.match(r.strip(" \t"))
                    run.extend([m.group(1), m.group(2)] if m else [r.strip(" \t")])
                j += 1
            values = sum(1 for t in run if _is_value(t))
            if len(run) >= 3 and values >= 2 and values / len(run) >= 0.25:
                blocks.append(GridBlock.from_strings(regroup(run)))
            else:
                blocks.extend(TextBlock(t.lstrip("#").strip()) for t in run if t.strip())
            i = max(j, i + 1)
            continue
        blocks.append(TextBlock(line.lstrip("#").strip()))
        i += 1
    return blocks


def _table_from_rows(rows: list[list[str]]) -> list[Block]:
    """A run of separated lines: a grid, regrouped when it has one cell per line."""
    if not rows:
        return []
    widths = [sum(1 for c in r if c.strip()) for r in rows]
    values = sum(1 for r in rows for c in r if c.strip() and _is_value(c))
    if len(rows) == 1 and values == 0:
        return [TextBlock(" ".join(c for c in rows[0] if c.strip()))]
    if max(widths) <= 1 and len(rows) > 2:
        tokens = [next((c for c in r if c.strip()), "") for r in rows]
        return [GridBlock.from_strings(regroup(tokens))]
    return [_padded_grid(rows)]


def _padded_grid(rows: list[list[str]]) -> GridBlock:
    """A grid of separated lines; the cells a short line lacks are marked as absent (not
    span origins), so a row that lost a cell is not read as one ending in a blank."""
    width = max(len(r) for r in rows)
    return GridBlock(
        [[GridCell(t) for t in r] + [GridCell("", span_origin=False) for _ in range(width - len(r))] for r in rows]
    )
