"""The export page (choose year, status, region; preview) and the file download."""

from __future__ import annotations

import io

from starlette.requests import Request
from starlette.responses import Response

from nianbao.storage import rectify
from nianbao.storage import views as q
from nianbao.storage.exports import (
    NONCOMPLIANT_COLUMNS,
    export_noncompliant,
    write_csv,
    write_json,
    write_xlsx,
)
from nianbao.workbench.places import region_name
from nianbao.workbench.views.overview import scoped_regions
from nianbao.workbench.web import error_page, int_param, page, render, request_filters, request_scope

MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json; charset=utf-8",
}


def _options(request: Request, years: list[int]) -> dict:
    params = request.query_params
    f = request_filters(request)
    allowed = ("confirmed", "open", *rectify.STATES)
    status = params.get("export_status") if params.get("export_status") in allowed else "confirmed"
    return {"year": int_param(params.get("year")) or (years[0] if years else None), "status": status,
            "region": f.region, "level": f.level}  # fmt: skip


def _rows(request: Request, opts: dict) -> list[dict]:
    return export_noncompliant(
        request.app.state.store, year=opts["year"], status=opts["status"], region=opts["region"],
        level=opts["level"], rule_titles=request.app.state.rule_titles(),
        agency_ids=request_scope(request).agency_ids(request.app.state.store),
    )  # fmt: skip


@page()
async def export_page(request: Request) -> Response:
    years = q.years(request.app.state.store)
    opts = _options(request, years)
    rows = _rows(request, opts) if opts["year"] else []
    return render(request, "export.html", {
        "opts": opts, "years": years, "rows": rows[:50], "total": len(rows),
        "region_label": region_name(opts["region"]) if opts["region"] else "全部地区",
        "columns": NONCOMPLIANT_COLUMNS, "regions": scoped_regions(request, q.agencies(request.app.state.store), opts["region"]),
    })  # fmt: skip


@page()
async def export_file(request: Request) -> Response:
    fmt = request.path_params["fmt"]
    if fmt not in MEDIA:
        return error_page(request, 404, "不支持的导出格式。")
    years = q.years(request.app.state.store)
    opts = _options(request, years)
    if not opts["year"]:
        return error_page(request, 400, "请选择年度。")
    rows = _rows(request, opts)
    if fmt == "xlsx":
        buf = io.BytesIO()
        write_xlsx(rows, NONCOMPLIANT_COLUMNS, buf, sheet_title="未达标机构")
        body = buf.getvalue()
    else:
        text = io.StringIO()
        if fmt == "csv":
            write_csv(rows, NONCOMPLIANT_COLUMNS, text)
        else:
            write_json(rows, text)
        body = text.getvalue().encode("utf-8")
    status = {"confirmed": "已确认", "open": "未驳回", **rectify.STATES}[opts["status"]]
    name = f"未达标机构_{opts['year']}年度_{status}.{fmt}"
    from urllib.parse import quote

    return Response(body, headers={
        "Content-Type": MEDIA[fmt],
        "Content-Disposition": f"attachment; filename=\"noncompliant-{opts['year']}.{fmt}\"; "
                               f"filename*=UTF-8''{quote(name)}",
        "Cache-Control": "no-store",
    })  # fmt: skip
