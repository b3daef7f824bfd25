"""OCR readings checked before they are believed (pure: no I/O, no OCR engine).

An OCR cell (one with a ``confidence``) is accepted as read only when it is plausible for its
column: counts (applications, cases, documents) are whole non-negative numbers, so a count
read with a decimal point, a stray separator, a sign, or more digits than its row or column
total allows is not taken as is; a reading below :data:`MIN_CONFIDENCE` is not either.  Such
a cell gets candidate values (the digits without the separator, the low-confidence reading),
and the table's identities choose: a candidate is taken only when it makes an identity whose
other cells are all accepted hold and no other candidate does (note ``repaired by identity``).
Otherwise the cell is ``null`` with status ``unreadable`` and its candidates in the note: a
blank is better than a wrong number, which would accuse an agency.

A reading that makes an identity fail is believed only when every OCR cell of that identity
was read with confidence :data:`SURE` and none of them came out empty; otherwise the doubtful
cells (all of them, when one of a row's or group's cells is empty) become ``unreadable`` (a misread digit must not become
an arithmetic finding against the agency, nor a wrong number in the store).  A doubted reading
is taken back when another identity, fully known, confirms it (never the failing one: the value
it implies is shown in the note, not taken).

Identities used: each section 3 row (six applicant columns = 总计), each section 3 column
(一+二 = (七)总计+四, (七) = Σ results), each section 4 group (four results = 总计).

A table read by OCR that lacks rows or cells of its layout gets them as ``unreadable`` (the
scan lost them, the agency did not): they stop the identities instead of raising MISSING_TABLE.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

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
from nianbao.text import nfkc

__all__ = ["MIN_CONFIDENCE", "REPAIRED", "candidates", "identities", "verify"]

MIN_CONFIDENCE = 0.8
SURE = 0.97  # an OCR reading in a failing identity below this is doubted, not believed
ROW_TERMS = 7  # identities this short are one printed row (a section 3 row, a section 4 group)
MAX_COUNT_DIGITS = 7  # no count in these tables reaches ten million
REPAIRED = "repaired by identity"
Key = tuple[str, str, str]  # (table, row, column)
_APP_COLS = [c for c in APPLICATION_COLUMNS if c != "total"]
_ZERO_LOOKALIKES = frozenset("。○〇oOQD口")
_ONE_LOOKALIKES = frozenset("iIl|丨一")


def candidates(raw: str, kind: str) -> tuple[int | None, list[int]]:
    """(value accepted as read, candidate values) for the OCR text of a count cell.

    ``kind`` is ``count`` or ``signed``; amounts are not judged here (decimals are normal).
    """
    if " | " in (raw or ""):  # a row read a cell short: its numbers, for an identity to pick
        read = [candidates(part, kind) for part in raw.split(" | ")]
        return None, sorted({v for v, _ in read if v is not None})
    t = re.sub(r"\s+", "", nfkc(raw or ""))
    if t and all(ch in _ZERO_LOOKALIKES for ch in t) and len(t) <= 2:
        return None, [0]  # a "0" read as a circle or a full stop
    if t and len(t) == 1 and t in _ONE_LOOKALIKES:
        return None, [1]  # a "1" read as a letter or a stroke
    if re.fullmatch(r"\d+", t):
        return (int(t), []) if len(t) <= MAX_COUNT_DIGITS else (None, [])
    if kind == "signed" and re.fullmatch(r"-\d+", t):
        return int(t), []
    digits = re.sub(r"\D", "", t)
    if not digits or len(digits) > MAX_COUNT_DIGITS:
        return None, []
    # a decimal point, comma, dash or speck inside or around the digits: not accepted as is
    out = [int(digits)]
    if kind == "signed" and t.startswith("-"):
        out = [-int(digits), int(digits)]
    return None, out


def identities(report: Report) -> Iterator[list[tuple[Key, int]]]:
    """Each identity as terms (cell, coefficient) summing to zero."""
    apps = report.applications
    layout = report.layout or "2021"
    if apps:
        for row in apps:
            yield [*((("applications", row, c), 1) for c in _APP_COLS), (("applications", row, "total"), -1)]
        results = [r for r in APPLICATION_ROWS.get(layout, {}) if r not in ("new", "carried_in", "total", "carried_out")]
        if layout == "2021" and "other" in apps:
            results = [r for r in results if not r.startswith("other.")] + ["other"]
        for col in APPLICATION_COLUMNS:
            yield [(("applications", "new", col), 1), (("applications", "carried_in", col), 1),
                   (("applications", "total", col), -1), (("applications", "carried_out", col), -1)]
            yield [*((("applications", r, col), 1) for r in results), (("applications", "total", col), -1)]
    if report.appeals:
        for g in APPEAL_GROUPS:
            yield [*(((("appeals", g, k), 1)) for k in APPEAL_KEYS if k != "total"), (("appeals", g, "total"), -1)]


def _kind(table: str, col: str) -> str:
    if col in MONEY_COLUMNS:
        return "money"
    return "signed" if col in SIGNED_COLUMNS else "count"


def _cell(report: Report, key: Key) -> Cell | None:
    table, row, col = key
    return report.table(table).get(row, {}).get(col)


def _known(cell: Cell | None) -> int | float | None:
    """A cell's number for the identities: blank counts as 0; None when not usable."""
    if cell is None:
        return None
    if cell.status == "blank":
        return 0
    return cell.value if cell.status == "ok" else None


