"""Reader blocks to the canonical :class:`Report`: sections, layout, and the three tables.

Rows are found by what their labels mean (:mod:`nianbao.parsers.labels`); a row whose label is
missing or unrecognisable takes the next row of the layout after the last one recognised
(noted on its cells).  Section 3 values are placed by the column headers when the table prints
all seven applicant columns (in any order, abbreviated, or split over header lines), else in the
layout's column order; section 4 is fifteen numbers in three groups of five.  A row with fewer
cells than columns is left unread (which column lost its cell is unknown).  Cells glued together by a bad extraction are split
by :mod:`nianbao.parsers.glued` under the layout's identities.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from nianbao.layouts import (
    APPEAL_GROUPS,
    APPEAL_KEYS,
    APPLICATION_COLUMNS,
    APPLICATION_ROWS,
    DISCLOSURE_ROWS,
    MONEY_COLUMNS,
    SIGNED_COLUMNS,
)
from nianbao.model import Cell, Report
from nianbao.parsers import classify, glued, metadata, ocr_check
from nianbao.parsers.blocks import Block, Extracted, GridBlock, TextBlock
from nianbao.parsers.labels import (
    APPEAL_GROUP_PATTERNS,
    APPLICATION_ROW_PATTERNS,
    DISCLOSURE_ROW_PATTERNS,
    LAYOUT_2019_MARKERS,
    LAYOUT_2021_MARKERS,
    heading_at_start,
    key_text,
)
from nianbao.parsers.numbers import CACHE_SIZE, is_blank_text, is_number_text, parse_cell

__all__ = ["Record", "applicant_columns", "detect_layout", "map_extracted", "records", "split_sections"]

APP_COLS = list(APPLICATION_COLUMNS)
OCR_MIN_CONFIDENCE = 0.8  # an OCR cell read below this is unreadable, not a value (attachments part)
APPEAL_FLAT = [(g, k) for g in APPEAL_GROUPS for k in APPEAL_KEYS]
_HEADER_WORDS = ("自然人", "法人或其他组织", "商业企业", "科研机构", "申请人情况", "社会公益组织", "法律服务机构")


@dataclass
class Record:
    """One table row as read: its label cells and its value cells (texts)."""

    labels: list[str]
    values: list[str]
    confidence: list[float | None] = field(default_factory=list)
    columns: list[int] = field(default_factory=list)  # grid column of each value cell
    grid: GridBlock | None = field(default=None, repr=False, compare=False)

    @property
    def label(self) -> str:
        return "".join(self.labels)

    def all_blank(self) -> bool:
        return all(is_blank_text(v) for v in self.values)


# --- sections -------------------------------------------------------------------------------


def split_sections(blocks: list[Block]) -> tuple[list[Block], dict[str, list[Block]]]:
    """Blocks before the first section heading, and each section's blocks (heading excluded)."""
    pre: list[Block] = []
    secs: dict[str, list[Block]] = {}
    cur: list[Block] = pre
    for b in blocks:
        if isinstance(b, TextBlock):
            key = heading_at_start(b.text)
            if key is not None:
                cur = secs.setdefault(key, [])
                continue
        cur.append(b)
    return pre, secs


# --- records --------------------------------------------------------------------------------


_GLUED_VALUE = re.compile(r"^-?[0-9][0-9 \u00a0.\-]*(?:\s*(?:万元|元))*$")


@lru_cache(maxsize=CACHE_SIZE)
def _is_value(text: str) -> bool:
    return is_number_text(text) or bool(_GLUED_VALUE.match(text.strip()))


@lru_cache(maxsize=CACHE_SIZE)
def _label_part(text: str) -> str | None:
    """A label cell's stripped text, or None for an empty / blank-mark cell."""
    t = text.strip()
    return t if t and not is_blank_text(t) else None


def records(grid: GridBlock) -> list[Record]:
    """Rows of a grid as label/value records (merged-cell copies skipped)."""
    out = []
    for row in grid.rows:
        at = [i for i, c in enumerate(row) if c.span_origin]
        cells = [row[i] for i in at]
        texts = [c.text for c in cells]
        last_label = -1
        for i, t in enumerate(texts):
            if not _is_value(t) and t.strip():
                last_label = i
        if any(c.confidence is not None for c in cells):
            last_label = _ocr_label_end(texts, last_label)
        labels = [p for p in map(_label_part, texts[: last_label + 1]) if p is not None]
        vals = texts[last_label + 1 :]
        conf = [c.confidence for c in cells[last_label + 1 :]]
        out.append(Record(labels, vals, conf, at[last_label + 1 :], grid))
    return out


