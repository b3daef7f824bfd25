"""Scores and rankings of a region's agencies for a year: the page and its XLSX summary."""

from __future__ import annotations

import io
import os
from collections import Counter
from dataclasses import replace
from typing import Any
from urllib.parse import quote

from openpyxl import Workbook
from openpyxl.styles import Font
from starlette.requests import Request
from starlette.responses import Response

from nianbao.labels import LEVELS
from nianbao.storage import views as q
from nianbao.workbench import overview as ov
from nianbao.workbench import scores as sc
from nianbao.workbench.places import region_name
from nianbao.workbench.views.overview import scoped_regions
from nianbao.workbench.web import error_page, filter_params, page, render, request_filters

WEIGHTS_ENV = "NIANBAO_SCORE_WEIGHTS"  # e.g. "timeliness=30,arithmetic=30"


def weights() -> dict[str, float]:
    return sc.parse_weights(os.environ.get(WEIGHTS_ENV))


def agency_years(store, f: ov.Filters, year: int) -> list[sc.AgencyYear]:
    """The rows a score is computed from, for the agencies of the filters (missing/late from the store)."""
    agencies = [a for a, _ in ov.select_agencies(q.agencies(store), f)]
    ids = [a["id"] for a in agencies]
    reports = {r["agency_id"]: r for r in q.current_reports(store, year=year)}
    before = {r["agency_id"] for r in q.current_reports(store, year=year - 1)}
    audited = q.history_audited(store)
    missing = {m["agency_id"]: m for m in q.missing_report_findings(store, year=year)} if audited else {}
    rules: dict[int, Counter] = {}
    for g in q.finding_groups(store, year=year, agency_ids=ids):
        if g["status"] != "dismissed":
            rules.setdefault(g["agency_id"], Counter())[g["rule"]] += g["n"]
    out = []
    for a in agencies:
        rep = reports.get(a["id"])
        status = ov.agency_year_status(rep, missing.get(a["id"]), audited)
        if status == ov.NOT_DUE or (status == "missing" and not audited):
            continue  # not due, or absent without a history audit saying it is missing: not scored
        out.append(sc.AgencyYear(a["id"], a["name"], a.get("level"), status, (rep or {}).get("days_late"),
                                 rules.get(a["id"], Counter()), a["id"] in before))  # fmt: skip
    return out


def region_scores(store, f: ov.Filters, year: int, w: dict[str, float]) -> list[sc.Score]:
    previous = {s.agency_id: s.score for s in sc.score_all(agency_years(store, f, year - 1), w)}
    return sc.score_all(agency_years(store, f, year), w, previous)


def ranking_rows(store, region: str, year: int) -> list[list[Any]]:
    """(层级, 名次, 单位, 得分) of a region's agencies, for the 通报's ranking annex."""
    rows = region_scores(store, ov.Filters(region=region), year, weights())
    return [[LEVELS.get(s.level, s.level or ""), s.rank, s.name, s.score] for s in rows]


def _pct(v: float | None) -> Any:
    return None if v is None else round(100 * v, 1)


@page()
async def score_page(request: Request) -> Response:
    store = request.app.state.store
    f = request_filters(request)
    years = q.years(store)
    year = f.year or (years[0] if years else None)
    w = weights()
    rows = region_scores(store, f, year, w) if year else []
    return render(request, "scores.html", {
        "f": f, "year": year, "years": years, "rows": rows, "weights": w, "components": sc.COMPONENTS,
        "regions": scoped_regions(request, q.agencies(store), f.region), "pct": _pct,
        "region_label": region_name(f.region) if f.region else "全部地区",
        "params": filter_params(f, year=year), "shown": replace(f, year=year),
    })  # fmt: skip




def summary_workbook(rows: list[sc.Score], w: dict[str, float], *, title: str) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "得分排名"
    ws.append([title])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(["计分方法：得分 = 100 × Σ(权重 × 得分率) ÷ Σ(适用项权重)；得分率为空的项目不适用，不计入分母。"])
    ws.append(["权重", *[f"{COMP}={w[k]:g}" for k, COMP in sc.COMPONENTS.items()]])
    ws.append(["权重键", *[f"{k}={w[k]:g}" for k in sc.COMPONENTS]])
    ws.append([])
    header = ["层级", "名次", "单位", "得分", "上年得分", "变化", *[f"{v}得分率(%)" for v in sc.COMPONENTS.values()]]
    ws.append(header)
    for c in ws[ws.max_row]:
        c.font = Font(bold=True)
    for s in rows:
        ws.append([LEVELS.get(s.level, s.level or ""), s.rank, s.name, s.score, s.previous, s.change,
                   *[_pct(s.fractions[k]) for k in sc.COMPONENTS]])  # fmt: skip
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text stays text: never a formula
    ws.freeze_panes = "A7"
    for letter, width in zip("ABCDEFGHIJKL", (12, 6, 30, 8, 9, 7, 12, 14, 10, 16, 10, 12), strict=False):
        ws.column_dimensions[letter].width = width
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@page()
async def score_export(request: Request) -> Response:
    store = request.app.state.store
    f = request_filters(request)
    years = q.years(store)
    year = f.year or (years[0] if years else None)
    if not year:
        return error_page(request, 400, "没有可计分的年度。")
    w = weights()
    rows = region_scores(store, f, year, w)
    place = region_name(f.region) if f.region else "全部地区"
    title = f"{place}{year}年度政府信息公开工作年度报告得分排名"
    body = summary_workbook(rows, w, title=title)
    return Response(body, headers={
        "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "Content-Disposition": f"attachment; filename=\"scores-{f.region or 'all'}-{year}.xlsx\"; "
                               f"filename*=UTF-8''{quote(title + '.xlsx')}",
        "Cache-Control": "no-store",
    })  # fmt: skip
