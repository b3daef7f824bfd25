"""The 通报 draft of the selected region and year, downloaded as DOCX or PDF."""

from __future__ import annotations

import datetime as dt
import io
import tempfile
from pathlib import Path
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from nianbao.storage import rectify
from nianbao.workbench import notice as notice_mod
from nianbao.workbench.notice_docx import to_pdf, write_docx
from nianbao.workbench.views.scores import ranking_rows
from nianbao.workbench.web import error_page, page, request_filters

MEDIA = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}
DEFAULT_DAYS = 30


@page()
async def notice_file(request: Request) -> Response:
    fmt = request.path_params["fmt"]
    if fmt not in MEDIA:
        return error_page(request, 404, "不支持的格式。")
    f = request_filters(request)
    if not f.region or not f.year:
        return error_page(request, 400, "请先在概览中选择地区和年度，再生成通报。")
    deadline = rectify.parse_deadline(request.query_params.get("deadline")) or (
        rectify.today_beijing() + dt.timedelta(days=DEFAULT_DAYS))
    include_open = request.query_params.get("include_open") == "1"
    try:
        n = notice_mod.collect(request.app.state.store, region=f.region, year=f.year, deadline=deadline,
                               include_open=include_open, today=rectify.today_beijing(),
                               rule_titles=request.app.state.rule_titles(),
                               scores=ranking_rows(request.app.state.store, f.region, f.year))  # fmt: skip
    except ValueError:
        return error_page(request, 404, "没有这个地区。")
    if fmt == "docx":
        buf = io.BytesIO()
        write_docx(n, buf)
        body = buf.getvalue()
    else:
        body = await run_in_threadpool(_pdf, n)
    name = f"{n.title}.{fmt}"
    return Response(body, headers={
        "Content-Type": MEDIA[fmt],
        "Content-Disposition": f"attachment; filename=\"notice-{f.region}-{f.year}.{fmt}\"; "
                               f"filename*=UTF-8''{quote(name)}",
        "Cache-Control": "no-store",
    })  # fmt: skip


def _pdf(n: notice_mod.Notice) -> bytes:
    with tempfile.TemporaryDirectory(prefix="nianbao-notice-") as tmp:
        docx = Path(tmp) / "notice.docx"
        write_docx(n, docx)
        return to_pdf(docx, tmp).read_bytes()
