"""Run history (``nianbao runs``): what each crawl did, and how each site is doing (reads the store)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from storage.store import loads, to_date

HEALTH_ZH = {"ok": "正常", "unreachable": "无法访问", "blocked": "被robots/反爬阻止", "empty": "栏目为空",
             "degraded": "错误较多", "no_reports": "未找到报告"}


def run_summaries(store, *, limit: int = 20, kind: str | None = "crawl") -> list[dict[str, Any]]:
    """The latest runs, newest first: times, requests, bytes, new/changed/removed reports, errors."""
    where = "WHERE kind = ?" if kind else ""
    runs = store.query(f"SELECT * FROM runs {where} ORDER BY id DESC LIMIT ?", ((kind, limit) if kind else (limit,)))
    out = []
    for r in runs:
        stats = loads(r["stats"], {}) or {}
        rid = r["id"]
        new = store.one(
            """SELECT COUNT(DISTINCT rep.id) AS n FROM reports rep JOIN documents d ON d.id = rep.document_id
               WHERE rep.is_report = 1 AND d.run_id = ?""", (rid,))["n"]
        changed = store.one(
            """SELECT COUNT(DISTINCT rep.id) AS n FROM reports rep JOIN document_versions v ON v.id = rep.version_id
               JOIN documents d ON d.id = v.document_id
               WHERE rep.is_report = 1 AND v.run_id = ? AND (d.run_id IS NULL OR d.run_id != ?)""", (rid, rid))["n"]
        removed = store.one(
            """SELECT COUNT(DISTINCT d.id) AS n FROM documents d JOIN reports rep ON rep.document_id = d.id
               WHERE rep.is_report = 1 AND d.site IN (SELECT site FROM run_sites WHERE run_id = ?)
                 AND EXISTS (SELECT 1 FROM fetches f WHERE f.document_id = d.id AND f.run_id =
                     (SELECT MAX(f2.run_id) FROM fetches f2 JOIN documents d2 ON d2.id = f2.document_id
                      WHERE d2.site = d.site AND f2.run_id < ?))
                 AND NOT EXISTS (SELECT 1 FROM fetches f WHERE f.document_id = d.id AND f.run_id = ?
                                 AND COALESCE(f.status, 200) < 400)""", (rid, rid, rid))["n"]
        sites = site_health(store, rid)
        out.append({
            "id": rid, "kind": r["kind"], "status": r["status"], "started": r["started_at"],
            "finished": r["finished_at"], "seconds": _seconds(r["started_at"], r["finished_at"]),
            "requests": stats.get("downloader/request_count", 0), "bytes": stats.get("downloader/response_bytes", 0),
            "not_modified": stats.get("nianbao/not_modified", 0), "new": new, "changed": changed,
            "removed": removed, "errors": sum(s["errors"] for s in sites), "sites": sites,
        })
    return out


def _seconds(a: str | None, b: str | None) -> float | None:
    if not a or not b:
        return None
    return (dt.datetime.fromisoformat(b) - dt.datetime.fromisoformat(a)).total_seconds()


def site_health(store, run_id: int, today: dt.date | None = None) -> list[dict[str, Any]]:
    """Per-site figures of a run and days since the site last showed a new document."""
    today = today or dt.date.today()
    rows = store.query(
        """SELECT rs.site, rs.agency, rs.stats, rs.health,
                  (SELECT MAX(d.first_seen) FROM documents d WHERE d.site = rs.site) AS last_new
           FROM run_sites rs WHERE rs.run_id = ? ORDER BY rs.site""", (run_id,))
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
        })
    return out


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f}{unit}" if unit == "B" else f"{n:.1f}{unit}"
        n /= 1024
    return str(n)


def format_runs(runs: list[dict[str, Any]], *, sites: bool = True) -> list[str]:
    """Chinese lines for the terminal."""
    lines = []
    for r in runs:
        secs = f"{r['seconds']:.0f}秒" if r["seconds"] is not None else "进行中"
        lines.append(
            f"#{r['id']} {r['kind']} {r['status']}  开始 {r['started']}  结束 {r['finished'] or '—'}（{secs}）  "
            f"请求 {r['requests']} · 下载 {_size(r['bytes'])} · 未修改(304) {r['not_modified']} · "
            f"新报告 {r['new']} · 变更 {r['changed']} · 撤下 {r['removed']} · 错误 {r['errors']}")
        if sites:
            for s in r["sites"]:
                days = "—" if s["days_since_new"] is None else f"{s['days_since_new']}天"
                lines.append(
                    f"    {HEALTH_ZH.get(s['health'], s['health'])}  {s['agency'] or ''} {s['site']}  "
                    f"请求 {s['requests']} · {_size(s['bytes'])} · 报告 {s['reports']}（未变 {s['unchanged']}）"
                    f" · 错误 {s['errors']} · robots拦截 {s['robots_forbidden']} · 距上次新文档 {days}")
    return lines