def _fill_missing(report: Report) -> int:
    """Rows and cells of the layout a scan lost, added as unreadable; how many cells."""
    layout = report.layout
    if layout is None:
        return 0
    added = 0
    expected: dict[str, list[tuple[str, list[str]]]] = {
        "applications": [(r, list(APPLICATION_COLUMNS)) for r in APPLICATION_ROWS[layout]],
        "appeals": [(g, list(APPEAL_KEYS)) for g in APPEAL_GROUPS],
        "disclosure": [(r, cols) for r, (_, cols) in DISCLOSURE_ROWS[layout].items()],
    }
    sections = {"disclosure": "2", "applications": "3", "appeals": "4"}
    for table, rows in expected.items():
        data = report.table(table)
        if not data and sections[table] not in report.sections:
            continue  # neither table nor section: for MISSING_SECTION / MISSING_TABLE to say
        if not data:  # the section is there but the scan gave no numbers for its table
            setattr(report, table, data)
        if table == "applications" and layout == "2021" and "other" in data:
            rows = [(r, c) for r, c in rows if not r.startswith("other.")]
        for row, cols in rows:
            have = data.setdefault(row, {})
            for col in cols:
                if col not in have:
                    have[col] = Cell(None, "", "unreadable", note="not found in the scanned table (OCR)")
                    added += 1
        if table == "applications":
            order = [r for r, _ in rows] + [r for r in data if r not in dict(rows)]
            report.applications = {r: data[r] for r in order if r in data}
        elif table == "appeals":
            report.appeals = {g: data[g] for g in APPEAL_GROUPS if g in data}
        else:
            report.disclosure = {r: data[r] for r, _ in rows if r in data} | {r: v for r, v in data.items() if r not in dict(rows)}
    return added


