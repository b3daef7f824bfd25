"""A report laid out like the official tables, its findings and reviews, and the stored original.

The original bytes are untrusted: they are only ever served by :func:`document_view` (own
restrictive CSP, ``sandbox``, shown in an ``<iframe sandbox="">``) or as a download.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from urllib.parse import quote, unquote, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from nianbao.layouts import SECTIONS
from nianbao.storage import rectify
from nianbao.storage import views as q
from nianbao.workbench import original, pages, tables
from nianbao.workbench import overview as ov
from nianbao.workbench.history import parse_change_evidence
from nianbao.workbench.places import agency_place
from nianbao.workbench.web import DOCUMENT_CSP, error_page, int_param, page, render, request_scope

INLINE_FORMATS = {"html", "text"}
SECTION_TABLES = {"2": "二、主动公开政府信息情况", "3": "三、收到和处理政府信息公开申请情况",
                  "4": "四、政府信息公开行政复议、行政诉讼情况"}  # fmt: skip


def _loads(text: str | None, default):
    try:
        return json.loads(text) if text else default
    except ValueError:
        return default


@page()
async def report_detail(request: Request) -> Response:
    store = request.app.state.store
    rid = int(request.path_params["report_id"])
    report = q.report(store, rid)
    if report is None or not request_scope(request).allows_report(store, report):
        return error_page(request, 404, "没有这份报告。")
    findings = q.findings(store, report_id=rid, active_only=False)
    cells = q.cells(store, rid)
    layout = report["layout"] or "2021"
    grids = tables.report_grids(cells, findings, layout)
    cm = tables.cell_map(cells)
    history = defaultdict(list)
    for h in q.review_history(store, [f["fingerprint"] for f in findings]):
        history[h["fingerprint"]].append(h)
    for f in findings:
        f["identity"] = tables.explain(f, cm, layout)
        f["expected_v"] = _loads(f["expected"], None)
        f["actual_v"] = _loads(f["actual"], None)
        f["history"] = history.get(f["fingerprint"], [])
        f["rect_text"] = rectify.evidence_text(_loads(f["rectify_evidence"], {})) if f.get("rectify_evidence") else None
        f["diff"] = parse_change_evidence(f["evidence"], layout) if f["rule"] == "CHANGED_AFTER_PUBLICATION" else None
    # the flagged cells of each finding, to mark in the HTML original (only where they can be placed)
    have = {f"{c['tbl']}.{c['row_key']}.{c['col_key']}" for c in cells}
    cell_keys = {f["id"]: sorted(k for k in (f"{t}.{r}.{c}" for t, r, c in
                                               tables.involved_cells(f["rule"], f["location"], layout)[0]) if k in have)
                 for f in findings}  # fmt: skip
    cell_keys = {fid: keys for fid, keys in cell_keys.items() if keys}
    placed: set = set()
    if report["format"] == "html" and report["version_id"] and cell_keys:
        v = q.version(store, report["version_id"])
        html = _decoded(store.read_blob(v["sha256"]), _charset(v["content_type"])) if v else None
        if html is not None:
            placed = await run_in_threadpool(original.placeable, html, cells, cell_keys, layout)
    for f in findings:
        f["cell_keys"] = cell_keys.get(f["id"]) if f["id"] in placed else None
    # a change diff quotes old and new sentences: not a passage to mark in this reading's prose
    evidence = [f["evidence"] for f in findings if f["evidence"] and f["diff"] is None]
    sections = _loads(report["sections"], {})
    prose = [
        (key, title, tables.highlight(sections.get(key) or "", evidence), key in sections)
        for key, title in SECTIONS.items()
    ]
    found_in_prose = any(seg[1] for _, _, segs, _ in prose for seg in segs)
    other_versions = store.query(
        "SELECT id, year, current, parsed_at FROM reports WHERE agency_id = ? AND year = ? AND id != ? "
        "AND is_report = 1 ORDER BY id DESC",
        (report["agency_id"], report["year"], rid),
    ) if report["agency_id"] else []
    place = agency_place((store.agency(report["agency_id"]) if report["agency_id"] else None) or report)
    return render(request, "report.html", {
        "r": report, "findings": findings, "grids": grids, "prose": prose,
        "section_tables": SECTION_TABLES, "timeliness": ov.timeliness(report),
        "inline": report["format"] in INLINE_FORMATS, "found_in_prose": found_in_prose,
        "paged": report["format"] in pages.PAGED_FORMATS,
        "place": " · ".join(dict.fromkeys(p[1] for p in (place.province, place.prefecture, place.county) if p)),
        "others": other_versions, "notes": _loads(report["notes"], []),
        "removed": [f for f in findings if f["rule"] == "REPORT_REMOVED" and f["active"]],
        "changed": [f for f in findings if f["diff"] is not None],
    })  # fmt: skip


@page()
async def document_pages(request: Request) -> Response:
    """How many page images an original has (rendered on first ask), as the report page's list."""
    store = request.app.state.store
    v = q.version(store, int(request.path_params["version_id"]))
    if v is None or store.files_dir is None or not request_scope(request).allows_version(store, v["id"]):
        return error_page(request, 404, "没有这份文件。")
    files = await run_in_threadpool(pages.render, store.files_dir, v["sha256"], store.read_blob(v["sha256"]),
                                    v["format"] or "")
    return render(request, "pages.html", {"v": v, "n": len(files)})


