"""整改 tracking: what happens to a confirmed finding after the officer tells the agency to fix it.

States (one row per finding fingerprint in ``rectifications``; none = not notified yet):

* ``notified`` 已通知整改 — recorded (usually in bulk when a 通报 is issued) with a deadline and who
  was told; only a finding a reviewer confirmed can be notified;
* ``rectified`` 已整改 — a later version of the report (re-crawled, re-audited) no longer has the
  defect; set by itself with the evidence (the old and new report ids and values; both versions
  stay in the store);
* ``overdue`` 逾期未整改 — the deadline passed and the current report still has the defect.

:func:`decide` is the pure transition; :func:`notify` and :func:`reassess` apply it to a store.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# A nianbao.storage.store.Store (not imported: the store calls this module after each save)
Store = Any

STATES: dict[str, str] = {"notified": "已通知整改", "rectified": "已整改", "overdue": "逾期未整改"}
OPEN_STATES = ("notified", "overdue")
BEIJING = dt.timezone(dt.timedelta(hours=8))


def today_beijing() -> dt.date:
    return dt.datetime.now(BEIJING).date()


def parse_deadline(text: Any) -> dt.date | None:
    """A deadline ``YYYY-MM-DD`` (as a date input sends it), or None when unreadable."""
    try:
        return dt.date.fromisoformat(str(text).strip()[:10])
    except ValueError:
        return None


# ---------------------------------------------------------------- pure transitions


@dataclass(frozen=True)
class Situation:
    """What the store says about one notified finding now."""

    state: str  # notified | overdue | rectified
    deadline: dt.date | None
    newer_version: bool  # the current report of (agency, year) is not the one that was notified
    defect_present: bool  # the current report still has a finding with this fingerprint


def decide(s: Situation, today: dt.date) -> str:
    """The state a notified finding should be in (``rectified`` is final)."""
    if s.state == "rectified":
        return "rectified"
    if s.newer_version and not s.defect_present:
        return "rectified"
    if s.deadline is not None and today > s.deadline:
        return "overdue"
    return "notified"


def can_notify(review_status: str, state: str | None) -> bool:
    """Only confirmed findings are notified; a rectified one is done."""
    return review_status == "confirmed" and state != "rectified"


def evidence_text(ev: dict[str, Any]) -> str:
    """The 整改 evidence in words, e.g. ``原报告（#3）该处为 49，更正后（#17）为 47``."""
    old, new = ev.get("old_value"), ev.get("new_value")
    parts = [f"更正后的报告（#{ev.get('new_report_id')}）核查未再发现此问题"]
    if old is not None or new is not None:
        parts.append(f"原报告（#{ev.get('old_report_id')}）该处为 {_fmt(old)}，更正后为 {_fmt(new)}")
    if ev.get("expected") is not None or ev.get("actual") is not None:
        parts.append(f"原报告填报 {_fmt(ev.get('actual'))}，应为 {_fmt(ev.get('expected'))}")
    if ev.get("changed_cells"):
        parts.append(f"更正了 {len(ev['changed_cells'])} 个单元格")
    return "；".join(parts)