def verify(report: Report) -> dict[str, int]:
    """Check every OCR cell of ``report`` in place; counts of what was done."""
    stats = {"rejected": 0, "repaired": 0, "unreadable": 0, "filled": 0}
    suspects: dict[Key, list[int]] = {}
    blanks: dict[Key, list[int]] = {}
    ocr_report = report.read_by == "ocr"  # then even cells without a confidence (empty ones) are OCR's
    for table in ("disclosure", "applications", "appeals"):
        for row, cols in report.table(table).items():
            for col, cell in cols.items():
                if cell.confidence is None and not ocr_report:
                    continue  # a text-layer cell of a partly scanned document
                kind = _kind(table, col)
                if kind == "money":
                    continue
                if cell.status == "blank":
                    if not cell.raw.strip():
                        blanks[(table, row, col)] = [0]  # nothing read: a faint 0 or a real blank
                    continue
                value, cands = candidates(cell.raw, kind)
                low = (cell.confidence if cell.confidence is not None else 1.0) < MIN_CONFIDENCE
                if value is not None and not low:
                    if cell.status != "ok" or cell.value != value:
                        cell.value, cell.status = value, "ok"
                    continue
                if value is not None:
                    cands = [value]
                stats["rejected"] += 1
                suspects[(table, row, col)] = cands
                cell.value, cell.status = None, "unreadable"
    _too_big(report, suspects, stats)
    if report.read_by == "ocr":
        stats["filled"] = _fill_missing(report)
    eqs = list(identities(report))
    if report.read_by == "ocr":
        stats["repaired"] += _short_rows(report, eqs)
    _resolve(report, suspects, blanks, eqs, stats)
    hints: dict[Key, list[int]] = {}  # what a failing identity implies for its one doubtful cell
    for _ in range(3):  # a reading a failing identity made doubtful may be confirmed by another one
        if not _doubt_failures(report, eqs, suspects, stats, hints):
            break
        _resolve(report, suspects, blanks, eqs, stats)
    for key, cands in suspects.items():
        cell = _cell(report, key)
        if cell is None:
            continue
        cands = cands + [h for h in hints.get(key, []) if h not in cands]
        shown = "、".join(str(c) for c in cands) if cands else "none"
        cell.note = (f"OCR read {cell.raw!r} (confidence {cell.confidence or 0:.2f}), not accepted: "
                     f"candidates {shown}; no identity confirms one")
        stats["unreadable"] += 1
    return stats


def _resolve(report: Report, suspects: dict[Key, list[int]], blanks: dict[Key, list[int]],
             eqs: list[list[tuple[Key, int]]], stats: dict[str, int]) -> None:
    """Take the candidates the identities confirm, until nothing changes."""
    changed = True
    while changed and (suspects or blanks):
        changed = False
        for key in list(suspects):
            choice = _choose(report, key, suspects[key], eqs)
            if choice is None:
                continue
            cell = _cell(report, key)
            assert cell is not None
            cell.value, cell.status = choice, "ok"
            cell.note = f"OCR read {cell.raw!r}, not accepted as is; {REPAIRED}: {choice}"
            del suspects[key]
            stats["repaired"] += 1
            changed = True
        if not changed:
            changed = _joint(report, suspects, eqs, stats)
        # an empty OCR cell stays blank (0 in the identities) unless an identity confirms the 0
        for key in list(blanks):
            cell = _cell(report, key)
            if cell is not None and cell.status == "blank" and _choose(report, key, blanks[key], eqs) == 0:
                cell.value, cell.status = 0, "ok"
                cell.note = f"OCR read nothing in this cell; {REPAIRED}: 0"
                del blanks[key]
                stats["repaired"] += 1
                changed = True


JOINT_MAX = 3  # unknown cells solved together in one identity


def _joint(report: Report, suspects: dict[Key, list[int]], eqs: list[list[tuple[Key, int]]],
           stats: dict[str, int]) -> bool:
    """Two or three doubtful cells of one identity whose other cells are known: taken when
    exactly one combination of their candidates makes the identity hold."""
    from itertools import product

    for eq in eqs:
        unknown = [(k, c) for k, c in eq if k in suspects]
        if not 2 <= len(unknown) <= JOINT_MAX or any(not suspects[k] for k, _ in unknown):
            continue
        rest = 0
        for k, c in eq:
            if k in suspects:
                continue
            v = _known(_cell(report, k))
            if v is None:
                break
            rest += c * v
        else:
            fits = [combo for combo in product(*(suspects[k] for k, _ in unknown))
                    if rest + sum(c * v for (_, c), v in zip(unknown, combo, strict=True)) == 0]
            if len(fits) != 1:
                continue
            for (k, _), v in zip(unknown, fits[0], strict=True):
                cell = _cell(report, k)
                assert cell is not None
                cell.value, cell.status = v, "ok"
                cell.note = f"OCR read {cell.raw!r}, not accepted as is; {REPAIRED} (with {len(unknown) - 1} other): {v}"
                del suspects[k]
                stats["repaired"] += 1
            return True
    return False


_SHORT_ROW = re.compile(r"^row has (\d+) cells for 7 columns")


