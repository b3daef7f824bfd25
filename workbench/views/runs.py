"""抓取记录: the run history (list of runs) and one run's per-site health and problems.

The figures come from ``nianbao.storage.views.run_summaries`` / ``site_health`` / ``run_problems``, the
same queries behind ``nianbao runs``.
"""

from __future__ import annotations

from collections import Counter

from starlette.requests import Request
from starlette.responses import Response

from nianbao import labels
from nianbao.storage import views as q
from nianbao.workbench.web import error_page, int_param, page, render, request_scope, text_param

PAGE_SIZE = 30
# a run covers every site it crawled: shown only to accounts without a region scope
SCOPED_MESSAGE = "抓取记录涵盖所有地区的网站，只对不限地区的账号开放。"
RUN_KINDS = {"crawl": "抓取", "monitor": "监测计划", "ingest": "导入", "reparse": "重新解析"}
RUN_STATUSES = labels.RUN_STATUSES


def health_counts(sites: list[dict]) -> Counter:
    """How many sites of a run are in each health state."""
    return Counter(s["health"] for s in sites)


@page()
async def run_list(request: Request) -> Response:
    if request_scope(request).limited:
        return error_page(request, 403, SCOPED_MESSAGE)
    store = request.app.state.store
    kinds = q.run_kinds(store)
    kind = text_param(request.query_params.get("kind"))
    if kind not in kinds and kind != "all":
        kind = "crawl" if "crawl" in kinds or not kinds else "all"
    pageno = max(int_param(request.query_params.get("page")) or 1, 1)
    scope = None if kind == "all" else kind
    total = q.count_runs(store, kind=scope)
    runs = q.run_summaries(store, kind=scope, limit=PAGE_SIZE, offset=(pageno - 1) * PAGE_SIZE)
    for r in runs:
        r["health"] = health_counts(r["sites"])
        r["bad_sites"] = sum(n for h, n in r["health"].items() if h in q.BAD_HEALTH)
    return render(request, "runs.html", {
        "runs": runs, "kind": kind, "kinds": kinds, "total": total, "page": pageno,
        "pages": max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1), "RUN_KINDS": RUN_KINDS, "RUN_STATUSES": RUN_STATUSES,
    })  # fmt: skip


@page()
async def run_detail(request: Request) -> Response:
    if request_scope(request).limited:
        return error_page(request, 403, SCOPED_MESSAGE)
    store = request.app.state.store
    rid = int(request.path_params["run_id"])
    found = q.run_summaries(store, run_id=rid, limit=1)
    if not found:
        return error_page(request, 404, "没有这次运行记录。")
    run = found[0]
    bad = {"unreachable": 0, "blocked": 1, "empty": 2, "degraded": 3, "no_reports": 4}
    sites = sorted(run["sites"], key=lambda s: (bad.get(s["health"], 9), s["site"]))
    history = store.query(
        "SELECT rule, COUNT(*) AS n FROM findings WHERE run_id = ? GROUP BY rule ORDER BY n DESC, rule", (rid,))
    crawl_runs = [c for c in run["stats"].get("crawl_runs") or [] if isinstance(c, int)]
    return render(request, "run.html", {
        "run": run, "sites": sites, "health": health_counts(run["sites"]), "problems": q.run_problems(store, rid),
        "history": history, "crawl_runs": crawl_runs,
        "messages": [str(p) for p in run["stats"].get("problems") or []] if run["kind"] == "monitor" else [],
        "RUN_KINDS": RUN_KINDS, "RUN_STATUSES": RUN_STATUSES, "BAD_HEALTH": q.BAD_HEALTH,
    })  # fmt: skip
