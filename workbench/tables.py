"""Lay a stored report's cells out like the official tables and mark what findings point at.

Pure functions over plain rows (``nianbao.storage.views.cells``/``findings``).  A grid is a list of rows;
each row a list of :class:`GridCell` (label or value, with row/col spans).  Value cells carry the
key ``tbl.row.col`` and a mark: ``bad`` (the cell a finding is about) or ``related`` (the other
cells of the failed identity).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from nianbao.layouts import (
    APPEAL_GROUPS,
    APPEAL_KEYS,
    APPLICANT_COLUMNS,
    APPLICATION_COLUMNS,
    APPLICATION_ROWS,
    DISCLOSURE_COLUMNS,
    DISCLOSURE_ROWS,
    RESULT_ROWS,
)

_ROW_COLUMNS = {"applications": list(APPLICATION_COLUMNS), "appeals": list(APPEAL_KEYS)}
CellMap = dict[tuple[str, str, str], dict[str, Any]]  # (tbl, row, col) -> cell row


@dataclass
class GridCell:
    text: str
    label: bool = True
    rowspan: int = 1
    colspan: int = 1
    key: str | None = None  # tbl.row.col for value cells
    status: str = "ok"  # ok | blank | unreadable | absent
    mark: str | None = None  # bad | related
    notes: list[str] = field(default_factory=list)  # finding messages (tooltip)

    @property
    def css(self) -> str:
        classes = ["lbl" if self.label else "num"]
        if not self.label and self.status != "ok":
            classes.append(f"cell-{self.status}")
        if self.mark:
            classes.append(f"mark-{self.mark}")
        return " ".join(classes)


Grid = list[list[GridCell]]


def cell_map(cells: Iterable[dict[str, Any]]) -> CellMap:
    return {(c["tbl"], c["row_key"], c["col_key"]): c for c in cells}


def split_where(where: str | None) -> tuple[str, str, str] | None:
    """``applications.denied.state_secret.total`` -> (applications, denied.state_secret, total)."""
    if not where:
        return None
    parts = where.split(".")
    if len(parts) < 2 or parts[0] not in ("applications", "appeals", "disclosure"):
        return None
    if len(parts) == 2:  # a whole row, e.g. disclosure.rules
        return parts[0], parts[1], "*"
    return parts[0], ".".join(parts[1:-1]), parts[-1]


def involved_cells(rule: str, where: str | None, layout: str = "2021") -> tuple[set, set]:
    """(bad, related) cell keys ``(tbl, row, col)`` a finding points at."""
    parsed = split_where(where)
    if parsed is None:
        return set(), set()
    tbl, row, col = parsed
    results = RESULT_ROWS.get(layout, RESULT_ROWS["2021"])
    if col == "*":
        return {(tbl, row, c) for c in _ROW_COLUMNS.get(tbl, ())} | {
            (tbl, row, c) for cols in DISCLOSURE_ROWS.values() for name, cs in cols.items() if name == row for c in cs
        }, set()
    if tbl == "applications" and rule == "BALANCE_MISMATCH":
        keys = {(tbl, r, col) for r in ("new", "carried_in", "total", "carried_out")}
        return keys, set()
    if tbl == "applications" and rule == "RESULT_TOTAL_MISMATCH":
        return {(tbl, "total", col)}, {(tbl, r, col) for r in results}
    if tbl == "applications" and rule == "ROW_TOTAL_MISMATCH":
        return {(tbl, row, "total")}, {(tbl, row, c) for c in APPLICANT_COLUMNS}
    if tbl == "appeals" and rule == "APPEAL_TOTAL_MISMATCH":
        return {(tbl, row, "total")}, {(tbl, row, k) for k in APPEAL_KEYS if k != "total"}
    return {(tbl, row, col)}, set()


def _fmt(v: Any) -> str:
    if v is None:
        return "?"
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v)


def _num(cells: CellMap, key: tuple[str, str, str]) -> Any:
    """Value for arithmetic: blank = 0, absent/unreadable = None."""
    c = cells.get(key)
    if c is None or c["status"] == "unreadable":
        return None
    if c["status"] == "blank":
        return 0
    return c["value"]


def _sum(values: Sequence[Any]) -> Any:
    return None if any(v is None for v in values) else sum(values)


def _side(names: Sequence[str], values: Sequence[Any]) -> str:
    total = _sum(values)
    expr = " + ".join(_fmt(v) for v in values)
    names_s = " + ".join(names)
    return f"{names_s} = {expr}" + (f" = {_fmt(total)}" if len(values) > 1 else "")


def explain(finding: dict[str, Any], cells: CellMap, layout: str = "2021") -> str | None:
    """The failed identity spelled out with the report's own numbers, e.g.
    ``「总计」列：一 + 二 = 49 + 0 = 49 ≠ (七)总计 + 四 = 47 + 0 = 47``; None when not arithmetic."""
    rule, parsed = finding["rule"], split_where(finding.get("location"))
    if parsed is None:
        return None
    tbl, row, col = parsed
    k = lambda r, c: (tbl, r, c)  # noqa: E731
    if rule == "BALANCE_MISMATCH":
        left = [_num(cells, k("new", col)), _num(cells, k("carried_in", col))]
        right = [_num(cells, k("total", col)), _num(cells, k("carried_out", col))]
        return (
            f"「{APPLICATION_COLUMNS.get(col, col)}」列：{_side(['一', '二'], left)} ≠ "
            f"{_side(['(七)总计', '四'], right)}"
        )
    if rule == "RESULT_TOTAL_MISMATCH":
        rows = RESULT_ROWS.get(layout, RESULT_ROWS["2021"])
        vals = [_num(cells, k(r, col)) for r in rows]
        nonzero = [v for v in vals if v]
        return (
            f"「{APPLICATION_COLUMNS.get(col, col)}」列：(一)至(六)各项之和 = "
            f"{' + '.join(_fmt(v) for v in nonzero) or '0'} = {_fmt(_sum(vals))} ≠ "
            f"(七)总计 = {_fmt(_num(cells, k('total', col)))}"
        )
    if rule == "ROW_TOTAL_MISMATCH":
        vals = [_num(cells, k(row, c)) for c in APPLICANT_COLUMNS]
        label = APPLICATION_ROWS.get(layout, APPLICATION_ROWS["2021"]).get(row, row)
        return (
            f"「{label}」行：六类申请人之和 = {' + '.join(_fmt(v) for v in vals)} = {_fmt(_sum(vals))} ≠ "
            f"总计 = {_fmt(_num(cells, k(row, 'total')))}"
        )
    if rule == "APPEAL_TOTAL_MISMATCH":
        parts = [kk for kk in APPEAL_KEYS if kk != "total"]
        vals = [_num(cells, k(row, p)) for p in parts]
        return (
            f"「{APPEAL_GROUPS.get(row, row)}」：{_side([APPEAL_KEYS[p] for p in parts], vals)} ≠ "
            f"总计 = {_fmt(_num(cells, k(row, 'total')))}"
        )
    return None


# ---------------------------------------------------------------------------- grids


def _value(cells: CellMap, tbl: str, row: str, col: str) -> GridCell:
    c = cells.get((tbl, row, col))
    key = f"{tbl}.{row}.{col}"
    if c is None:
        return GridCell("", label=False, key=key, status="absent")
    if c["status"] == "ok":
        text = _fmt(c["value"]) if c["value"] is not None else (c["raw"] or "")
    else:
        text = c["raw"] or ("（空）" if c["status"] == "blank" else "？")
    return GridCell(text, label=False, key=key, status=c["status"])


def applications_grid(cells: CellMap, layout: str = "2021") -> Grid:
    """Section 3 as printed: 3 label columns, 自然人, 法人或其他组织 ×5, 总计."""
    rows = APPLICATION_ROWS.get(layout, APPLICATION_ROWS["2021"])
    head: Grid = [
        [
            GridCell("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", rowspan=3, colspan=3),
            GridCell("申请人情况", colspan=7),
        ],
        [
            GridCell("自然人", rowspan=2),
            GridCell("法人或其他组织", colspan=5),
            GridCell("总计", rowspan=2),
        ],
        [GridCell(APPLICATION_COLUMNS[c]) for c in APPLICANT_COLUMNS[1:]],
    ]
    cols = list(APPLICATION_COLUMNS)

    def values(row: str) -> list[GridCell]:
        return [_value(cells, "applications", row, c) for c in cols]

    body: Grid = [
        [GridCell(rows["new"], colspan=3), *values("new")],
        [GridCell(rows["carried_in"], colspan=3), *values("carried_in")],
    ]
    results = RESULT_ROWS.get(layout, RESULT_ROWS["2021"])
    groups = {"denied": "(三)不予公开", "unavailable": "(四)无法提供", "not_processed": "(五)不予处理",
              "other": "(六)其他处理"}  # fmt: skip
    first = True
    i = 0
    while i < len(results):
        key = results[i]
        group = key.split(".")[0] if "." in key else None
        row: list[GridCell] = []
        if first:
            row.append(GridCell("三、本年度办理结果", rowspan=len(results) + 1))
            first = False
        if group:
            members = [r for r in results if r.startswith(group + ".")]
            for j, member in enumerate(members):
                r2 = row if j == 0 else []
                if j == 0:
                    r2.append(GridCell(groups[group], rowspan=len(members)))
                r2.append(GridCell(rows[member]))
                r2.extend(values(member))
                body.append(r2)
            i += len(members)
            continue
        row.append(GridCell(rows[key], colspan=2))
        row.extend(values(key))
        body.append(row)
        i += 1
    body.append([GridCell(rows["total"], colspan=2), *values("total")])
    body.append([GridCell(rows["carried_out"], colspan=3), *values("carried_out")])
    return head + body


def appeals_grid(cells: CellMap) -> Grid:
    """Section 4 as printed: 行政复议 (5) | 行政诉讼: 未经复议直接起诉 (5), 复议后起诉 (5)."""
    keys = list(APPEAL_KEYS)
    return [
        [GridCell("行政复议", colspan=5), GridCell("行政诉讼", colspan=10)],
        [
            *[GridCell(APPEAL_KEYS[k], rowspan=2) for k in keys],
            GridCell("未经复议直接起诉", colspan=5),
            GridCell("复议后起诉", colspan=5),
        ],
        [GridCell(APPEAL_KEYS[k]) for _ in range(2) for k in keys],
        [_value(cells, "appeals", g, k) for g in APPEAL_GROUPS for k in keys],
    ]


def disclosure_grid(cells: CellMap, layout: str = "2021") -> Grid:
    """Section 2: one header per item group (第二十条 items), rows 信息内容 + its columns."""
    rows = DISCLOSURE_ROWS.get(layout, DISCLOSURE_ROWS["2021"])
    width = max(len(cols) for _, cols in rows.values())
    grid: Grid = []
    previous: list[str] | None = None
    for key, (label, cols) in rows.items():
        if cols != previous:
            header = [GridCell("信息内容")] + [GridCell(DISCLOSURE_COLUMNS.get(c, c)) for c in cols]
            if len(cols) < width:
                header[-1].colspan = width - len(cols) + 1
            grid.append(header)
            previous = cols
        line = [GridCell(label)] + [_value(cells, "disclosure", key, c) for c in cols]
        if len(cols) < width:
            line[-1].colspan = width - len(cols) + 1
        grid.append(line)
    return grid


def mark(grids: dict[str, Grid], findings: Sequence[dict[str, Any]], layout: str = "2021") -> None:
    """Set ``mark``/``notes`` on the value cells the findings point at (in place)."""
    index: dict[str, GridCell] = {}
    for grid in grids.values():
        for row in grid:
            for cell in row:
                if cell.key:
                    index[cell.key] = cell
    for f in findings:
        bad, related = involved_cells(f["rule"], f.get("location"), layout)
        for keys, level in ((bad, "bad"), (related, "related")):
            for t, r, c in keys:
                cell = index.get(f"{t}.{r}.{c}")
                if cell is None:
                    continue
                if level == "bad" or cell.mark is None:
                    cell.mark = level
                if f.get("message") and f["message"] not in cell.notes:
                    cell.notes.append(f["message"])


def report_grids(cells: Iterable[dict[str, Any]], findings: Sequence[dict[str, Any]], layout: str | None) -> dict:
    """The three grids of a report, marked by its findings."""
    layout = layout or "2021"
    cm = cell_map(cells)
    grids = {
        "2": disclosure_grid(cm, layout),
        "3": applications_grid(cm, layout),
        "4": appeals_grid(cm),
    }
    mark(grids, findings, layout)
    return grids


# ---------------------------------------------------------------------------- prose


def _fold(text: str) -> tuple[str, list[int]]:
    """NFKC per character (full-width punctuation -> ASCII) and each folded char's source index."""
    out: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        folded = unicodedata.normalize("NFKC", ch)
        out.append(folded)
        index.extend([i] * len(folded))
    return "".join(out), index