_OCR_JUNK_MAX = 3  # characters of an OCR misreading in a value cell ("图", "。", ".0")


def _ocr_label_end(texts: list[str], last_label: int) -> int:
    """Where the labels of an OCR row end: before its first number, when what follows is
    numbers and short misreadings only (a speck read as "。" or a "0" read as "图" is a value
    cell read badly, not a label; the OCR check decides what it is worth)."""
    first = next((i for i, t in enumerate(texts) if t.strip() and _is_value(t)), None)
    if first is None:
        return last_label
    if any(t.strip() and not _is_value(t) and len(t.strip()) > _OCR_JUNK_MAX for t in texts[first:]):
        return last_label
    if sum(1 for t in texts[first:] if t.strip() and _is_value(t)) < 2:
        return last_label
    labelled = _labelled_row(texts)
    while first > 0 and _ocr_junk(texts[first - 1]) and (first > 1 or not labelled):
        first -= 1  # a misread value cell before the first number ("。 | 0 | 0")
    return first - 1


_LOOKS_LIKE_ZERO = frozenset("。○〇oOQD口图目日")


def _labelled_row(texts: list[str]) -> bool:
    """Whether a row has a label cell (a word of three characters or more) anywhere."""
    return any(len(t.strip()) > _OCR_JUNK_MAX and not _is_value(t) for t in texts)


def _ocr_junk(text: str) -> bool:
    """A value cell misread: one or two characters, none of them a word character of a label."""
    t = text.strip()
    return 0 < len(t) <= 2 and all(not ("\u4e00" <= ch <= "\u9fff") or ch in _LOOKS_LIKE_ZERO for ch in t)


# --- section 3 column headers ---------------------------------------------------------------

_HEADER_PARENTS = re.compile(r"申请人情况|申请人类型|法人(?:或者?|和|及|与)?其[他它]组织")
_COLUMN_WORDS: list[tuple[str, re.Pattern[str]]] = [
    ("natural_person", re.compile(r"自然人|公民个人")),
    ("commercial", re.compile(r"商业|企业")),
    ("research", re.compile(r"科研|研究机构")),
    ("nonprofit", re.compile(r"公益")),
    ("legal_service", re.compile(r"法律服务|律师")),
    ("total", re.compile(r"总计|合计|总数")),
    ("other_org", re.compile(r"^其[他它](?:组织|法人)?$")),
]
_FIRST_DATA_LABEL = re.compile(r"本年新收|上年结转|新收政府信息公开申请")


def _column_key(header: str) -> str | None:
    """The applicant column a header (all its header cells, top to bottom) names."""
    h = _HEADER_PARENTS.sub("", header)
    if not h:
        return None
    hits = {k for k, p in _COLUMN_WORDS if p.search(h)}
    return hits.pop() if len(hits) == 1 else None


def applicant_columns(grid: GridBlock) -> dict[int, str] | None:
    """Grid column -> section 3 applicant column, read from the header rows of ``grid``.

    Each column's header cells are joined top to bottom (so ``商业企``/``业`` split over two
    lines reads as one word; a merged ``法人或其他组织`` above five columns is dropped).  None
    unless all seven columns are named, each exactly once.
    """
    header_rows = []
    for row in grid.rows:
        texts = [c.text for c in row]
        numbers = sum(1 for t in texts if t.strip() and is_number_text(t) and not is_blank_text(t))
        if numbers >= 3 or any(_FIRST_DATA_LABEL.search(key_text(t)) for t in texts[:4] if t):
            break
        header_rows.append(row)
    if not header_rows:
        return None
    found: dict[int, str] = {}
    for c in range(max(len(r) for r in header_rows)):
        parts: list[str] = []
        for row in header_rows:
            t = key_text(row[c].text) if c < len(row) else ""
            if t and (not parts or parts[-1] != t):
                parts.append(t)
        key = _column_key("".join(parts)) if parts else None
        if key is not None:
            found[c] = key
    if sorted(found.values()) != sorted(APP_COLS):
        return None
    return found


