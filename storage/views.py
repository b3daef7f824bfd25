"""Read queries behind the workbench pages (overview, agencies, findings, report detail).

Plain SELECTs returning dicts; grouping by region (which needs the region registry) and all
presentation happen in ``workbench``.  Findings without a review row are ``pending``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from nianbao import labels
from nianbao.storage.store import loads, to_date

if TYPE_CHECKING:
    from nianbao.storage.store import Store

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


def findings_by(store: Store, key: str, **filters: Any) -> list[dict[str, Any]]:
    """Finding counts per (``key``, severity, review status); ``key`` is ``agency_id`` or ``rule``."""
    if key not in ("agency_id", "rule"):
        raise ValueError(f"cannot count findings by {key!r}")
    where, params = _finding_where(**filters)
    return store.query(
        f"""SELECT f.{key}, f.severity, {_STATUS} AS status, COUNT(*) AS n
            FROM findings f LEFT JOIN reviews v ON v.fingerprint = f.fingerprint{_RECT_JOIN}{where}
            GROUP BY f.{key}, f.severity, status""",
        params,
    )


_RECT_JOIN = " LEFT JOIN rectifications x ON x.fingerprint = f.fingerprint"


def _finding_where(
    *,
    year: int | None = None,
    rule: str | None = None,
    severity: str | None = None,
    severities: Sequence[str] | None = None,
    status: str | None = None,
    statuses: Sequence[str] | None = None,
    text: str | None = None,
    rectify: str | None = None,
    agency_ids: Sequence[int] | None = None,
    report_id: int | None = None,
    fingerprints: Sequence[str] | None = None,
    active_only: bool = True,
) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if rectify == "rectified":  # the defect is gone from the current report: show the notified one
        clauses.append("x.state = 'rectified' AND f.report_id = x.report_id")
    elif active_only:
        clauses.append("f.active = 1")
    if rectify in ("notified", "overdue"):
        clauses.append("x.state = ?")
        params.append(rectify)
    elif rectify == "none":
        clauses.append("x.state IS NULL")
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
    if text:
        like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        clauses.append("(f.message LIKE ? ESCAPE '\\' OR f.agency LIKE ? ESCAPE '\\' OR f.evidence LIKE ? ESCAPE '\\')")
        params.extend([like, like, like])
    for col, values in (("f.agency_id", agency_ids), ("f.fingerprint", fingerprints), ("f.severity", severities),
                        (_STATUS, statuses)):
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
            FROM findings f LEFT JOIN reviews v ON v.fingerprint = f.fingerprint{_RECT_JOIN}{where}
            GROUP BY f.agency_id, f.year, f.rule, f.severity, status""",
        params,
    )


_FINDING_COLS = f"""f.id, f.fingerprint, f.rule, f.severity, f.location, f.message, f.expected, f.actual,
    f.evidence, f.report_id, f.document_id, f.agency_id, f.agency, f.year, f.created_at, f.active,
    {_STATUS} AS status, v.reviewer, v.note AS review_note, v.updated_at AS reviewed_at,
    a.level, a.region_code, r.title AS report_title,
    x.state AS rectify_state, x.deadline AS rectify_deadline, x.notified_to, x.evidence AS rectify_evidence"""

