"""The parse job run by ``nianbao worker`` (RQ): read a stored candidate report, hand the Report back.

The job gets what the single writer committed (document versions, their first-seen dates) and
the raw bytes; it reads every document, keeps the best reading, attributes and audits it
exactly as the single-machine pipeline (:mod:`nianbao.crawler.pipelines`) does, and appends the result
to the job's ``results`` stream, which ``nianbao store`` commits.  Running a job twice is
harmless: ``Store.save_report`` is idempotent per document version.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from nianbao import intake
from nianbao.distributed import codec
from nianbao.distributed.keys import Keys, clean_job
from nianbao.intake.attribution import Places
from nianbao.intake.items import DocumentItem, ReportItem
from nianbao.intake.sites import Site

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


def read_documents(docs: list[DocumentItem], item: ReportItem, hint: Site | None) -> list[tuple[int, Any]]:
    """(index, Report) of every document that could be read (the same reading as a crawl's)."""
    jobs = [(d.body, d.url, d.content_type, intake.read_hints(d, item, hint)) for d in docs]
    out = []
    for i, (report, error) in enumerate(intake.read_documents(jobs)):
        if error:
            log.error("文档 %s 无法解析：%s", docs[i].url, error)
        if report is not None:
            out.append((i, report))
    return out


def prepare_report(docs: list[DocumentItem], readings: list[tuple[int, Any]], item: ReportItem,
                   hint: Site | None, sites: list[Site], first_seen: list[str | None]) -> intake.Assembled | None:
    """The kept reading, attributed and audited by the same :func:`nianbao.intake.assemble` as a crawl."""
    today = dt.date.today()
    firsts = [dt.date.fromisoformat(s[:10]) if s else today for s in first_seen]
    portal_sites = [s for s in sites if hint is not None and s.url == hint.url]
    return intake.assemble(docs, readings, list_date=item.list_date, link_text=item.link_text or None, hint=hint,
                           sites=sites, portal_sites=portal_sites, places=_places(sites), first_seen=firsts,
                           settings=intake.rule_settings())  # fmt: skip


_PLACES: dict[int, Any] = {}  # id(site list) -> Places, kept between jobs of one worker


def _places(sites: list[Site]) -> Places:
    key = id(sites)
    if key not in _PLACES:
        _PLACES.clear()
        _PLACES[key] = Places(sites)
    return _PLACES[key]


def parse_item(payload: dict[str, Any]) -> str:
    """RQ job: parse one committed candidate report; its Report goes to the ``results`` stream."""
    from rq import get_current_job

    server = get_current_job().connection
    keys = Keys(clean_job(payload["job"]))
    docs = [DocumentItem(**d) for d in payload["documents"]]
    hint = codec.site_from_dict(payload.get("hint"))
    meta = payload["item"]
    item = ReportItem(portal=0, link_text=meta.get("link_text") or "", list_date=meta.get("list_date"),
                      title=meta.get("title") or "", documents=docs)  # fmt: skip
    readings = read_documents(docs, item, hint)
    got = prepare_report(docs, readings, item, hint, job_sites(server, keys), payload["first_seen"])
    if got is None:
        return "unreadable"
    report = got.report
    result = {
        "version_id": payload["version_ids"][got.index],
        "report": report,
        "agency_hint": hint.agency if hint else None,
        "url": docs[got.index].url,
        "assembled": got,
    }
    server.xadd(keys.results, codec.encode_result(result))
    return "report" if report.is_report else "not_report"