def _by_header(rec: Record, cmap: dict[int, str]) -> tuple[list[str], list[float | None]] | None:
    """The record's values in layout column order, placed by the header; None when the row does
    not line up with the header (a mapped column without a cell, a value outside the header)."""
    if len(rec.columns) != len(rec.values):
        return None
    pos = {c: i for i, c in enumerate(rec.columns)}
    if any(c not in pos for c in cmap):
        return None
    if any(c not in cmap and rec.values[i].strip() and not is_blank_text(rec.values[i]) for c, i in pos.items()):
        return None
    by_key = {key: pos[c] for c, key in cmap.items()}
    conf = rec.confidence if len(rec.confidence) == len(rec.values) else [None] * len(rec.values)
    return [rec.values[by_key[k]] for k in APP_COLS], [conf[by_key[k]] for k in APP_COLS]


def _fit(values: list[str], n: int) -> list[str]:
    """Trim the empty cells a flattened layout leaves around a row to ``n`` values."""
    v = list(values)
    while len(v) > n and not v[-1].strip():
        v.pop()
    while len(v) > n and not v[0].strip():
        v.pop(0)
    return v


_MATCH_CACHE: dict[tuple, str | None] = {}


def _match(label_cells: list[str], patterns, allowed) -> str | None:
    """Key of the row a label names: the last label cell first, then the whole label."""
    if not label_cells:
        return None
    key = (tuple(label_cells), id(patterns), frozenset(allowed))
    try:
        return _MATCH_CACHE[key]
    except KeyError:
        pass
    if len(_MATCH_CACHE) > 50000:
        _MATCH_CACHE.clear()
    found = _MATCH_CACHE[key] = _match_uncached(label_cells, patterns, allowed)
    return found


def _match_uncached(label_cells: list[str], patterns, allowed) -> str | None:
    last = key_text(label_cells[-1])
    hits = [k for k, p in patterns if k in allowed and p.search(last)]
    if hits:
        return hits[0]
    whole = key_text("".join(label_cells))
    best, best_end = None, -1
    for k, p in patterns:
        if k not in allowed:
            continue
        for m in p.finditer(whole):
            if m.end() > best_end:
                best, best_end = k, m.end()
    # only a match that ends the label names the row (not a header word inside it)
    if best is not None and best_end >= len(whole) - 2:
        return best
    return None


# --- layout ---------------------------------------------------------------------------------


def detect_layout(label_text: str, year: int | None) -> str | None:
    """``2021``/``2019`` from the labels the document prints; None for a pre-2019 free layout."""
    if year is not None and year < 2019:
        return None
    t = key_text(label_text)
    n21 = sum(1 for m in LAYOUT_2021_MARKERS if m in t)
    n19 = sum(1 for m in LAYOUT_2019_MARKERS if m in t)
    if n21 > n19:
        return "2021"
    if n19 > n21:
        return "2019"
    has_table = "本年新收政府信息公开申请" in t or "上年结转政府信息公开申请" in t
    if not has_table and not n21:
        return None
    if year is not None:
        return "2021" if year >= 2021 else "2019"
    return "2021" if n21 else None


# --- section 3 ------------------------------------------------------------------------------


def _cell(text: str, col: str, conf: float | None = None, note: str | None = None) -> Cell:
    kind = "money" if col in MONEY_COLUMNS else "signed" if col in SIGNED_COLUMNS else "count"
    c = parse_cell(text, kind)
    if conf is not None:
        c.confidence = conf
        if conf < OCR_MIN_CONFIDENCE and c.status != "unreadable":
            c.note = f"OCR confidence {conf:.2f} read {text!r}"
            c.value, c.status = None, "unreadable"
    if note:
        c.note = f"{c.note}; {note}" if c.note else note
    return c


def _row_cells(values: list[str], cols: list[str], conf: list[float | None], note: str | None) -> dict[str, Cell]:
    vals = _fit(values, len(cols))
    if 0 < len(vals) < len(cols):
        # a cell fell out of the row (a PDF extraction moved it, or an empty cell vanished):
        # which column each remaining value belongs to is unknown, and a guess would be a
        # wrong number in the wrong column
        shown = " | ".join(v.strip() for v in vals)
        why = f"row has {len(vals)} cells for {len(cols)} columns ({shown[:40]}): columns unknown"
        return {col: Cell(None, shown, "unreadable", note=why) for col in cols}
    out: dict[str, Cell] = {}
    for i, col in enumerate(cols):
        if i < len(vals):
            c = conf[i] if i < len(conf) and len(conf) == len(values) else None
            out[col] = _cell(vals[i], col, c, note)
        else:
            out[col] = Cell(None, "", "unreadable", note="cell missing from the row")
    if len(vals) > len(cols):
        extra = " ".join(v for v in vals[len(cols) :] if v.strip())
        if extra:
            for cell in out.values():
                cell.note = (cell.note + "; " if cell.note else "") + f"row had extra cells: {extra[:40]}"
                break
    return out


