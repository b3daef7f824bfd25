"""The overview: timeliness per region rollup and findings per rule, as tables and SVG charts."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from nianbao.labels import REGION_LEVEL_LABELS, TIMELINESS_LABELS
from nianbao.storage import rectify
from nianbao.storage import views as q
from nianbao.workbench import overview as ov
from nianbao.workbench.charts import Bar, Segment, bar_chart
from nianbao.workbench.places import agency_place, child_level, region_name
from nianbao.workbench.web import filter_params, link, page, render, request_filters, request_scope


def region_options(agencies: list[dict[str, Any]], selected: str | None) -> list[tuple[str, str, int]]:
    """(code, name, depth) of the provinces and prefectures that have agencies, plus the counties
    of the selected region, in code order (a prefecture right under its province)."""
    seen: dict[str, tuple[str, tuple[str, str, int]]] = {}
    for p in {agency_place(a) for a in agencies}:
        path = ""
        for depth, part in enumerate((p.province, p.prefecture, p.county)):
            if not part or (depth == 1 and part == p.province):
                continue
            path += "/" + part[0]
            if depth == 2 and not (selected and selected in p.codes()):
                continue
            seen.setdefault(part[0], (path, (part[0], part[1], depth)))
    return [opt for _, opt in sorted(seen.values())]


def scoped_regions(request: Request, agencies: list[dict[str, Any]], selected: str | None) -> list[tuple[str, str, int]]:
    """The region selector's options for the request's account: only regions inside its scope."""
    scope = request_scope(request)
    return scope.region_options(region_options(scope.agencies(agencies), selected))


MAX_ROWS = 300


def timeliness_chart(rows: list[ov.RollupRow], f: ov.Filters, group_by: str) -> Any:
    bars = []
    for row in rows[:40]:
        segs = [
            Segment(row.counts[k], f"seg-{k}", f"{row.name}：{TIMELINESS_LABELS[k]} {row.counts[k]}")
            for k in ov.TIMELINESS
        ]
        href = (
            link("/", **filter_params(f, region=row.code, group_by=None))
            if row.is_drillable and group_by != "county"
            else link("/agencies", **filter_params(f, region=row.code.replace(":self", "") or None))
        )
        late_missing = row.counts["late"] + row.counts["missing"]
        bars.append(Bar(row.name, segs, href, f"未按时 {late_missing}/{row.expected}"))
    return bar_chart(bars, normalise=True, title="发布及时性", width=620, label_width=120, note_width=100)


def rules_chart(rules: list[ov.RuleRow], titles: dict[str, str], f: ov.Filters) -> Any:
    bars = []
    for r in rules[:20]:
        segs = [
            Segment(r.statuses[s], f"seg-{s}", f"{titles.get(r.rule, r.rule)}：{label} {r.statuses[s]}")
            for s, label in (("confirmed", "已确认"), ("pending", "待审核"), ("dismissed", "已驳回"))
        ]
        bars.append(Bar(titles.get(r.rule, r.rule), segs,
                        link("/findings", **filter_params(f, rule=r.rule, severity=f.severity or "all")), str(r.total)))
    return bar_chart(bars, title="问题按规则", width=620, label_width=230, note_width=50)


@page()
async def overview(request: Request) -> Response:
    store = request.app.state.store
    f = request_filters(request)
    years = q.years(store)
    agencies = q.agencies(store)
    group_by = f.group_by or child_level(f.region)
    selected = ov.select_agencies(agencies, f) if (f.region or f.level) else None
    rule_scope = dict(f.finding_filters)
    if selected is not None:
        rule_scope["agency_ids"] = [a["id"] for a, _ in selected]
    audited = q.history_audited(store)
    missing = (
        [m for m in q.missing_report_findings(store, year=f.year) if m["status"] != "dismissed"] if audited else None
    )
    data = ov.build(
        agencies,
        q.timeliness_by_agency(store, year=f.year),
        q.findings_by(store, "agency_id", **f.finding_filters),
        q.findings_by(store, "rule", **rule_scope),
        f,
        years,
        group_by=group_by,
        missing=missing,
    )
    if len(data.rows) > MAX_ROWS:  # e.g. every county of the country: the worst first
        data.rows.sort(key=lambda r: -(r.counts["late"] + r.counts["missing"] + r.findings["error"]))
    titles = request.app.state.rule_titles()
    rule_names = {r.rule for r in data.rules} | ({f.rule} if f.rule else set())
    return render(
        request,
        "overview.html",
        {
            "f": f,
            "data": data,
            "years": years,
            "group_by": group_by,
            "group_label": REGION_LEVEL_LABELS.get(group_by, group_by),
            "region_label": region_name(f.region) if f.region else "全部地区",
            "regions": scoped_regions(request, agencies, f.region),
            "rule_names": sorted(rule_names or set(titles), key=lambda r: (titles.get(r, r), r)),
            "timeliness_chart": timeliness_chart(data.rows, f, group_by),
            "rules_chart": rules_chart(data.rules, titles, f),
            "max_rows": MAX_ROWS,
            "params": filter_params(f),
            "audited": audited,
            "rect_counts": rectify.counts(store, year=f.year,
                                          agency_ids=rule_scope.get("agency_ids")),
        },
    )