@page()
async def document_page_image(request: Request) -> Response:
    """One page of an original as PNG (made on the server)."""
    store = request.app.state.store
    v = q.version(store, int(request.path_params["version_id"]))
    n = int(request.path_params["n"])
    if (v is None or store.files_dir is None or not 1 <= n <= pages.MAX_PAGES
            or not request_scope(request).allows_version(store, v["id"])):
        return error_page(request, 404, "没有这一页。")
    files = await run_in_threadpool(pages.render, store.files_dir, v["sha256"], store.read_blob(v["sha256"]),
                                    v["format"] or "")
    if n > len(files):
        return error_page(request, 404, "没有这一页。")
    return Response(files[n - 1].read_bytes(), headers={
        "Content-Type": "image/png", "Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff",
    })  # fmt: skip


def _text_body(body: bytes) -> str:
    for enc in ("utf-8", "gb18030"):
        try:
            return body.decode(enc)
        except UnicodeDecodeError:
            continue
    return body.decode("utf-8", "replace")


MAX_MARK = 300


def _decoded(body: bytes, charset: str | None) -> str | None:
    """The page's text in its declared charset (else UTF-8, then GB18030); None when neither fits."""
    for enc in dict.fromkeys(c for c in (charset, "utf-8", "gb18030") if c):
        try:
            return body.decode(enc)
        except (UnicodeDecodeError, LookupError):
            continue
    return None


def _charset(content_type: str | None) -> str | None:
    m = re.search(r"charset=([\w.-]+)", content_type or "", re.I)
    return m.group(1) if m else None


MAX_CELLS = 20


def _marked_cells(request: Request, store, v: dict, body: bytes, charset: str | None) -> str | None:
    """The page with the cells ``?cell=tbl.row.col`` of report ``?report=`` (read from this very
    version, inside the account's scope) marked; None when not asked or not placeable."""
    keys = [k[:120] for k in request.query_params.getlist("cell")[:MAX_CELLS] if tables.split_where(k[:120])]
    rid = int_param(request.query_params.get("report"))
    if not keys or rid is None:
        return None
    report = q.report(store, rid)
    if report is None or report["version_id"] != v["id"] or not request_scope(request).allows_report(store, report):
        return None
    html = _decoded(body, charset)
    return original.mark_cells(html, q.cells(store, rid), keys, report["layout"]) if html is not None else None


@page()
async def document_view(request: Request) -> Response:
    """The stored page for the sandboxed iframe: no scripts, no requests out, no sniffing."""
    store = request.app.state.store
    v = q.version(store, int(request.path_params["version_id"]))
    if v is None or not request_scope(request).allows_version(store, v["id"]):
        return error_page(request, 404, "没有这份文件。")
    body = store.read_blob(v["sha256"])
    headers = {
        "Content-Security-Policy": DOCUMENT_CSP,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "SAMEORIGIN",
        "Cache-Control": "no-store",
    }
    if v["format"] == "html":
        charset = _charset(v["content_type"])
        marked_cells = _marked_cells(request, store, v, body, charset)
        if marked_cells is not None:  # the flagged cells outlined, for the iframe to scroll to (#nianbao-mark)
            return Response(marked_cells.encode("utf-8"), media_type=None,
                            headers={**headers, "Content-Type": "text/html; charset=utf-8"})
        wanted = str(request.query_params.get("mark") or "")[:MAX_MARK]
        if wanted:  # the flagged passage marked, for the iframe to scroll to (#nianbao-mark)
            html = _decoded(body, charset)
            marked = tables.mark_passage(html, wanted) if html is not None else None
            if marked is not None:
                return Response(marked.encode("utf-8"), media_type=None,
                                headers={**headers, "Content-Type": "text/html; charset=utf-8"})
        media = "text/html" + (f"; charset={charset}" if charset else "")
        return Response(body, media_type=None, headers={**headers, "Content-Type": media})
    text = _text_body(body)
    if v["format"] != "text":
        text = "此文件格式（" + str(v["format"]) + "）不能在此直接显示，请下载后查看。"
    return Response(text.encode("utf-8"), headers={**headers, "Content-Type": "text/plain; charset=utf-8"})


def _filename(url: str | None, version_id: int, fmt: str | None) -> str:
    name = unquote(urlsplit(url or "").path.rsplit("/", 1)[-1]) if url else ""
    name = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "_", name).strip(". ") or f"document-{version_id}"
    if "." not in name and fmt:
        name += "." + {"text": "txt"}.get(fmt, fmt)
    return name[:150]


@page()
async def document_download(request: Request) -> Response:
    """The stored bytes as an attachment (never rendered by the browser)."""
    store = request.app.state.store
    vid = int(request.path_params["version_id"])
    v = q.version(store, vid)
    if v is None or not request_scope(request).allows_version(store, vid):
        return error_page(request, 404, "没有这份文件。")
    name = _filename(v["final_url"] or v["url"], vid, v["format"])
    ascii_name = re.sub(r"[^A-Za-z0-9._-]", "_", name)
    return Response(
        store.read_blob(v["sha256"]),
        headers={
            "Content-Type": "application/octet-stream",
            "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": DOCUMENT_CSP,
            "Cache-Control": "no-store",
        },
    )