def _is_header(rec: Record) -> bool:
    if any(w in rec.label for w in _HEADER_WORDS):
        return True
    # abbreviated or split column labels ("商业企", "科研", "其他"): two columns named in one row
    named = {_column_key(key_text(t)) for t in rec.labels}
    return len(named - {None}) >= 2


def _map_applications(recs: list[Record], layout: str, notes: list[str]) -> dict[str, dict[str, Cell]]:
    order = list(APPLICATION_ROWS[layout])
    allowed = set(order)
    if layout == "2021":
        # some 2021-layout reports print (六)其他处理 as one row, as the 2019 layout did
        allowed.add("other")
    table: dict[str, dict[str, Cell]] = {}
    glued_rows: dict[str, str] = {}
    last = -1
    headers: dict[int, dict[int, str] | None] = {}  # id(grid) -> its column map
    cmap: dict[int, str] | None = None
    reordered = False
    for rec in recs:
        if rec.grid is not None and id(rec.grid) not in headers:
            found = applicant_columns(rec.grid)
            # a grid continuing the table on the next page has no header of its own
            if found is None and cmap is not None and rec.grid.rows and len(rec.grid.rows[0]) == _width(cmap):
                found = cmap
            headers[id(rec.grid)] = cmap = found
        nonblank = [v for v in rec.values if v.strip()]
        if not rec.values or (not nonblank and not rec.labels):
            continue
        is_glued = len(nonblank) == 1 and len(_fit(rec.values, 1)) == 1 and glued.looks_glued(nonblank[0], 7)
        if not is_glued and len(_fit(rec.values, 7)) < 5 and not (rec.all_blank() and rec.labels):
            continue
        key = _match(rec.labels, APPLICATION_ROW_PATTERNS, allowed)
        if rec.all_blank() and (key is None or _is_header(rec)):
            continue
        if key is None and _is_header(rec):
            continue
        note = None
        if key is not None and key in table and not _blank_row(table[key]):
            key = None  # a label repeated further down: not this row again
        if key is None:
            key = next((k for k in order[last + 1 :] if k not in table or _blank_row(table[k])), None)
            if key is None:
                continue
            note = "row label missing or unrecognised: taken by position"
            if rec.label:
                note += f" ({rec.label[:30]})"
        last = max(last, order.index("other.other" if key == "other" and layout == "2021" else key))
        if is_glued:
            glued_rows[key] = nonblank[0]
            continue
        grid_map = headers.get(id(rec.grid)) if rec.grid is not None else None
        placed = _by_header(rec, grid_map) if grid_map else None
        if placed is not None:
            table[key] = _row_cells(placed[0], APP_COLS, placed[1], note)
            reordered = reordered or list(grid_map.values()) != APP_COLS
        else:
            table[key] = _row_cells(rec.values, APP_COLS, rec.confidence, note)
    if glued_rows:
        _resolve_glued_applications(table, glued_rows, layout, notes)
    if reordered:
        notes.append("section 3 columns are printed in another order; mapped by their header labels")
    if layout == "2021" and "other" in table:
        order.insert(order.index("other.no_correction"), "other")
    return {k: table[k] for k in order if k in table}


def _width(cmap: dict[int, str]) -> int:
    return max(cmap) + 1


def _blank_row(row: dict[str, Cell]) -> bool:
    return all(c.status == "blank" for c in row.values())


