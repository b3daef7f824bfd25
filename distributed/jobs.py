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

from nianbao.crawler.items import DocumentItem
from nianbao.crawler.sites import Site
from nianbao.distributed import codec
from nianbao.distributed.keys import Keys, clean_job

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
    """(index, Report) of every document that could be read (``nianbao.crawler.pipelines`` does the same)."""
    from nianbao import parsers

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
    """(index of the document kept, its Report attributed and audited, what the store must know),
    by the same :func:`nianbao.crawler.assemble.assemble` as the single-machine pipeline."""
    from nianbao.crawler.assemble import assemble

    today = dt.date.today()
    firsts = [dt.date.fromisoformat(s[:10]) if s else today for s in first_seen]
    portal_sites = [s for s in sites if hint is not None and s.url == hint.url]
    got = assemble(docs, readings, list_date=item.get("list_date"), link_text=item.get("link_text"), hint=hint,
                   sites=sites, portal_sites=portal_sites, places=_places(sites), first_seen=firsts)  # fmt: skip
    if got is None:
        return None
    p = got.placement
    upsert = None
    if p is not None:
        upsert = {"name": p.name, "level": p.level, "region": p.region, "parent": p.parent, "kind": p.kind,
                  "prefecture": p.prefecture, "county": p.county}  # fmt: skip
    extra = {"first_seen": firsts[got.index].isoformat(), "level": got.level, "region": got.region,
             "upsert_agency": upsert}  # fmt: skip
    return got.index, got.report, extra


_PLACES: dict[int, Any] = {}  # id(site list) -> Places, kept between jobs of one worker


def _places(sites: list[Site]):
    from nianbao.crawler.attribution import Places

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
