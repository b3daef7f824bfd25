"""The deadline calendar page: a region's agencies for a report year, by deadline."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from starlette.requests import Request
from starlette.responses import Response

from nianbao.labels import LEVELS
from nianbao.rules.deadlines import deadline_for, publisher_kind
from nianbao.storage import rectify
from nianbao.storage import views as q
from nianbao.workbench import calendar as cal
from nianbao.workbench import overview as ov
from nianbao.workbench.places import region_name
from nianbao.workbench.views.overview import scoped_regions
from nianbao.workbench.web import page, render, request_filters

KIND_LABELS = {"government": "人民政府", "department": "政府部门", "township": "乡镇（街道）", None: "类型不明"}


@page()
async def calendar_page(request: Request) -> Response:
    store = request.app.state.store
    f = request_filters(request)
    years = q.years(store)
    choices = sorted(set(years) | {rectify.today_beijing().year - 1}, reverse=True)
    year = f.year or choices[0]
    today = rectify.today_beijing()
    reports = {r["agency_id"]: r for r in q.current_reports(store, year=year)}
    missing = {m["agency_id"] for m in q.missing_report_findings(store, year=year) if m["status"] != "dismissed"}
    rows = []
    for a, _ in ov.select_agencies(q.agencies(store), f):
        kind = a.get("kind") if a.get("kind") in KIND_LABELS else publisher_kind(a["name"], a.get("level"))
        rep = reports.get(a["id"])
        stored = rep.get("deadline") if rep else None  # the deadline LATE_PUBLICATION used
        deadline = dt.date.fromisoformat(stored[:10]) if stored else deadline_for(kind, year, a.get("province"))
        published = dt.date.fromisoformat(rep["published"][:10]) if rep and rep.get("published") else None
        due = cal.due_status(deadline, published, rep is not None, today, a["id"] in missing)
        rows.append({"agency": a, "kind": KIND_LABELS.get(kind, "类型不明"), "deadline": deadline,
                     "published": published, "due": due, "report": rep})  # fmt: skip
    rows.sort(key=lambda r: (r["deadline"] or dt.date.max, r["agency"]["name"]))
    counts = {k: sum(1 for r in rows if r["due"].state == k) for k in cal.STATES}
    return render(request, "calendar.html", {
        "f": f, "shown": replace(f, year=year), "year": year, "years": choices, "rows": rows, "today": today,
        "counts": counts, "states": cal.STATES, "levels": LEVELS,
        "regions": scoped_regions(request, q.agencies(store), f.region),
        "region_label": region_name(f.region) if f.region else "全部地区",
    })  # fmt: skip
