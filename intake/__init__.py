"""The one intake path: document bytes + where they came from -> a read, audited, stored report.

Every way a document enters nianbao goes through here: the Scrapy pipeline of a crawl, the
distributed mode's writer and parse jobs, and ``nianbao ingest``.  It owns the steps they share,
so the three cannot drift apart:

1. :func:`record` stores the fetched documents (content-addressed bytes, a new version only when
   the bytes changed) and tells when each was first seen (:func:`first_seen`, the one lookup);
2. :func:`read_documents` reads them (``nianbao.parsers``; pure, runs in worker processes);
3. :func:`nianbao.intake.assemble.assemble` keeps the best reading, dates, attributes and places it,
   and audits it with the one :func:`audit_context` (province, publisher kind, deadline, rule
   settings);
4. :func:`save` writes the report, its cells and findings, with kind and deadline given as data.

:func:`ingest_bytes` chains all four for one document.  Rule settings come in one dialect:
``NIANBAO_RULE_<NAME>`` (``-s`` of ``crawl``/``ingest``, or the environment of every process of
a distributed run), see :func:`rule_settings`.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from nianbao import parsers
from nianbao.intake.assemble import Assembled, Filing, assemble, audit_context, filing
from nianbao.intake.items import DocumentItem, ReportItem
from nianbao.intake.sites import Site
from nianbao.model import Report
from nianbao.rules import settings as rule_defaults
from nianbao.storage.store import DocumentRef, Store, canonical_url, now_iso, to_date, to_ts

log = logging.getLogger(__name__)

RULE_PREFIX = "NIANBAO_RULE_"

__all__ = [
    "Assembled", "Counts", "Filing", "RULE_PREFIX", "assemble", "audit_context", "filing", "first_seen", "ingest_bytes",
    "read_documents", "read_hints", "record", "warm_up", "rule_settings", "save",
]  # fmt: skip


@dataclass
class Counts:
    """What an intake path stored: documents, annual reports, other documents read, findings."""

    documents: int = 0
    reports: int = 0
    not_reports: int = 0
    findings: int = 0

    def add(self, report: Report) -> None:
        """Count one stored reading."""
        if report.is_report:
            self.reports += 1
            self.findings += len(report.findings)
        else:
            self.not_reports += 1


def rule_settings(*sources: Mapping[str, Any] | None) -> dict[str, Any]:
    """Rule thresholds from ``NIANBAO_RULE_<NAME>`` keys: the environment first, then each source.

    ``NIANBAO_RULE_LATE_GRACE_DAYS=5`` sets ``late_grace_days`` (see ``nianbao.rules.settings``);
    an unknown name is an error, not silently ignored.
    """
    out: dict[str, Any] = {}
    for src in (os.environ, *sources):
        if not src:
            continue
        for key in list(src.keys()) if hasattr(src, "keys") else []:
            if not isinstance(key, str) or not key.upper().startswith(RULE_PREFIX):
                continue
            name = key[len(RULE_PREFIX):].lower()
            if name not in rule_defaults.DEFAULTS:
                raise ValueError(f"未知的规则设置 {key}（可用：{', '.join(sorted(rule_defaults.DEFAULTS))}）")
            value = src[key]
            if value is not None and value != "":
                out[name] = rule_defaults.get({name: value}, name)
    return out


def first_seen(store: Store, url: str, default: dt.date | dt.datetime | str | None = None) -> dt.date:
    """When ``url`` was first seen by this store (``default``, else today, for a new one)."""
    row = store.one("SELECT first_seen FROM documents WHERE url = ?", (canonical_url(url),))
    return to_date(row["first_seen"] if row else (to_ts(default) if default else now_iso()))


def record(store: Store, doc: DocumentItem, item: ReportItem, *, hint: Site | None, site: str | None,
           run_id: int | None) -> DocumentRef:
    """Store one fetched document of a candidate report (a new version only when its bytes changed)."""
    return store.add_document(
        doc.url, doc.body, final_url=doc.final_url, status=doc.status, headers=doc.headers,
        content_type=doc.content_type, fetched_at=doc.fetched_at, referrer=doc.referrer,
        link_text=doc.link_text or item.link_text, list_date=item.list_date,
        agency_hint=hint.agency if hint else None, site=site, run_id=run_id,
    )  # fmt: skip


def read_hints(doc: DocumentItem, item: ReportItem, hint: Site | None) -> dict[str, str]:
    """What the crawl knows about a document, handed to the reader."""
    hints = {
        "agency": hint.agency if hint else None,
        "title": item.title or None,
        "link_text": doc.link_text or item.link_text or None,
        "list_date": item.list_date,
    }
    return {k: v for k, v in hints.items() if v}


def warm_up() -> None:
    """Initializer of parse worker processes: importing this module imported the parsers, once."""


def read_documents(jobs: list[tuple]) -> list[tuple[Report | None, str | None]]:
    """``nianbao.parsers.read`` each (body, url, content_type, hints); runs in a worker process or thread."""
    out: list[tuple[Report | None, str | None]] = []
    for body, url, content_type, hints in jobs:
        try:
            out.append((parsers.read(body, url, url=url, content_type=content_type, hints=hints), None))
        except Exception as exc:  # noqa: BLE001 - parsers promise not to raise; be safe anyway
            out.append((None, f"{type(exc).__name__}: {exc}"))
    return out


def save(store: Store, got: Assembled, *, version_id: int | None, agency_hint: str | None,
         run_id: int | None) -> int:
    """Write an assembled report (and its agency's place) to the store; returns the report id."""
    p = got.placement
    if p is not None:
        try:
            store.upsert_agency(p.name, level=p.level, region=p.region, parent=p.parent, kind=p.kind,
                                prefecture=p.prefecture, county=p.county)  # fmt: skip
        except Exception as exc:  # noqa: BLE001 - the report matters more than its agency's row
            log.error("机构 %s 无法登记：%s", p.name, exc)
    f = got.filing
    return store.save_report(
        got.report, version_id=version_id, agency_hint=agency_hint, first_seen=f.first_seen,
        run_id=run_id, level=f.level, region=f.region, kind=f.kind, province=f.province, deadline=f.deadline,
    )  # fmt: skip


def ingest_bytes(store: Store, body: bytes, source: str, *, url: str | None = None, hints: dict | None = None,
                 content_type: str | None = None, level: str | None = None, region: str | None = None,
                 run_id: int | None = None, fetched_at: dt.datetime | str | None = None,
                 today: dt.date | None = None, settings: Mapping[str, Any] | None = None,
                 sites: list[Site] | None = None) -> tuple[int, Report]:
    """Read, audit and store one document's bytes (``nianbao ingest``): the same steps as a crawl.

    Reading and auditing happen before the write transaction; the document, its version, the
    report, its cells and findings are then written in one transaction.  ``settings``: ``NIANBAO_RULE_*``
    names as given to ``-s`` (see :func:`rule_settings`).
    """
    hints = dict(hints or {})
    key = canonical_url(url or source)
    fetched = to_ts(fetched_at) or now_iso()
    doc = DocumentItem(url=key, final_url=key, status=200, headers={}, content_type=content_type, body=body,
                       fetched_at=fetched, link_text=hints.get("link_text"))  # fmt: skip
    item = ReportItem(portal=0, link_text=hints.get("link_text") or "", list_date=hints.get("list_date"),
                      title=hints.get("title") or "", documents=[doc])  # fmt: skip
    agency_hint = hints.get("agency")
    try:
        report = parsers.read(body, source, url=url, content_type=content_type, hints=hints)
    except Exception:
        # keep the bytes so a fixed parser can read them later; then let the caller report it
        store.add_document(key, body, content_type=content_type, fetched_at=fetched_at, agency_hint=agency_hint,
                           run_id=run_id)  # fmt: skip
        raise
    # what the store already knows of the agency (``nianbao sites``/earlier crawls) stands in for a site list
    name = report.agency or agency_hint
    known = (store.agency(name) if name else None) or {}
    hint = None
    if name:
        other = bool(agency_hint and report.agency and report.agency.strip() != agency_hint.strip())
        # a level given for the hinted agency does not describe another body named by the document
        hint = Site(agency=agency_hint or name, url=key, level=None if other else (level or known.get("level")),
                    region=region or known.get("region_code") or known.get("region_name"))  # fmt: skip
    got = assemble([doc], [(0, report)], list_date=item.list_date, link_text=item.link_text or None, hint=hint,
                   sites=sites or ([hint] if hint else []), portal_sites=[hint] if hint else [], places=None,
                   first_seen=[first_seen(store, key, fetched_at)],
                   settings=rule_settings(settings), today=today)  # fmt: skip
    assert got is not None  # one reading in, one report out
    with store.transaction():
        ref = record(store, doc, item, hint=hint, site=None, run_id=run_id)
        report_id = save(store, got, version_id=ref.version_id, agency_hint=agency_hint, run_id=run_id)
    return report_id, got.report
