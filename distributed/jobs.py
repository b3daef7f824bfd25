"""The parse job run by ``nianbao worker`` (RQ): read a stored candidate report, hand the Report back.

The job gets what the single writer committed (document versions, their first-seen dates) and
the raw bytes; it reads every document, keeps the best reading, attributes and audits it
exactly as the single-machine pipeline (:mod:`crawler.pipelines`) does, and appends the result
to the job's ``results`` stream, which ``nianbao store`` commits.  Running a job twice is
harmless: ``Store.save_report`` is idempotent per document version.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from crawler.items import DocumentItem
from crawler.sites import Site
from distributed import codec
from distributed.keys import Keys, clean_job

log = logging.getLogger(__name__)

_SITES: dict[str, tuple[str, list[Site]]] = {}  # job -> (sha, sites), kept between jobs of one worker


def job_sites(server, keys: Keys) -> list[Site]:
    """The job's site list (for attribution), cached per process until it changes."""
    sha = (server.get(keys.sites_sha) or b"").decode()
    cached = _SITES.get(keys.job)
    if cached and cached[0] == sha:
        return cached[1]
    raw = server.get(keys.sites)
    sites = [Site(**d) for d in json.loads(raw)] if raw else []
    _SITES[keys.job] = (sha, sites)
    return sites


def read_documents(docs: list[DocumentItem], item: dict[str, Any], hint: Site | None) -> list[tuple[int, Any]]:
    """(index, Report) of every document that could be read (``crawler.pipelines`` does the same)."""
    import parsers

    out = []
    for i, doc in enumerate(docs):
        hints = {
            "agency": hint.agency if hint else None,
            "title": item.get("title") or None,
            "link_text": doc.link_text or item.get("link_text") or None,
            "list_date": item.get("list_date"),
        }
        try:
            report = parsers.read(doc.body, doc.url, url=doc.url, content_type=doc.content_type,
                                  hints={k: v for k, v in hints.items() if v})  # fmt: skip
        except Exception as exc:  # noqa: BLE001 - parsers promise not to raise; be safe anyway
            log.error("文档 %s 无法解析：%s", doc.url, exc)
            continue
        out.append((i, report))
    return out


def prepare_report(docs: list[DocumentItem], readings: list[tuple[int, Any]], item: dict[str, Any],
                   hint: Site | None, sites: list[Site], first_seen: list[str | None]) -> tuple[int, Any, dict] | None:
    """(index of the document kept, its Report attributed and audited, what the store must know)."""
    from crawler.attribution import attribute
    from crawler.pipelines import _publisher_kind, adopt_page_date, best_reading
    from rules.registry import AuditContext, audit

    best = best_reading([(docs[i], r) for i, r in readings])
    if best is None:
        return None
    doc, report = best
    idx = next(i for i, r in readings if r is report)
    page_report = next((r for i, r in readings if docs[i].role == "page"), None)
    adopt_page_date(report, page_report)
    if not report.title and page_report is not None and page_report.title:
        report.title = page_report.title
    site = None
    upsert = None
    if report.is_report:
        name, site = attribute(title=report.title or item.get("link_text"), parsed_agency=report.agency,
                               candidates=sites, hint=hint)  # fmt: skip
        if name and name != report.agency:
            report.agency, report.agency_source = name, "title" if site is None else "site list"
        if report.agency and site is None:
            parent = hint.agency if hint and hint.agency != report.agency else None
            upsert = {"name": report.agency, "parent": parent}
    level = site.level if site else None
    region = site.region if site else None
    seen = first_seen[idx]
    seen_date = dt.date.fromisoformat(seen[:10]) if seen else dt.date.today()
    ctx = AuditContext(level=level, kind=_publisher_kind(report.agency, level), first_seen=seen_date)
    try:
        audit(report, ctx)
    except ModuleNotFoundError as exc:
        if exc.name != "rules.checks":
            raise
        report.notes.append("not audited: rules.checks is missing")
    except Exception as exc:  # noqa: BLE001 - a rule bug must not lose the report
        log.error("报告 %s 审核出错：%s", doc.url, exc)
        report.notes.append(f"audit failed: {exc}")
    return idx, report, {"first_seen": seen_date.isoformat(), "level": level, "region": region,
                         "upsert_agency": upsert}  # fmt: skip


def parse_item(payload: dict[str, Any]) -> str:
    """RQ job: parse one committed candidate report; its Report goes to the ``results`` stream."""
    from rq import get_current_job

    server = get_current_job().connection
    keys = Keys(clean_job(payload["job"]))
    docs = [DocumentItem(**d) for d in payload["documents"]]
    hint = codec.site_from_dict(payload.get("hint"))
    readings = read_documents(docs, payload["item"], hint)
    got = prepare_report(docs, readings, payload["item"], hint, job_sites(server, keys), payload["first_seen"])
    if got is None:
        return "unreadable"
    idx, report, extra = got
    result = {
        "version_id": payload["version_ids"][idx],
        "report": report,
        "agency_hint": hint.agency if hint else None,
        "url": docs[idx].url,
        **extra,
    }
    server.xadd(keys.results, codec.encode_result(result))
    return "report" if report.is_report else "not_report"