def highlight(text: str, needles: Iterable[str]) -> list[tuple[str, bool]]:
    """Split ``text`` into (segment, is_evidence) pairs, evidence being any of ``needles``.

    Matching ignores full-width/half-width differences (rules quote evidence NFKC-normalised).
    """
    folded, index = _fold(text)
    spans: list[tuple[int, int]] = []
    for needle in {_fold(n.strip())[0] for n in needles if n and n.strip()}:
        start = folded.find(needle)
        while start != -1:
            end = start + len(needle)
            spans.append((index[start], index[end - 1] + 1))
            start = folded.find(needle, end)
    if not spans:
        return [(text, False)] if text else []
    spans.sort()
    merged: list[list[int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    out: list[tuple[str, bool]] = []
    pos = 0
    for s, e in merged:
        if s > pos:
            out.append((text[pos:s], False))
        out.append((text[s:e], True))
        pos = e
    if pos < len(text):
        out.append((text[pos:], False))
    return out


# ---------------------------------------------------------------------------- the HTML original

MARK_ID = "nianbao-mark"
_SPLIT = re.compile(r"[，。；：、！？“”‘’（）《》,.;:!?\"'()\s]+")
MIN_PASSAGE = 6


def mark_passage(html: str, evidence: str) -> str | None:
    """``html`` with the longest piece of ``evidence`` found in its text wrapped in
    ``<mark id="nianbao-mark">`` (the iframe scrolls to it by its fragment); None when no piece of
    at least ``MIN_PASSAGE`` characters is in the text (never in a tag, the head or a script)."""
    pieces = sorted({p for p in _SPLIT.split(unicodedata.normalize("NFKC", evidence or "")) if len(p) >= MIN_PASSAGE},
                    key=len, reverse=True)  # fmt: skip
    lower = html.lower()
    body = lower.find("<body")
    start_at = body if body >= 0 else 0
    for piece in pieces:
        pos = html.find(piece, start_at)
        while pos >= 0:
            before = lower[:pos]
            in_tag = before.rfind("<") > before.rfind(">")
            in_code = any(before.rfind(f"<{t}") > before.rfind(f"</{t}") for t in ("script", "style", "textarea"))
            if not in_tag and not in_code:
                return (f'{html[:pos]}<mark id="{MARK_ID}" style="background:#ffe08a;outline:2px solid #e0a800">'
                        f"{html[pos:pos + len(piece)]}</mark>{html[pos + len(piece):]}")  # fmt: skip
            pos = html.find(piece, pos + 1)
    return None
