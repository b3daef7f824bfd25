"""Read queries behind the workbench pages (overview, agencies, findings, report detail).

Plain SELECTs returning dicts; grouping by region (which needs the region registry) and all
presentation happen in ``workbench``.  Findings without a review row are ``pending``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from storage.store import Store

_STATUS = "COALESCE(v.status, 'pending')"


def years(store: Store) -> list[int]:
    """Report years present in the store, newest first."""
    return [
        r["year"]
        for r in store.query(
            "SELECT DISTINCT year FROM reports WHERE year IS NOT NULL AND is_report = 1 ORDER BY year DESC"
        )
    ]


def agencies(store: Store) -> list[dict[str, Any]]:
    """Every known agency with its place (id, name, level, kind, region code/name, province, url)."""
    return store.query(
        "SELECT id, name, level, kind, region_code, region_name, province, prefecture, county, url "
        "FROM agencies ORDER BY id"
    )


def current_reports(store: Store, *, year: int | None = None) -> list[dict[str, Any]]:
    """The current report of every (agency, year): timeliness columns only (fast, for rollups)."""
    sql = (
        "SELECT id, agency_id, year, published, deadline, days_late FROM reports "
        "WHERE current = 1 AND is_report = 1 AND agency_id IS NOT NULL AND year IS NOT NULL"
    )
    params: list[Any] = []
    if year is not None:
        sql += " AND year = ?"
        params.append(year)
    return store.query(sql, params)


def timeliness_by_agency(store: Store, *, year: int | None = None) -> list[dict[str, Any]]:
    """Per agency: how many of its current reports (of ``year``, or all years) were on time, late,
    or of unknown timeliness (no date or deadline), and how many there are."""
    sql = """SELECT agency_id, SUM(days_late <= 0) AS ontime, SUM(days_late > 0) AS late,
                    SUM(days_late IS NULL) AS unknown, COUNT(*) AS reported
             FROM reports WHERE current = 1 AND is_report = 1 AND agency_id IS NOT NULL
                  AND year IS NOT NULL{year} GROUP BY agency_id"""
    if year is None:
        return store.query(sql.format(year=""))
    return store.query(sql.format(year=" AND year = ?"), (year,))


def findings_by_agency(store: Store, **filters: Any) -> list[dict[str, Any]]:
    """Finding counts per (agency id, severity, review status)."""
    where, params = _finding_where(**filters)
    return store.query(
        f"""SELECT f.agency_id, f.severity, {_STATUS} AS status, COUNT(*) AS n
            FROM findings f LEFT JOIN reviews v ON v.fingerprint = f.fingerprint{where}
            GROUP BY f.agency_id, f.severity, status""",
        params,
    )


def findings_by_rule(store: Store, **filters: Any) -> list[dict[str, Any]]:
    """Finding counts per (rule, severity, review status)."""
    where, params = _finding_where(**filters)
    return store.query(
        f"""SELECT f.rule, f.severity, {_STATUS} AS status, COUNT(*) AS n
            FROM findings f LEFT JOIN reviews v ON v.fingerprint = f.fingerprint{where}
            GROUP BY f.rule, f.severity, status""",
        params,
    )


def _finding_where(
    *,
    year: int | None = None,
    rule: str | None = None,
    severity: str | None = None,
    status: str | None = None,
    agency_ids: Sequence[int] | None = None,
    report_id: int | None = None,
    fingerprints: Sequence[str] | None = None,
    active_only: bool = True,
) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if active_only:
        clauses.append("f.active = 1")
    for sql, value in (
        ("f.year = ?", year),
        ("f.rule = ?", rule),
        ("f.severity = ?", severity),
        (f"{_STATUS} = ?", status),
        ("f.report_id = ?", report_id),
    ):
        if value is not None:
            clauses.append(sql)
            params.append(value)
    for col, values in (("f.agency_id", agency_ids), ("f.fingerprint", fingerprints)):
        if values is not None:
            values = list(values)
            clauses.append(f"{col} IN ({','.join('?' * len(values))})" if values else "0")
            params.extend(values)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def finding_groups(store: Store, **filters: Any) -> list[dict[str, Any]]:
    """Finding counts grouped by (agency id, year, rule, severity, review status)."""
    where, params = _finding_where(**filters)
    return store.query(
        f"""SELECT f.agency_id, f.year, f.rule, f.severity, {_STATUS} AS status, COUNT(*) AS n
            FROM findings f LEFT JOIN reviews v ON v.fingerprint = f.fingerprint{where}
            GROUP BY f.agency_id, f.year, f.rule, f.severity, status""",
        params,
    )


_FINDING_COLS = f"""f.id, f.fingerprint, f.rule, f.severity, f.location, f.message, f.expected, f.actual,
    f.evidence, f.report_id, f.document_id, f.agency_id, f.agency, f.year, f.created_at, f.active,
    {_STATUS} AS status, v.reviewer, v.note AS review_note, v.updated_at AS reviewed_at,
    a.level, a.region_code, r.title AS report_title"""

_FINDING_FROM = """FROM findings f LEFT JOIN reviews v ON v.fingerprint = f.fingerprint
    LEFT JOIN agencies a ON a.id = f.agency_id LEFT JOIN reports r ON r.id = f.report_id"""


def findings(
    store: Store, *, limit: int | None = None, offset: int = 0, **filters: Any
) -> list[dict[str, Any]]:
    """Findings with their review decision, agency place and report title."""
    where, params = _finding_where(**filters)
    sql = f"""SELECT {_FINDING_COLS} {_FINDING_FROM}{where}
              ORDER BY f.agency, f.year DESC,
                       CASE f.severity WHEN 'error' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, f.rule, f.id"""
    if limit is not None:
        sql += " LIMIT ? OFFSET ?"
        params += [limit, offset]
    return store.query(sql, params)


def count_findings(store: Store, **filters: Any) -> int:
    where, params = _finding_where(**filters)
    return store.query(
        f"SELECT COUNT(*) AS n FROM findings f LEFT JOIN reviews v ON v.fingerprint = f.fingerprint{where}",
        params,
    )[0]["n"]


def fingerprints(store: Store, **filters: Any) -> list[str]:
    """Distinct fingerprints of the findings matching the filters (bulk review)."""
    where, params = _finding_where(**filters)
    return [
        r["fingerprint"]
        for r in store.query(
            f"SELECT DISTINCT f.fingerprint FROM findings f "
            f"LEFT JOIN reviews v ON v.fingerprint = f.fingerprint{where}",
            params,
        )
    ]


def agency_reports(store: Store, agency_id: int) -> list[dict[str, Any]]:
    """All reports of an agency (current and superseded), newest year first."""
    return store.query(
        """SELECT r.id, r.year, r.title, COALESCE(r.url, d.url) AS url, r.published, r.published_source,
                  r.deadline, r.days_late, r.layout, r.read_by, r.current, r.first_seen, r.n_findings,
                  r.agency_kind,
                  (SELECT COUNT(*) FROM findings f WHERE f.report_id = r.id AND f.severity = 'error')
                      AS n_errors,
                  (SELECT COUNT(*) FROM findings f WHERE f.report_id = r.id AND f.severity = 'warning')
                      AS n_warnings
           FROM reports r JOIN documents d ON d.id = r.document_id
           WHERE r.agency_id = ? AND r.is_report = 1
           ORDER BY r.year DESC, r.current DESC, r.id DESC""",
        (agency_id,),
    )


def report(store: Store, report_id: int) -> dict[str, Any] | None:
    """A report row with its document and version facts (URL, format, content type, sha)."""
    return store.one(
        """SELECT r.*, COALESCE(r.url, d.url) AS doc_url, d.url AS document_url, d.removed_at,
                  v.id AS version_id, v.format, v.content_type, v.size, v.sha256, v.fetched_at,
                  a.region_code, a.level AS agency_level, a.url AS agency_url
           FROM reports r JOIN documents d ON d.id = r.document_id
           LEFT JOIN document_versions v ON v.id = r.version_id
           LEFT JOIN agencies a ON a.id = r.agency_id
           WHERE r.id = ?""",
        (report_id,),
    )


def cells(store: Store, report_id: int) -> list[dict[str, Any]]:
    return store.query(
        "SELECT tbl, row_key, col_key, value, raw, status, confidence, note FROM cells WHERE report_id = ?",
        (report_id,),
    )


def version(store: Store, version_id: int) -> dict[str, Any] | None:
    """A stored document version: its bytes' hash, format, content type and URL."""
    return store.one(
        """SELECT v.id, v.sha256, v.size, v.format, v.content_type, v.headers, v.final_url, d.url
           FROM document_versions v JOIN documents d ON d.id = v.document_id WHERE v.id = ?""",
        (version_id,),
    )


def review_history(store: Store, fps: Iterable[str]) -> list[dict[str, Any]]:
    fps = list(fps)
    if not fps:
        return []
    return store.query(
        f"SELECT fingerprint, status, previous_status, reviewer, note, at FROM review_history "
        f"WHERE fingerprint IN ({','.join('?' * len(fps))}) ORDER BY at DESC, id DESC",
        fps,
    )


def set_reviews(
    store: Store, fps: Iterable[str], status: str, *, reviewer: str, note: str | None = None
) -> int:
    """Record one decision on many fingerprints in one transaction; returns how many."""
    n = 0
    with store.transaction():
        for fp in dict.fromkeys(fps):
            store.set_review(fp, status, reviewer=reviewer, note=note)
            n += 1
    return n