def _short_rows(report: Report, eqs: list[list[tuple[Key, int]]]) -> int:
    """Section 3 rows the scan gave one cell too few (a column rule lost): the missing cell may
    be in any of the seven columns.  Each placement is completed by the row's own identity;
    the row is taken when exactly one placement holds in every fully known column identity
    through the row, at least one, and every column where the placements differ is among those
    checked.  How many cells were repaired."""
    repaired = 0
    for row, cols in report.applications.items():
        first = cols.get("natural_person")
        m = _SHORT_ROW.match(first.note or "") if first is not None and first.status == "unreadable" else None
        if not m or int(m.group(1)) != 6:
            continue
        read = [candidates(t, "count") for t in first.raw.split(" | ")]
        if len(read) != 6 or any(v is None for v, _ in read):
            continue
        values = [int(v) for v, _ in read if v is not None]
        rows = set()
        for gap in range(7):
            full: list[int | None] = [*values[:gap], None, *values[gap:]]
            parts, total = full[:6], full[6]
            if total is None:
                full[6] = sum(p for p in parts if p is not None)
            else:
                missing = total - sum(p for p in parts if p is not None)
                if missing < 0:
                    continue
                full[gap] = missing
            rows.add(tuple(full))
        # the placements the column identities allow: the row is taken when exactly one does, and
        # every column where the placements differ was checked by a complete column identity
        fits = []
        saved = {c: (cols[c].value, cols[c].status) for c in APPLICATION_COLUMNS}
        differ = {c for i, c in enumerate(APPLICATION_COLUMNS) if len({r[i] for r in rows}) > 1}
        for placed in rows:
            candidate = dict(zip(APPLICATION_COLUMNS, placed, strict=True))
            for c, v in candidate.items():
                cols[c].value, cols[c].status = v, "ok"
            checked: set[str] = set()
            ok = True
            for eq in eqs:
                if not any(k[0] == "applications" and k[1] == row for k, _ in eq) or all(k[1] == row for k, _ in eq):
                    continue  # column identities through this row only
                known = [_known(_cell(report, k)) for k, _ in eq]
                if any(v is None for v in known):
                    continue
                checked.add(eq[0][0][2])
                ok = ok and sum(c * v for (_, c), v in zip(eq, known, strict=True)) == 0  # type: ignore[misc]
            if checked and ok and differ <= checked:
                fits.append(candidate)
        for c, (v, st) in saved.items():
            cols[c].value, cols[c].status = v, st  # type: ignore[assignment]
        if len(fits) == 1:
            for c, v in fits[0].items():
                cols[c].value, cols[c].status = v, "ok"
                cols[c].note = f"{first.note}; {REPAIRED}: the only row the identities allow"
            repaired += len(fits[0])
    return repaired


def _doubt_failures(report: Report, eqs: list[list[tuple[Key, int]]], suspects: dict[Key, list[int]],
                    stats: dict[str, int], hints: dict[Key, list[int]]) -> int:
    """An identity that fails in an OCR table accuses the agency only when every OCR cell in it
    was read with confidence :data:`SURE`; otherwise its doubtful readings become unreadable
    (candidates: what was read, and what the identity implies when one cell is in doubt)."""
    doubted: dict[Key, list[int]] = {}
    for eq in eqs:
        total = 0
        for k, c in eq:
            v = _known(_cell(report, k))
            if v is None:
                break
            total += c * v
        else:
            if total == 0:
                continue
            ocr = [(k, c, cell) for k, c in eq if (cell := _cell(report, k)) is not None
                   and (cell.confidence is not None or report.read_by == "ocr")]
            weak = [(k, c) for k, c, cell in ocr if cell.status == "blank" or (
                cell.status == "ok" and (cell.confidence if cell.confidence is not None else 1.0) < SURE
                and REPAIRED not in (cell.note or "") and not _confirmed(report, k, eqs, eq))]
            if len(eq) <= ROW_TERMS and any(cell.status == "blank" for _, _, cell in ocr):
                # OCR saw nothing where a row or group needs something: the row was read out of
                # its columns ("1 1 0 2 4" as four empty cells and 24); trust none of it
                weak = [(k, c) for k, c, _ in ocr]
            for k, c in weak:
                cell = _cell(report, k)
                assert cell is not None
                value = cell.value if isinstance(cell.value, int | float) else 0
                cands = doubted.setdefault(k, [int(value)])
                implied = int(value - c * total)
                if len(weak) == 1 and implied >= 0 and implied not in cands:
                    # shown to the officer, never taken: the failing identity would confirm itself
                    hints.setdefault(k, []).append(implied)
    for k, cands in doubted.items():
        cell = _cell(report, k)
        assert cell is not None
        cell.value, cell.status = None, "unreadable"
        suspects[k] = cands
        stats["rejected"] += 1
    return len(doubted)


