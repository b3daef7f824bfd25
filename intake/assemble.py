"""One report from the readings of a candidate's documents: pick, date, attribute, place, audit.

Pure with respect to I/O: the single-machine pipeline (:mod:`nianbao.crawler.pipelines`) and the
distributed parse job (:mod:`nianbao.distributed.jobs`) both call :func:`assemble` and then store what
it returns, so the two modes cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from nianbao.intake.attribution import Placement, Places, attribute
from nianbao.intake.items import DocumentItem
from nianbao.intake.sites import Site
from nianbao.magic import sniff
from nianbao.model import DateEvidence, Report
from nianbao.rules import deadlines
from nianbao.rules.readings import compare_readings
from nianbao.rules.registry import AuditContext, audit
from nianbao.storage.places import province_of

log = logging.getLogger(__name__)


WEB_DATE_SOURCES = ("meta", "visible", "url")


def _cells_read(report: Report) -> int:
    return sum(1 for *_, c in report.cells() if c.status == "ok")


def best_reading(readings: list[tuple[DocumentItem, Report]]) -> tuple[DocumentItem, Report] | None:
    """The reading that best represents the report: a report over a non-report, then most cells read."""
    if not readings:
        return None
    return max(
        enumerate(readings),
        key=lambda ir: (ir[1][1].is_report, _cells_read(ir[1][1]), len(ir[1][1].sections), -ir[0]),
    )[1]


def adopt_page_date(report: Report, page: Report | None) -> None:
    """An attachment is public from the day its article page was: take the page's web date."""
    if page is None or page is report or not page.published:
        return
    if page.published_source in WEB_DATE_SOURCES and report.published_source not in WEB_DATE_SOURCES:
        report.published = page.published
        report.published_source = page.published_source
        report.dates = list(page.dates) + [d for d in report.dates if d not in page.dates]
        report.notes.append("publication date taken from the article page that links the attachment")


def adopt_list_date(report: Report, list_date: str | None) -> None:
    """A file linked straight from a list has no page of its own: the list's date is its web date.

    (The signature date says when the paper was signed, not when the public could read it.)
    """
    if not list_date or report.published_source in WEB_DATE_SOURCES:
        return
    try:
        listed = dt.date.fromisoformat(list_date[:10])
    except ValueError:
        return
    report.published, report.published_source = listed, "list"
    if not any(d.source == "list" for d in report.dates):
        report.dates.append(DateEvidence(listed, "list", list_date))
    report.notes.append("publication date is the list date: the file was linked directly from the list")


BINARY_TYPES = {"pdf": "pdf", "msword": "doc", "wordprocessingml": "docx", "spreadsheetml": "xlsx",
                "ms-excel": "xls", "image/": "image"}


def disguised(doc: DocumentItem) -> str | None:
    """A file that claims (by extension or Content-Type) to be a PDF/Office/image file but is HTML or text."""
    ext = doc.url.rsplit("?", 1)[0].rsplit(".", 1)[-1].lower()
    ctype = (doc.content_type or "").lower()
    claimed = ext if ext in ("pdf", "doc", "docx", "xls", "xlsx", "wps", "png", "jpg", "jpeg") else next(
        (v for k, v in BINARY_TYPES.items() if k in ctype), None)
    if claimed is None:
        return None
    kind = sniff(doc.body[:65536])
    if kind in ("html", "text", "empty"):
        return f"{doc.url}: claims to be {claimed} but the content is {kind} (an error page?)"
    return None


@dataclass
class Filing:
    """Where a report's agency stands for the rules: its level, kind, province and deadline."""

    level: str | None = None
    region: str | None = None
    kind: str | None = None
    province: str | None = None
    deadline: dt.date | None = None
    first_seen: dt.date | None = None
    settings: dict[str, Any] = field(default_factory=dict)


def filing(agency: str | None, year: int | None, *, level: str | None = None, region: str | None = None,
           kind: str | None = None, province: str | None = None, first_seen: dt.date | None = None,
           settings: dict[str, Any] | None = None) -> Filing:
    """The one place where province, publisher kind and deadline are worked out."""
    province = province or province_of(region, agency)
    if kind is None and agency:
        kind = deadlines.publisher_kind(agency, level)
    deadline = deadlines.deadline_for(kind, year, province) if year is not None else None
    return Filing(level, region, kind, province, deadline, first_seen, dict(settings or {}))


def audit_context(f: Filing, *, today: dt.date | None = None) -> AuditContext:
    """The one :class:`AuditContext` every intake path audits with."""
    return AuditContext(today=today, level=f.level, kind=f.kind, province=f.province, first_seen=f.first_seen,
                        settings=dict(f.settings))  # fmt: skip


@dataclass
class Assembled:
    """The reading kept (``index`` into the documents), audited, and where its agency belongs."""

    index: int
    report: Report
    placement: Placement | None
    filing: Filing

    @property
    def level(self) -> str | None:
        return self.filing.level

    @property
    def region(self) -> str | None:
        return self.filing.region


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
    settings: dict[str, Any] | None = None,
    today: dt.date | None = None,
) -> Assembled | None:
    """Keep the best reading of ``readings`` (``(document index, Report)``) and audit it.

    ``first_seen[i]`` is when document ``i`` was first seen (timeliness needs the kept one's).
    """
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
    f = filing(report.agency, report.year, level=level, region=region,
               kind=(placement.kind if placement else None), first_seen=first_seen[index], settings=settings)
    try:
        audit(report, audit_context(f, today=today))
        report.findings.extend(compare_readings(report, [r for _, r in readings if r is not report]))
    except Exception as exc:  # noqa: BLE001 - a rule bug must not lose the report
        log.error("报告 %s 审核出错：%s", doc.url, exc)
        report.notes.append(f"audit failed: {exc}")
    return Assembled(index, report, placement, f)


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