def _resolve_glued_applications(table, glued_rows: dict[str, str], layout: str, notes: list[str]) -> None:
    kinds = {k: ["count"] * 7 for k in glued_rows}
    checks = {k: (lambda v: sum(v[:6]) == v[6]) for k in glued_rows}
    results = set(APPLICATION_ROWS[layout]) - {"new", "carried_in", "total", "carried_out"}

    def score(vals: dict[str, list]) -> int:
        s = 0
        for i in range(7):
            if all(k in vals for k in ("new", "carried_in", "total", "carried_out")):
                s += vals["new"][i] + vals["carried_in"][i] == vals["total"][i] + vals["carried_out"][i]
            if "total" in vals and all(r in vals for r in results):
                s += sum(vals[r][i] for r in results) == vals["total"][i]
        return s

    known = {k: [c.number or 0 for c in row.values()] for k, row in table.items()}

    def full_score(vals):
        return score({**known, **vals})

    resolved = glued.resolve_table(glued_rows, kinds, checks, full_score)
    notes.append("section 3 cells were glued together in the source; split by the table identities")
    for key, res in resolved.items():
        row = {}
        for col, tok in zip(APP_COLS, res.tokens, strict=True):
            if tok is None:
                row[col] = Cell(None, glued_rows[key], "unreadable", note=res.note)
            else:
                row[col] = _cell(tok, col, note=res.note)
                row[col].raw = tok
        table[key] = row


# --- section 4 ------------------------------------------------------------------------------


def _map_appeals(recs: list[Record], notes: list[str]) -> dict[str, dict[str, Cell]]:
    data = [r for r in recs if r.values and not (r.all_blank() and r.labels)]
    # one glued run of fifteen digits
    for r in data:
        nb = [v for v in r.values if v.strip()]
        if len(nb) == 1 and glued.looks_glued(nb[0], 15):
            kinds = {"all": ["count"] * 15}

            def check(v):
                return all(sum(v[i * 5 : i * 5 + 4]) == v[i * 5 + 4] for i in range(3))

            res = glued.resolve_table({"all": nb[0]}, kinds, {"all": check})["all"]
            notes.append("section 4 cells were glued together in the source; split by the group totals")
            out: dict[str, dict[str, Cell]] = {}
            for (g, k), tok in zip(APPEAL_FLAT, res.tokens, strict=True):
                cell = Cell(None, nb[0], "unreadable", note=res.note) if tok is None else _cell(tok, k, note=res.note)
                out.setdefault(g, {})[k] = cell
            return out
    # rows of five labelled by group (one group per row)
    grouped: dict[str, Record] = {}
    for r in data:
        g = _match(r.labels, APPEAL_GROUP_PATTERNS, set(APPEAL_GROUPS)) if r.labels else None
        if g and len(_fit(r.values, 5)) == 5 and g not in grouped:
            grouped[g] = r
    if len(grouped) == 3:
        return {g: _row_cells(grouped[g].values, list(APPEAL_KEYS), grouped[g].confidence, None) for g in APPEAL_GROUPS}
    # fifteen values in reading order (one row, or split over several rows/tables)
    flat: list[tuple[str, float | None]] = []
    for r in data:
        vals = _fit(r.values, 15) if len(data) == 1 else r.values
        if len(data) > 1:
            vals = _fit(vals, 5) if len(_fit(vals, 5)) == 5 else _fit(vals, 15)
        conf = r.confidence if len(r.confidence) == len(r.values) else [None] * len(r.values)
        flat.extend(zip(vals, conf[: len(vals)] + [None] * (len(vals) - len(conf[: len(vals)])), strict=True))
    if len(flat) != 15:
        exact = [r for r in data if len(_fit(r.values, 15)) == 15]
        if len(exact) >= 1:
            r = exact[0]
            flat = list(zip(_fit(r.values, 15), [None] * 15, strict=True))
        else:
            if flat:
                notes.append(f"section 4: found {len(flat)} values where 15 were expected; table not mapped")
            return {}
    out = {}
    for (g, k), (text, conf) in zip(APPEAL_FLAT, flat, strict=True):
        out.setdefault(g, {})[k] = _cell(text, k, conf)
    return out


# --- section 2 ------------------------------------------------------------------------------