def _too_big(report: Report, suspects: dict[Key, list[int]], stats: dict[str, int]) -> None:
    """A section 3 count larger than its row's 总计 or its column's (七)总计 (both accepted)."""
    apps = report.applications
    for row, cols in apps.items():
        for col, cell in cols.items():
            if cell.confidence is None or cell.status != "ok" or not isinstance(cell.value, int):
                continue
            bounds = []
            if col != "total":
                bounds.append(_known(cols.get("total")))
            results = row not in ("new", "carried_in", "total", "carried_out")
            if results:
                bounds.append(_known(apps.get("total", {}).get(col)))
            limit = [b for b in bounds if b is not None and b >= 0]
            # more digits than the total it is part of: a digit was added (a speck read as "1")
            if limit and cell.value > min(limit) and len(str(cell.value)) > len(str(int(min(limit)))):
                digits = str(cell.value)
                cands = sorted({int(digits[:i] + digits[i + 1 :]) for i in range(len(digits)) if len(digits) > 1})
                suspects[("applications", row, col)] = [c for c in cands if c <= min(limit)]
                cell.value, cell.status = None, "unreadable"
                stats["rejected"] += 1


def _trusted(cell: Cell | None, sure: float = MIN_CONFIDENCE) -> bool:
    """A cell whose number may stand in an identity that judges another cell: read (not blank,
    not repaired) with at least ``sure`` confidence."""
    return (cell is not None and cell.status == "ok" and isinstance(cell.value, int | float)
            and (cell.confidence if cell.confidence is not None else 1.0) >= sure
            and REPAIRED not in (cell.note or ""))


def _implied(report: Report, key: Key, eq: list[tuple[Key, int]], sure: float) -> int | None:
    """The value ``eq`` gives ``key`` when every other cell of it is trusted, else None."""
    coef = next((c for k, c in eq if k == key), None)
    if coef is None:
        return None
    rest = 0
    for k, c in eq:
        if k == key:
            continue
        cell = _cell(report, k)
        if not _trusted(cell, sure):
            return None
        assert cell is not None and cell.value is not None
        rest += c * cell.value
    need = -rest * coef
    return int(need) if float(need).is_integer() else None


def _confirmed(report: Report, key: Key, eqs: list[list[tuple[Key, int]]], failing: list[tuple[Key, int]]) -> bool:
    """A reading that another identity, all of whose other cells were read sure, holds with."""
    cell = _cell(report, key)
    if cell is None or cell.status != "ok" or REPAIRED in (cell.note or ""):
        return False
    return any(eq is not failing and _implied(report, key, eq, SURE) == cell.value for eq in eqs)


def _choose(report: Report, key: Key, cands: list[int], eqs: list[list[tuple[Key, int]]]) -> int | None:
    """The one candidate some fully known identity through ``key`` confirms (the cell's own
    current value is left out), else None."""
    if not cands:
        return None
    confirmed: set[int] = set()
    checked = False
    for eq in eqs:
        coef = next((c for k, c in eq if k == key), None)
        if coef is None:
            continue
        rest = 0
        for k, c in eq:
            if k == key:
                continue
            v = _known(_cell(report, k))
            if v is None:
                break
            rest += c * v
        else:
            checked = True
            need = -rest * coef  # coef is ±1
            confirmed |= {c for c in cands if c == need}
    if checked and len(confirmed) == 1:
        return confirmed.pop()
    return None