_FINDING_FROM = f"""FROM findings f LEFT JOIN reviews v ON v.fingerprint = f.fingerprint{_RECT_JOIN}
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
        f"SELECT COUNT(*) AS n FROM findings f LEFT JOIN reviews v ON v.fingerprint = f.fingerprint{_RECT_JOIN}{where}",
        params,
    )[0]["n"]


def fingerprints(store: Store, **filters: Any) -> list[str]:
    """Distinct fingerprints of the findings matching the filters (bulk review)."""
    where, params = _finding_where(**filters)
    return [
        r["fingerprint"]
        for r in store.query(
            f"SELECT DISTINCT f.fingerprint FROM findings f "
            f"LEFT JOIN reviews v ON v.fingerprint = f.fingerprint{_RECT_JOIN}{where}",
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
    store: Store, fps: Iterable[str], status: str, *, reviewer: str, note: str | None = None,
    only_pending: bool = False,
) -> tuple[int, int]:
    """Record one decision on many fingerprints in one transaction; returns (changed, skipped).

    An empty ``note`` keeps the note already recorded (a re-save never wipes it).  Findings
    already at ``status`` are skipped, and with ``only_pending`` so is every decided one (a bulk
    action must not overwrite a colleague's decision unless told to).
    """
    changed = skipped = 0
    with store.transaction():
        for fp in dict.fromkeys(fps):
            current = store.review(fp)
            if current["status"] == status and (note is None or note == current["note"]):
                skipped += 1
                continue
            if only_pending and current["status"] != "pending":
                skipped += 1
                continue
            store.set_review(fp, status, reviewer=reviewer, note=note if note is not None else current["note"])
            changed += 1
    return changed, skipped


# ---------------------------------------------------------------- runs (``nianbao runs`` and the workbench)

HEALTH_LABELS = labels.HEALTH
# Site health that needs an officer's attention (the workbench marks these rows).
BAD_HEALTH = ("unreachable", "blocked", "empty", "degraded", "no_reports", "unreadable")


def _seconds(a: str | None, b: str | None) -> float | None:
    if not a or not b:
        return None
    import datetime as dt

    return (dt.datetime.fromisoformat(b) - dt.datetime.fromisoformat(a)).total_seconds()


def run_summaries(
    store: Store,
    *,
    limit: int = 20,
    kind: str | None = "crawl",
    run_id: int | None = None,
    offset: int = 0,
    today: Any = None,
) -> list[dict[str, Any]]:
    """The latest runs (or the one ``run_id``), newest first: times, requests, bytes,
    new/changed/removed reports, errors and per-site health (``sites``).

    ``removed``: reports fetched by the site's previous run and not fetched (or fetched with an
    error status) by this one, counted only for sites this run fetched documents from, so a site
    that could not be reached at all does not count as having removed its reports (the same
    basis as the REPORT_REMOVED history rule).
    """

    clauses, params = [], []
    if run_id is not None:
        clauses.append("id = ?")
        params.append(run_id)
    elif kind:
        clauses.append("kind = ?")
        params.append(kind)
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    runs = store.query(f"SELECT * FROM runs{where} ORDER BY id DESC LIMIT ? OFFSET ?", [*params, limit, offset])
    out = []
    for r in runs:
        stats = loads(r["stats"], {}) or {}
        rid = r["id"]
        new = store.one(
            """SELECT COUNT(DISTINCT rep.id) AS n FROM reports rep JOIN documents d ON d.id = rep.document_id
               WHERE rep.is_report = 1 AND d.run_id = ?""", (rid,))["n"]  # fmt: skip
        changed = store.one(
            """SELECT COUNT(DISTINCT rep.id) AS n FROM reports rep JOIN document_versions v ON v.id = rep.version_id
               JOIN documents d ON d.id = v.document_id
               WHERE rep.is_report = 1 AND v.run_id = ? AND (d.run_id IS NULL OR d.run_id != ?)""", (rid, rid))["n"]  # fmt: skip
        removed = store.one(
            """SELECT COUNT(DISTINCT d.id) AS n FROM documents d JOIN reports rep ON rep.document_id = d.id
               WHERE rep.is_report = 1 AND d.site IN (SELECT d3.site FROM fetches f3
                                                      JOIN documents d3 ON d3.id = f3.document_id
                                                      WHERE f3.run_id = ?)
                 AND EXISTS (SELECT 1 FROM fetches f WHERE f.document_id = d.id AND f.run_id =
                     (SELECT MAX(f2.run_id) FROM fetches f2 JOIN documents d2 ON d2.id = f2.document_id
                      WHERE d2.site = d.site AND f2.run_id < ?))
                 AND NOT EXISTS (SELECT 1 FROM fetches f WHERE f.document_id = d.id AND f.run_id = ?
                                 AND COALESCE(f.status, 200) < 400)""", (rid, rid, rid))["n"]  # fmt: skip
        sites = site_health(store, rid, today)
        out.append({
            "id": rid, "kind": r["kind"], "status": r["status"], "started": r["started_at"],
            "finished": r["finished_at"], "seconds": _seconds(r["started_at"], r["finished_at"]),
            "requests": stats.get("downloader/request_count", 0), "bytes": stats.get("downloader/response_bytes", 0),
            "not_modified": stats.get("nianbao/not_modified", 0), "new": new, "changed": changed,
            "removed": removed, "errors": sum(s["errors"] for s in sites), "sites": sites,
            "params": loads(r["params"], {}) or {}, "stats": stats,
        })  # fmt: skip
    return out


def count_runs(store: Store, *, kind: str | None = None) -> int:
    if kind:
        return store.one("SELECT COUNT(*) AS n FROM runs WHERE kind = ?", (kind,))["n"]
    return store.one("SELECT COUNT(*) AS n FROM runs")["n"]


def run_kinds(store: Store) -> list[str]:
    return [r["kind"] for r in store.query("SELECT DISTINCT kind FROM runs ORDER BY kind")]


def site_health(store: Store, run_id: int, today: Any = None) -> list[dict[str, Any]]:
    """Per-site figures of a run and days since the site last showed a new document."""
    import datetime as dt


    today = today or dt.date.today()
    rows = store.query(
        """SELECT rs.site, rs.agency, rs.stats, rs.health,
                  (SELECT MAX(d.first_seen) FROM documents d WHERE d.site = rs.site) AS last_new
           FROM run_sites rs WHERE rs.run_id = ? ORDER BY rs.site""", (run_id,))  # fmt: skip
    out = []
    for r in rows:
        s = loads(r["stats"], {}) or {}
        last_new = to_date(r["last_new"])
        out.append({
            "site": r["site"], "agency": r["agency"], "health": r["health"] or "?",
            "requests": s.get("requests", 0), "bytes": s.get("bytes", 0), "reports": s.get("reports", 0),
            "unchanged": s.get("unchanged_reports", 0), "not_modified": s.get("status_304", 0),
            "errors": s.get("errors", 0) + s.get("fetch_errors", 0) + s.get("status_5xx", 0),
            "robots_forbidden": s.get("robots_forbidden", 0),
            "days_since_new": (today - last_new).days if last_new else None,
            "problems": len(s.get("problems") or []),
            "diagnosis": s.get("diagnosis"),
            "diagnosis_lines": diagnosis_lines(s["diagnosis"]) if s.get("diagnosis") else [],
        })  # fmt: skip
    return out


def site_record(store: Store, site: str, run_id: int) -> tuple[int | None, list[int]]:
    """For a site: the reports its previous run counted (None: no previous run) and the years of all
    its stored reports."""
    prev = store.one(
        "SELECT stats FROM run_sites WHERE site = ? AND run_id < ? ORDER BY run_id DESC LIMIT 1", (site, run_id))
    before = None
    if prev is not None:
        st = loads(prev["stats"], {}) or {}
        before = int(st.get("reports", 0)) + int(st.get("resumed_reports", 0))
    years = [r["year"] for r in store.query(
        """SELECT DISTINCT r.year FROM reports r JOIN documents d ON d.id = r.document_id
           WHERE d.site = ? AND r.year IS NOT NULL ORDER BY r.year""", (site,))]  # fmt: skip
    return before, years


def diagnosis_reasons(reports: int, before: int | None, years: list[int]) -> dict[str, Any]:
    """Why a site's run deserves a diagnosis (empty: it does not): no report; fewer reports than its
    previous run; years missing between its first and its latest report (pure)."""
    out: dict[str, Any] = {}
    if not reports:
        out["none"] = True
    elif before is not None and reports < before:
        out["fewer"] = [reports, before]
    gaps = [y for y in range(years[0], years[-1]) if y not in set(years)] if years else []
    if gaps:
        out["missing_years"] = gaps
    return out


def diagnosis_lines(d: dict[str, Any]) -> list[str]:
    """Why a site gave no (or too few) reports, in Chinese, with what the operator can do (pure)."""
    out = []
    why = d.get("why") or {}
    if why.get("fewer"):
        out.append(f"诊断：本次找到 {why['fewer'][0]} 份报告，上次 {why['fewer'][1]} 份")
    if why.get("missing_years"):
        out.append("诊断：缺少年度 " + "、".join(str(y) for y in why["missing_years"]) + "（首末年度之间没有报告）")
    walked = d.get("walked") or []
    if walked:
        out.append("诊断：走过的页面 " + " → ".join(
            f"{(w[2] or w[1])[:24]}{'（浏览器）' if w[3] else ''}" for w in walked[:6]))
    best = d.get("best") or []
    if best:
        out.append("诊断：得分最高的链接 " + "；".join(f"{b[2] or '（无文字）'}（{b[0]}分）{b[3]}" for b in best[:3]))
    else:
        out.append("诊断：页面上没有任何像报告、年报栏目或信息公开的链接")
    out.append(f"诊断：浏览器渲染 {len(d.get('rendered') or [])} 页，点击 {d.get('clicks', 0)} 次"
               + ("，渲染预算已用完" if d.get("render_budget_out") else ""))
    out.append("建议：在站点列表中把该机构的网址改为其年报栏目（或信息公开平台）的网址；"
               "若栏目由脚本生成，可加 render=always 列，或调大 NIANBAO_RENDER_BUDGET")
    return out


def run_problems(store: Store, run_id: int, *, limit: int = 1000) -> list[dict[str, Any]]:
    """What went wrong in a run, each with its site and URL: the failures the crawler kept
    (``run_sites.stats.problems``) and the fetches answered with an HTTP error status."""

    out: list[dict[str, Any]] = []
    for rs in store.query("SELECT site, agency, stats FROM run_sites WHERE run_id = ? ORDER BY site", (run_id,)):
        for p in (loads(rs["stats"], {}) or {}).get("problems") or []:
            if isinstance(p, dict):
                url, kind, error = p.get("url"), p.get("kind") or "page", p.get("error")
            else:  # a bare message
                url, kind, error = None, "page", str(p)
            out.append({"site": rs["site"], "agency": rs["agency"], "url": url, "kind": kind, "status": None,
                        "error": error})  # fmt: skip
    for f in store.query(
        """SELECT d.site, d.url, d.agency_hint, f.status, f.fetched_at,
                  (SELECT rs.agency FROM run_sites rs WHERE rs.run_id = f.run_id AND rs.site = d.site) AS agency
           FROM fetches f JOIN documents d ON d.id = f.document_id
           WHERE f.run_id = ? AND f.status >= 400 ORDER BY d.site, d.url""",
        (run_id,),
    ):
        out.append({"site": f["site"], "agency": f["agency"] or f["agency_hint"], "url": f["url"],
                    "kind": "document", "status": f["status"], "error": f"HTTP {f['status']}"})  # fmt: skip
    return out[:limit]


# ---------------------------------------------------------------- history findings

HISTORY_RULES = ("MISSING_REPORT", "CHANGED_AFTER_PUBLICATION", "REPORT_REMOVED", "COPIED_FROM_PRIOR_YEAR",
                 "COPIED_FROM_OTHER_AGENCY", "CARRY_OVER_MISMATCH", "STOCK_MISMATCH", "HIERARCHY_MISMATCH")  # fmt: skip


def history_audited(store: Store) -> bool:
    """Whether the history rules have run over this store: a finished ``monitor`` run, or any
    stored finding of a history rule (``nianbao schedule audit`` records no run)."""
    marks = ",".join("?" * len(HISTORY_RULES))
    return bool(store.one(
        f"""SELECT EXISTS (SELECT 1 FROM runs WHERE kind = 'monitor' AND status = 'finished')
                OR EXISTS (SELECT 1 FROM findings WHERE rule IN ({marks})) AS done""",
        HISTORY_RULES,
    )["done"])  # fmt: skip


def missing_report_findings(store: Store, *, year: int | None = None,
                            agency_id: int | None = None) -> list[dict[str, Any]]:
    """Active MISSING_REPORT findings (one per agency and year) with their review status."""
    where, params = _finding_where(year=year, rule="MISSING_REPORT",
                                   agency_ids=[agency_id] if agency_id is not None else None)  # fmt: skip
    return store.query(
        f"""SELECT f.id, f.agency_id, f.agency, f.year, f.message, f.fingerprint, {_STATUS} AS status
            FROM findings f LEFT JOIN reviews v ON v.fingerprint = f.fingerprint{_RECT_JOIN}{where}
            ORDER BY f.agency_id, f.year""",
        params,
    )


def report_flags(store: Store, report_ids: Sequence[int]) -> dict[int, set[str]]:
    """History rules (REPORT_REMOVED, CHANGED_AFTER_PUBLICATION) that fired on each report."""
    ids = list(report_ids)
    if not ids:
        return {}
    out: dict[int, set[str]] = {}
    for r in store.query(
        f"""SELECT report_id, rule FROM findings WHERE report_id IN ({','.join('?' * len(ids))})
            AND rule IN ('REPORT_REMOVED', 'CHANGED_AFTER_PUBLICATION')""",
        ids,
    ):
        out.setdefault(r["report_id"], set()).add(r["rule"])
    return out
