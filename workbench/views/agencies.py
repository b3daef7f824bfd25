"""Agency lists (by region, year and timeliness) and one agency's reports across years."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from starlette.requests import Request
from starlette.responses import Response

from nianbao.labels import TIMELINESS_LABELS
from nianbao.storage import views as q
from nianbao.workbench import overview as ov
from nianbao.workbench.places import agency_place, region_name
from nianbao.workbench.views.overview import scoped_regions
from nianbao.workbench.web import (
    error_page,
    filter_params,
    int_param,
    page,
    render,
    request_filters,
    request_scope,
    text_param,
)

PAGE_SIZE = 100


def _place_text(place) -> str:
    parts = [p[1] for p in (place.province, place.prefecture, place.county) if p]
    return " · ".join(dict.fromkeys(parts)) or "地区不明"


@page()
async def agency_list(request: Request) -> Response:
    store = request.app.state.store
    f = request_filters(request)
    years = q.years(store)
    year = f.year or (years[0] if years else None)
    wanted = text_param(request.query_params.get("timeliness"), TIMELINESS_LABELS)
    name_q = (request.query_params.get("q") or "").strip()
    pageno = max(int_param(request.query_params.get("page")) or 1, 1)
    reports = {r["agency_id"]: r for r in q.current_reports(store, year=year)} if year else {}
    audited = q.history_audited(store)
    missing = {m["agency_id"]: m for m in q.missing_report_findings(store, year=year)} if audited and year else {}
    counts = Counter()
    for g in q.finding_groups(store, year=year):
        if g["status"] != "dismissed":
            counts[(g["agency_id"], g["severity"])] += g["n"]
    rows = []
    for a, place in ov.select_agencies(q.agencies(store), f):
        if name_q and name_q not in a["name"]:
            continue
        rep = reports.get(a["id"])
        status = ov.agency_year_status(rep, missing.get(a["id"]), audited)
        if wanted and status != wanted:
            continue
        rows.append({
            "agency": a, "place": _place_text(place), "report": rep, "timeliness": status,
            "errors": counts[(a["id"], "error")], "warnings": counts[(a["id"], "warning")],
        })  # fmt: skip
    rows.sort(key=lambda r: (-(r["report"] or {}).get("days_late", 0) if r["timeliness"] == "late" else 0,
                             r["place"], r["agency"]["name"]))
    total = len(rows)
    return render(request, "agencies.html", {
        "f": f, "year": year, "years": years, "wanted": wanted, "q": name_q,
        "rows": rows[(pageno - 1) * PAGE_SIZE: pageno * PAGE_SIZE], "total": total, "page": pageno,
        "pages": max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        "region_label": region_name(f.region) if f.region else "全部地区",
        "params": filter_params(f, year=year), "audited": audited,
        "regions": scoped_regions(request, q.agencies(store), f.region), "shown": replace(f, year=year),
    })  # fmt: skip


@page()
async def agency_detail(request: Request) -> Response:
    store = request.app.state.store
    agency = store.agency(int(request.path_params["agency_id"]))
    if agency is None or not request_scope(request).allows_agency(agency):
        return error_page(request, 404, "没有这个机构。")
    reports = q.agency_reports(store, agency["id"])
    years = q.years(store)
    have = {r["year"] for r in reports if r["current"]}
    audited = q.history_audited(store)
    stored_missing = {m["year"]: m for m in q.missing_report_findings(store, agency_id=agency["id"])}
    missing = [
        {"year": y, "finding": stored_missing.get(y), "status": ov.agency_year_status(None, stored_missing.get(y), audited)}
        for y in sorted(set(years) | set(stored_missing), reverse=True) if y not in have
    ]  # fmt: skip
    findings = q.findings(store, agency_ids=[agency["id"]])
    place = agency_place(agency)
    flags = q.report_flags(store, [r["id"] for r in reports])
    for r in reports:
        r["timeliness"] = ov.timeliness(r)
        r["flags"] = sorted(flags.get(r["id"], ()))
    timeline = sorted([("report", r) for r in reports] + [("missing", m) for m in missing],
                      key=lambda kv: -(kv[1]["year"] or 0))  # fmt: skip
    return render(request, "agency.html", {
        "agency": agency, "place": _place_text(place), "timeline": timeline,
        "findings": findings, "audited": audited,
        "monitor": [f for f in findings if f["rule"] in ("MISSING_REPORT", "REPORT_REMOVED", "CHANGED_AFTER_PUBLICATION")],
    })  # fmt: skip
