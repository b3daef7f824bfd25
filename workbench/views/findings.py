"""The findings list (filterable, with bulk review) and the review action."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from nianbao.labels import STATUSES
from nianbao.storage import views as q
from nianbao.workbench import overview as ov
from nianbao.workbench.places import region_name
from nianbao.workbench.web import (
    error_page,
    filter_params,
    filters_from,
    flash,
    int_param,
    page,
    render,
    safe_next,
)

PAGE_SIZE = 100
MAX_NOTE = 2000


def _scope(store, f: ov.Filters) -> dict:
    """Finding filters for the officer's filters (region/level become a list of agency ids)."""
    scope = dict(f.finding_filters)
    if f.region or f.level:
        scope["agency_ids"] = [a["id"] for a, _ in ov.select_agencies(q.agencies(store), f)]
    return scope


@page()
async def finding_list(request: Request) -> Response:
    store = request.app.state.store
    f = filters_from(request.query_params)
    scope = _scope(store, f)
    pageno = max(int_param(request.query_params.get("page")) or 1, 1)
    total = q.count_findings(store, **scope)
    rows = q.findings(store, limit=PAGE_SIZE, offset=(pageno - 1) * PAGE_SIZE, **scope)
    return render(request, "findings.html", {
        "f": f, "rows": rows, "total": total, "page": pageno,
        "pages": max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1), "years": q.years(store),
        "rule_names": sorted({g["rule"] for g in q.finding_groups(store)}),
        "region_label": region_name(f.region) if f.region else "全部地区",
        "params": filter_params(f),
    })  # fmt: skip


@page(role="reviewer")
async def review(request: Request) -> Response:
    """Set one status (with a note) on the chosen findings, or on every finding matching the filters."""
    store = request.app.state.store
    form = request.state.form
    status = str(form.get("decision") or "")
    if status not in STATUSES:
        return error_page(request, 400, "请选择审核结论（待审核 / 已确认 / 已驳回）。")
    note = (str(form.get("note") or "").strip() or None)
    if note and len(note) > MAX_NOTE:
        return error_page(request, 400, f"备注过长（最多 {MAX_NOTE} 字）。")
    if form.get("scope") == "filtered":
        f = filters_from(form)
        fps = q.fingerprints(store, **_scope(store, f))
    else:
        fps = [str(v) for v in form.getlist("fp") if str(v).isalnum()]
        known = set(q.fingerprints(store, fingerprints=fps, active_only=False)) if fps else set()
        fps = [fp for fp in fps if fp in known]
    if not fps:
        flash(request, "没有选中任何问题。", "warn")
    else:
        n = q.set_reviews(store, fps, status, reviewer=request.state.user["name"], note=note)
        flash(request, f"已将 {n} 项问题标记为「{STATUSES[status]}」。")
    return RedirectResponse(safe_next(str(form.get("next") or "")), status_code=303)
