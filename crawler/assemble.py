"""One report from the readings of a candidate's documents: pick, date, attribute, place, audit.

Pure with respect to I/O: the single-machine pipeline (:mod:`nianbao.crawler.pipelines`) and the
distributed parse job (:mod:`nianbao.distributed.jobs`) both call :func:`assemble` and then store what
it returns, so the two modes cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from nianbao.crawler.attribution import Placement, Places, attribute
from nianbao.crawler.items import DocumentItem
from nianbao.crawler.sites import Site

from nianbao.model import Report

log = logging.getLogger(__name__)


@dataclass
class Assembled:
    """The reading kept (``index`` into the documents), audited, and where its agency belongs."""

    index: int
    report: Report
    placement: Placement | None
    level: str | None
    region: str | None


def assemble(
    docs: Sequence[DocumentItem],
    readings: Sequence[tuple[int, Report]],
    *,
    list_date: str | None,
    link_text: str | None,
    hint: Site | None,
    sites: Sequence[Site],
    portal_sites: Iterable[Site],
    places: Places | None,
    first_seen: Sequence[dt.date],
) -> Assembled | None:
    """Keep the best reading of ``readings`` (``(document index, Report)``) and audit it.

    ``first_seen[i]`` is when document ``i`` was first seen (timeliness needs the kept one's).
    """
    from nianbao.crawler.pipelines import _publisher_kind, adopt_list_date, adopt_page_date, best_reading
    from nianbao.rules.readings import compare_readings
    from nianbao.rules.registry import AuditContext, audit

    best = best_reading([(docs[i], r) for i, r in readings])
    if best is None:
        return None
    doc, report = best
    index = next(i for i, r in readings if r is report)
    page_report = next((r for i, r in readings if docs[i].role == "page"), None)
    if doc.role == "page" and report.read_by not in ("html", "text"):
        adopt_list_date(report, list_date)  # a bare file in the list
    else:
        adopt_page_date(report, page_report)
    if not report.title and page_report is not None and page_report.title:
        report.title = page_report.title
    site = None
    placement = None
    if report.is_report:
        name, site = attribute(title=report.title or link_text, parsed_agency=report.agency, candidates=sites, hint=hint)
        if name and name != report.agency:
            report.agency, report.agency_source = name, "title" if site is None else "site list"
        placement = _place(places, report, site, hint, portal_sites, doc.url)
    level = placement.level if placement else (site.level if site else None)
    region = placement.region if placement else (site.region if site else None)
    kind = (placement.kind if placement else None) or _publisher_kind(report.agency, level)
    try:
        audit(report, AuditContext(level=level, kind=kind, first_seen=first_seen[index]))
        report.findings.extend(compare_readings(report, [r for _, r in readings if r is not report]))
    except ModuleNotFoundError as exc:
        if exc.name != "nianbao.rules.checks":
            raise
        report.notes.append("not audited: nianbao.rules.checks is missing")
    except Exception as exc:  # noqa: BLE001 - a rule bug must not lose the report
        log.error("报告 %s 审核出错：%s", doc.url, exc)
        report.notes.append(f"audit failed: {exc}")
    return Assembled(index, report, placement, level, region)


def _place(places: Places | None, report: Report, site: Site | None, hint: Site | None,
           portal_sites: Iterable[Site], url: str) -> Placement | None:
    """Where the report's agency belongs (a body not in the list is placed by its portal)."""
    if not report.agency:
        return None
    fallback = Placement(report.agency, parent=hint.agency if hint and site is None else None)
    if places is None:
        return fallback
    try:
        return places.place(report.agency, site=site, hint=hint, portal_sites=portal_sites, url=url)
    except Exception as exc:  # noqa: BLE001 - placing is a nicety; the report must be saved
        log.error("机构 %s 无法确定所属地区：%s", report.agency, exc)
        return fallback