def _fmt(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _cell_key(location: str | None) -> tuple[str, str, str] | None:
    parts = (location or "").split(".")
    if len(parts) < 3 or parts[0] not in ("applications", "appeals", "disclosure"):
        return None
    return parts[0], ".".join(parts[1:-1]), parts[-1]


# ---------------------------------------------------------------- the store side


def state_of(store: Store, fingerprint: str) -> dict[str, Any] | None:
    return store.one("SELECT * FROM rectifications WHERE fingerprint = ?", (fingerprint,))


def _record(store: Store, fp: str, state: str, *, by: str | None, note: str | None = None, **cols: Any) -> None:
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    prev = state_of(store, fp)
    if prev is None:
        store.conn.execute(
            "INSERT INTO rectifications (fingerprint, state, updated_at) VALUES (?, ?, ?)", (fp, state, now)
        )
    sets = {"state": state, "updated_at": now, **cols}
    store.conn.execute(
        f"UPDATE rectifications SET {', '.join(f'{k} = ?' for k in sets)} WHERE fingerprint = ?",
        (*sets.values(), fp),
    )
    store.conn.execute(
        "INSERT INTO rectification_history (fingerprint, state, previous_state, by, note, at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (fp, state, prev["state"] if prev else None, by, note, now),
    )


def notify(
    store: Store, fps: Iterable[str], *, deadline: dt.date, notified_to: str, by: str,
    today: dt.date | None = None,
) -> tuple[int, int]:
    """Record 已通知整改 on the confirmed findings among ``fps``; returns (changed, skipped)."""
    changed = skipped = 0
    with store.transaction():
        for fp in dict.fromkeys(fps):
            review = store.review(fp)
            current = state_of(store, fp)
            if not can_notify(review["status"], current["state"] if current else None):
                skipped += 1
                continue
            report = store.one(
                "SELECT report_id FROM findings WHERE fingerprint = ? AND active = 1 ORDER BY id DESC LIMIT 1", (fp,)
            ) or store.one("SELECT report_id FROM findings WHERE fingerprint = ? ORDER BY id DESC LIMIT 1", (fp,))
            _record(store, fp, "notified", by=by, note=f"通知对象：{notified_to}；整改期限：{deadline.isoformat()}",
                    deadline=deadline.isoformat(), notified_to=notified_to, notified_by=by,
                    notified_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                    report_id=report["report_id"] if report else None)  # fmt: skip
            changed += 1
    if changed:
        reassess(store, today=today)
    return changed, skipped


def _cell_value(store: Store, report_id: int | None, key: tuple[str, str, str] | None) -> Any:
    if report_id is None or key is None:
        return None
    c = store.one("SELECT value, raw, status FROM cells WHERE report_id = ? AND tbl = ? AND row_key = ? "
                  "AND col_key = ?", (report_id, *key))  # fmt: skip
    if c is None:
        return None
    return c["value"] if c["status"] == "ok" else (c["raw"] or None)


MAX_CHANGED_CELLS = 30


def changed_cells(store: Store, old_id: int | None, new_id: int, table: str) -> list[list[Any]]:
    """[key, old value, new value] of the cells of ``table`` that differ between two reports."""
    if old_id is None or table not in ("applications", "appeals", "disclosure"):
        return []

    def values(rid: int) -> dict[str, Any]:
        return {f"{c['tbl']}.{c['row_key']}.{c['col_key']}": c["value"] if c["status"] == "ok" else c["raw"]
                for c in store.query("SELECT * FROM cells WHERE report_id = ? AND tbl = ?", (rid, table))}

    old, new = values(old_id), values(new_id)
    keys = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
    return [[k, old.get(k), new.get(k)] for k in keys[:MAX_CHANGED_CELLS]]


def reassess(
    store: Store, *, today: dt.date | None = None, agency_id: int | None = None, year: int | None = None
) -> dict[str, int]:
    """Move notified/overdue findings on (optionally of one agency and year); returns moves per state."""
    today = today or today_beijing()
    where, params = "x.state IN ('notified', 'overdue')", []
    if agency_id is not None:
        where += " AND f.agency_id = ?"
        params.append(agency_id)
    if year is not None:
        where += " AND f.year = ?"
        params.append(year)
    rows = store.query(
        f"""SELECT x.fingerprint, x.state, x.deadline, x.report_id AS notified_report,
                   f.agency_id, f.year, f.location, f.expected, f.actual
            FROM rectifications x
            JOIN findings f ON f.fingerprint = x.fingerprint
                AND f.id = (SELECT MAX(id) FROM findings g WHERE g.fingerprint = x.fingerprint)
            WHERE {where}""",
        params,
    )
    moved: dict[str, int] = {}
    with store.transaction():
        for r in rows:
            cur = store.one(
                "SELECT id FROM reports WHERE agency_id = ? AND year = ? AND current = 1 AND is_report = 1",
                (r["agency_id"], r["year"]),
            )
            present = store.one(
                "SELECT 1 AS x FROM findings WHERE fingerprint = ? AND active = 1", (r["fingerprint"],)
            ) is not None
            newer = cur is not None and cur["id"] != r["notified_report"]
            s = Situation(r["state"], parse_deadline(r["deadline"]), newer, present)
            new_state = decide(s, today)
            if new_state == r["state"]:
                continue
            cols: dict[str, Any] = {}
            note = None
            if new_state == "rectified":
                key = _cell_key(r["location"])
                ev = {
                    "old_report_id": r["notified_report"], "new_report_id": cur["id"], "location": r["location"],
                    "old_value": _cell_value(store, r["notified_report"], key),
                    "new_value": _cell_value(store, cur["id"], key),
                    "changed_cells": changed_cells(store, r["notified_report"], cur["id"],
                                                   (r["location"] or "").split(".")[0]),
                    "expected": json.loads(r["expected"]) if r["expected"] else None,
                    "actual": json.loads(r["actual"]) if r["actual"] else None,
                }  # fmt: skip
                cols = {"resolved_report_id": cur["id"], "resolved_at": today.isoformat(),
                        "evidence": json.dumps(ev, ensure_ascii=False)}  # fmt: skip
                note = evidence_text(ev)
            elif new_state == "overdue":
                note = f"已过整改期限 {r['deadline']}，当前报告仍存在此问题"
            _record(store, r["fingerprint"], new_state, by="系统", note=note, **cols)
            moved[new_state] = moved.get(new_state, 0) + 1
    return moved


def counts(store: Store, *, year: int | None = None, agency_ids: Iterable[int] | None = None) -> dict[str, int]:
    """How many findings are in each 整改 state (findings of ``year`` / of ``agency_ids``)."""
    where, params = "", []
    if year is not None:
        where += " AND f.year = ?"
        params.append(year)
    if agency_ids is not None:
        ids = list(agency_ids)
        where += f" AND f.agency_id IN ({','.join('?' * len(ids)) or 'NULL'})"
        params.extend(ids)
    rows = store.query(
        f"""SELECT x.state, COUNT(DISTINCT x.fingerprint) AS n FROM rectifications x
            JOIN findings f ON f.fingerprint = x.fingerprint WHERE 1 = 1{where} GROUP BY x.state""",
        params,
    )
    out = dict.fromkeys(STATES, 0)
    out.update({r["state"]: r["n"] for r in rows})
    return out


def history(store: Store, fps: Iterable[str]) -> list[dict[str, Any]]:
    fps = list(fps)
    if not fps:
        return []
    return store.query(
        f"SELECT * FROM rectification_history WHERE fingerprint IN ({','.join('?' * len(fps))}) ORDER BY id DESC",
        fps,
    )
