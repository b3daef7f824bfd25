"""What two stores hold, in comparable form (for the equivalence test and the benchmark)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nianbao.storage.store import Store


def snapshot(db: str | Path) -> dict[str, Any]:
    """{"reports": {(agency, year, url)}, "cells": {(agency, year, url): {(tbl,row,col): (value,status)}},
    "findings": {(agency, year, url): sorted rules}} over stored annual reports."""

    with Store(db) as s:
        rows = s.query(
            "SELECT r.id, r.agency, r.year, d.url FROM reports r JOIN documents d ON d.id = r.document_id "
            "WHERE r.is_report = 1"
        )
        keys = {r["id"]: (r["agency"], r["year"], r["url"]) for r in rows}
        cells: dict[tuple, dict] = {k: {} for k in keys.values()}
        for c in s.query("SELECT report_id, tbl, row_key, col_key, value, status FROM cells"):
            k = keys.get(c["report_id"])
            if k is not None:
                cells[k][(c["tbl"], c["row_key"], c["col_key"])] = (c["value"], c["status"])
        findings: dict[tuple, list] = {k: [] for k in keys.values()}
        for f in s.query("SELECT report_id, rule, location FROM findings WHERE report_id IS NOT NULL"):
            k = keys.get(f["report_id"])
            if k is not None:
                findings[k].append((f["rule"], f["location"] or ""))
        return {"reports": set(keys.values()), "cells": cells,
                "findings": {k: sorted(v) for k, v in findings.items()}}  # fmt: skip


def differences(a: dict[str, Any], b: dict[str, Any], limit: int = 10) -> list[str]:
    """Human-readable differences between two snapshots (empty when equal)."""
    out = []
    for k in sorted(a["reports"] - b["reports"], key=str)[:limit]:
        out.append(f"only in first: {k}")
    for k in sorted(b["reports"] - a["reports"], key=str)[:limit]:
        out.append(f"only in second: {k}")
    for k in sorted(a["reports"] & b["reports"], key=str):
        if a["cells"][k] != b["cells"][k]:
            diff = {c for c in set(a["cells"][k]) | set(b["cells"][k]) if a["cells"][k].get(c) != b["cells"][k].get(c)}
            out.append(f"cells differ for {k}: {sorted(diff)[:5]}")
        if a["findings"][k] != b["findings"][k]:
            out.append(f"findings differ for {k}: {a['findings'][k]} vs {b['findings'][k]}")
        if len(out) > limit * 3:
            break
    return out
