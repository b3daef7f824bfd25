"""The findings list (filterable, with bulk review) and the review action."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from nianbao.labels import STATUSES
from nianbao.storage import rectify
from nianbao.storage import views as q
from nianbao.workbench import overview as ov
from nianbao.workbench.places import region_name
from nianbao.workbench.views.overview import scoped_regions
from nianbao.workbench.web import (
    error_page,
    filter_params,
    flash,
    int_param,
    page,
    render,
    request_filters,
    request_scope,
    safe_next,
    text_param,
)

PAGE_SIZE = 100
MAX_NOTE = 2000


def _scope(store, f: ov.Filters) -> dict:
    """Finding filters for the officer's filters (region/level become a list of agency ids)."""
    scope = dict(f.finding_filters)
    if f.region or f.level:
        scope["agency_ids"] = [a["id"] for a, _ in ov.select_agencies(q.agencies(store), f)]
    return scope


QUEUE_SEVERITIES = ("error", "warning")  # the default review queue: 提示 notices one click away
MAX_SEARCH = 100


def queue_scope(request: Request, store, params) -> tuple[dict, dict]:
    """(finding filters, extra query params) of the review queue for ``params`` (query or form).

    Without an explicit 严重程度 the queue shows errors and warnings (``severity=all`` shows every
    severity); ``q`` searches the message, agency name and evidence.  Always inside the account's
    region scope (a bulk action on 「当前筛选的全部」 never reaches a finding outside it).
    """
    f = request_filters(request, params)
    scope = request_scope(request).finding_filters(store, _scope(store, f))
    extra: dict = {}
    if f.severity is None:
        if params.get("severity") == "all":
            extra["severity"] = "all"
        else:
            scope["severities"] = list(QUEUE_SEVERITIES)
    state = text_param(params.get("rectify"), (*rectify.STATES, "none"))
    if state:
        scope["rectify"] = state
        extra["rectify"] = state
    text = str(params.get("q") or "").strip()[:MAX_SEARCH]
    if text:
        scope["text"] = text
        extra["q"] = text
    return scope, extra


def sorted_rules(names, titles: dict[str, str]) -> list[str]:
    """Rule names in the order of their Chinese titles (the code only breaks ties)."""
    return sorted(names, key=lambda r: (titles.get(r, r), r))


@page()
async def finding_list(request: Request) -> Response:
    store = request.app.state.store
    f = request_filters(request)
    scope, extra = queue_scope(request, store, request.query_params)
    pageno = max(int_param(request.query_params.get("page")) or 1, 1)
    total = q.count_findings(store, **scope)
    rows = q.findings(store, limit=PAGE_SIZE, offset=(pageno - 1) * PAGE_SIZE, **scope)
    notices = 0
    if "severities" in scope:
        notices = q.count_findings(store, **{**{k: v for k, v in scope.items() if k != "severities"},
                                             "severity": "info"})
    titles = request.app.state.rule_titles()
    return render(request, "findings.html", {
        "f": f, "rows": rows, "total": total, "page": pageno,
        "pages": max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1), "years": q.years(store),
        "rule_names": sorted_rules({g["rule"] for g in q.finding_groups(
            store, **request_scope(request).finding_filters(store, {}))}, titles),
        "region_label": region_name(f.region) if f.region else "全部地区",
        "regions": scoped_regions(request, q.agencies(store), f.region),
        "params": {**filter_params(f), **extra}, "search": extra.get("q", ""),
        "queue_default": "severities" in scope, "notices": notices, "rectify_state": extra.get("rectify"),
    })  # fmt: skip


def _chosen(request: Request, store, form) -> list[str]:
    """Fingerprints the form names (ticked ones, or every one matching the filters), only those
    inside the account's region scope."""
    if form.get("scope") == "filtered":
        return q.fingerprints(store, **queue_scope(request, store, form)[0])
    fps = [str(v) for v in form.getlist("fp") if str(v).isalnum()]
    wanted = request_scope(request).finding_filters(store, {"fingerprints": fps, "active_only": False})
    known = set(q.fingerprints(store, **wanted)) if fps else set()
    return [fp for fp in fps if fp in known]


def _notify(request: Request, store, form) -> Response:
    """已通知整改 on the chosen confirmed findings, with a deadline and who was told."""
    deadline = rectify.parse_deadline(form.get("deadline"))
    told = str(form.get("notified_to") or "").strip()
    if deadline is None or not told:
        return error_page(request, 400, "通知整改需要填写整改期限（日期）和通知对象。")
    if len(told) > 200:
        return error_page(request, 400, "通知对象过长（最多 200 字）。")
    fps = _chosen(request, store, form)
    if not fps:
        flash(request, "没有选中任何问题。", "warn")
    else:
        n, skipped = rectify.notify(store, fps, deadline=deadline, notified_to=told, by=request.state.user["name"])
        message = f"已将 {n} 项问题标记为「已通知整改」，整改期限 {deadline.isoformat()}。"
        if skipped:
            message += f"另有 {skipped} 项未确认或已整改，未修改（只有已确认的问题可以通知整改）。"
        flash(request, message, "ok" if n else "warn")
    return RedirectResponse(safe_next(str(form.get("next") or "")), status_code=303)


@page(role="reviewer")
async def review(request: Request) -> Response:
    """Set one status (with a note) on the chosen findings, or on every finding matching the filters."""
    store = request.app.state.store
    form = request.state.form
    status = str(form.get("decision") or "")
    if status == "notified":
        return _notify(request, store, form)
    if status not in STATUSES:
        return error_page(request, 400, "请选择审核结论（待审核 / 已确认 / 已驳回）。")
    note = (str(form.get("note") or "").strip() or None)
    if note and len(note) > MAX_NOTE:
        return error_page(request, 400, f"备注过长（最多 {MAX_NOTE} 字）。")
    fps = _chosen(request, store, form)
    if not fps:
        flash(request, "没有选中任何问题。", "warn")
    else:
        # the bulk form never overwrites a decision (a colleague's 已驳回 and its note) unless asked
        only_pending = bool(form.get("bulk")) and not form.get("include_decided")
        n, skipped = q.set_reviews(store, fps, status, reviewer=request.state.user["name"], note=note,
                                   only_pending=only_pending)
        message = f"已将 {n} 项问题标记为「{STATUSES[status]}」。"
        if skipped:
            message += (f"另有 {skipped} 项已审核或已是该状态，未修改"
                        + ("（如需覆盖已审核的结论，请勾选「包括已审核的问题」）。" if only_pending else "。"))
        flash(request, message, "ok" if n else "warn")
    return RedirectResponse(safe_next(str(form.get("next") or "")), status_code=303)