def _map_disclosure(recs: list[Record], layout: str, notes: list[str]) -> dict[str, dict[str, Cell]]:
    spec = DISCLOSURE_ROWS[layout]
    allowed = set(spec)
    table: dict[str, dict[str, Cell]] = {}
    glued_rows: dict[str, str] = {}
    for rec in recs:
        if not rec.values or not rec.labels:
            continue
        key = _match(rec.labels, DISCLOSURE_ROW_PATTERNS, allowed)
        if key is None or key in table or key in glued_rows:
            continue
        cols = spec[key][1]
        nonblank = [v for v in rec.values if v.strip()]
        if len(cols) > 1 and len(nonblank) == 1 and len(_fit(rec.values, 1)) == 1 and glued.looks_glued(nonblank[0], len(cols)):
            glued_rows[key] = nonblank[0]
            continue
        table[key] = _row_cells(rec.values, cols, rec.confidence, None)
    if glued_rows:
        kinds = {
            k: ["money" if c in MONEY_COLUMNS else "signed" if c in SIGNED_COLUMNS else "count" for c in spec[k][1]]
            for k in glued_rows
        }
        resolved = glued.resolve_table(glued_rows, kinds)
        notes.append("section 2 cells were glued together in the source; ambiguous splits left unread")
        for key, res in resolved.items():
            row = {}
            for col, tok in zip(spec[key][1], res.tokens, strict=True):
                if tok is None:
                    row[col] = Cell(None, glued_rows[key], "unreadable", note=res.note)
                else:
                    row[col] = _cell(tok, col, note=res.note)
            table[key] = row
    return {k: table[k] for k in spec if k in table}


# --- whole document -------------------------------------------------------------------------


def _grid_records(blocks: list[Block]) -> list[Record]:
    out: list[Record] = []
    for b in blocks:
        if isinstance(b, GridBlock):
            out.extend(records(b))
    return out


def _text_of(blocks: list[Block]) -> str:
    return "\n".join(b.text for b in blocks if isinstance(b, TextBlock))


def _labels_text(blocks: list[Block]) -> str:
    parts = []
    for b in blocks:
        if isinstance(b, GridBlock):
            for row in b.rows:
                parts.extend(c.text for c in row if c.span_origin and not is_number_text(c.text))
        else:
            parts.append(b.text[:200] if len(b.text) < 200 else "")
    return "\n".join(parts)


def map_extracted(ex: Extracted, source: str, *, url: str | None = None, hints: dict | None = None) -> Report:
    """Build a Report from a reader's blocks (metadata and classification included)."""

    hints = hints or {}
    report = Report(source=source, read_by=ex.read_by, url=url)
    report.notes.extend(ex.notes)
    pre, secs = split_sections(ex.blocks)
    report.sections = {k: _text_of(v) for k, v in sorted(secs.items())}
    report.text = _text_of(ex.blocks)

    metadata.fill(report, ex, hints)

    table_blocks = {k: secs.get(k, []) for k in ("2", "3", "4")}
    label_text = _labels_text([*table_blocks["2"], *table_blocks["3"], *table_blocks["4"]])
    if not any(table_blocks.values()):
        label_text = _labels_text(ex.blocks)
    layout = detect_layout(label_text, report.year)
    if layout is None and any(table_blocks.values()):
        # a fragment, or a heading not recognised: the table style decides, wherever the tables are
        layout = detect_layout(_labels_text(ex.blocks), None)
    report.layout = layout  # type: ignore[assignment]

    if layout is not None:
        all_grids = [b for b in ex.blocks if isinstance(b, GridBlock)]
        s2 = _grid_records(table_blocks["2"]) if table_blocks["2"] else []
        s3 = _grid_records(table_blocks["3"]) if table_blocks["3"] else []
        s4 = _grid_records(table_blocks["4"]) if table_blocks["4"] else []
        if not s3 or not s2 or not s4:
            every = _grid_records(all_grids)
            s2 = s2 or every
            s3 = s3 or every
            if not s4:
                # without a heading, section 4 is whatever grid follows the section 3 rows
                s4 = _after_applications(all_grids)
        report.disclosure = _map_disclosure(s2, layout, report.notes)
        report.applications = _map_applications(s3, layout, report.notes)
        report.appeals = _map_appeals(s4, report.notes)
        if any(c.confidence is not None for *_, c in report.cells()):

            done = ocr_check.verify(report)
            if any(done.values()):
                report.notes.append(
                    "OCR readings checked: {rejected} not accepted as read, {repaired} repaired by identity, "
                    "{unreadable} left unreadable, {filled} cells the scan lost".format(**done)
                )

    classify.apply(report, ex)
    return report


def _after_applications(grids: list[GridBlock]) -> list[Record]:
    out: list[Record] = []
    seen_total = False
    for g in grids:
        for rec in records(g):
            if seen_total:
                out.append(rec)
            elif re.search("结转下年", key_text(rec.label)):
                seen_total = True
    return out
