"""Item pipeline: store every document, read it, audit it, save the report (one concern: persistence).

For each candidate report (page + attachments) the pipeline stores the raw bytes of every
document (``Store.add_document``), reads each with ``nianbao.parsers.read`` (in a worker thread, so
the downloads go on), keeps the best reading as the report, attributes it to the right agency
(:mod:`nianbao.crawler.attribution`), audits it (``nianbao.rules.audit``) and saves it (``Store.save_report``).
It never reads a table itself.  Settings: ``NIANBAO_DB`` (required), ``NIANBAO_PARSE_WORKERS``
(worker processes for parsing: ``auto`` = up to 2 on a multi-core machine, 0 = none) and
``NIANBAO_PARSE_IN_THREAD`` (without workers: parse in a thread rather than the reactor).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import socket
import time
from collections import Counter, defaultdict, deque
from pathlib import Path
from typing import Any

from nianbao.crawler.attribution import Placement, Places, site_for_url
from nianbao.crawler.items import DocumentItem, ReportItem
from nianbao.crawler.sites import Site
from scrapy.exceptions import NotConfigured
from twisted.internet import threads

from nianbao.model import DateEvidence, Report

log = logging.getLogger(__name__)

WEB_DATE_SOURCES = ("meta", "visible", "url")


RUN_FILE = "nianbao-run.txt"  # in the job directory: the id of the run that uses it
STORED_REPORTS_KEPT = 1000  # CrawlResult.reports: the crawl's last reports, not all of them


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


def _publisher_kind(name: str | None, level: str | None) -> str | None:
    if not name:
        return None
    try:
        from nianbao.rules.deadlines import publisher_kind
    except ImportError:
        return None
    try:
        return publisher_kind(name, level)
    except Exception:  # noqa: BLE001 - a rules bug must not lose the report
        return None


def read_documents(jobs: list[tuple]) -> list[tuple[Report | None, str | None]]:
    """``nianbao.parsers.read`` each (body, url, content_type, hints); runs in a worker process or thread."""
    from nianbao import parsers

    out: list[tuple[Report | None, str | None]] = []
    for body, url, content_type, hints in jobs:
        try:
            out.append((parsers.read(body, url, url=url, content_type=content_type, hints=hints), None))
        except Exception as exc:  # noqa: BLE001 - parsers promise not to raise; be safe anyway
            out.append((None, f"{type(exc).__name__}: {exc}"))
    return out


BINARY_TYPES = {"pdf": "pdf", "msword": "doc", "wordprocessingml": "docx", "spreadsheetml": "xlsx",
                "ms-excel": "xls", "image/": "image"}


def disguised(doc: DocumentItem) -> str | None:
    """A file that claims (by extension or Content-Type) to be a PDF/Office/image file but is HTML or text."""
    from nianbao.parsers.magic import sniff

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


def _warm_up(main_pid: int | None = None) -> None:
    """Worker initializer: die with the crawl (no orphan after a SIGKILL), import the parsers once."""
    if main_pid:
        from nianbao.crawler.lifeline import bind_to

        bind_to(main_pid)
    from nianbao import parsers  # noqa: F401  (import once per worker, not per document)


def store_document(store, doc: DocumentItem, item: ReportItem, *, hint: Site | None, site: str,
                   run_id: int | None):
    """Store one fetched document of a candidate report (a new version only when its bytes changed)."""
    return store.add_document(
        doc.url, doc.body, final_url=doc.final_url, status=doc.status, headers=doc.headers,
        content_type=doc.content_type, fetched_at=doc.fetched_at, referrer=doc.referrer,
        link_text=doc.link_text or item.link_text, list_date=item.list_date,
        agency_hint=hint.agency if hint else None, site=site, run_id=run_id,
    )  # fmt: skip


def make_pool(workers: int):
    """A process pool for parsing (forkserver: no fork of the running reactor), or None for 0 workers."""
    if workers <= 0:
        return None
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    from nianbao.crawler import lifeline

    os.environ[lifeline.ENV_MAIN] = str(os.getpid())  # the forkserver binds to us on import (preload)
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["nianbao.crawler.lifeline"])
    # (no max_tasks_per_child: on Python 3.11 a pool renewing its workers can hang, gh-115634;
    # the parsers' caches are bounded instead)
    return ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_warm_up,
                               initargs=(os.getpid(),))  # fmt: skip


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def close_dead_runs(store) -> list[int]:
    """Close as ``interrupted`` the crawl runs still ``running`` whose process (on this machine) is gone."""
    host = socket.gethostname()
    closed = []
    for run in store.query("SELECT id, params, stats FROM runs WHERE kind = 'crawl' AND status = 'running'"):
        try:
            params = json.loads(run["params"] or "{}")
        except ValueError:
            continue
        pid = params.get("pid")
        if params.get("host") != host or not isinstance(pid, int) or _pid_alive(pid):
            continue  # another machine's run, an old run without a pid, or a crawl still going
        store.finish_run(run["id"], json.loads(run["stats"] or "{}") if run["stats"] else {}, status="interrupted")
        closed.append(run["id"])
    return closed


class StorePipeline:
    def __init__(self, crawler, db_path: str):
        from nianbao.storage.store import Store

        self.crawler = crawler
        self.store = Store(db_path)
        self.in_thread = crawler.settings.getbool("NIANBAO_PARSE_IN_THREAD", True)
        self.parse = crawler.settings.getbool("NIANBAO_PARSE", True)
        workers = crawler.settings.get("NIANBAO_PARSE_WORKERS", "auto")
        if not self.parse:
            workers = 0
        elif workers in (None, "", "auto"):
            workers = min(2, os.cpu_count() or 1) if (os.cpu_count() or 1) > 1 else 0
        self.pool = make_pool(int(workers))
        self.run_id: int | None = None
        self.per_portal: dict[int, Counter] = defaultdict(Counter)
        # soak fix: the last reports only (a summary); every report is in the store, and an unbounded
        # list grew ~0.45 KB per report for the whole crawl (~27 MB per 60,000 reports)
        self.stored_reports: deque[dict[str, Any]] = deque(maxlen=STORED_REPORTS_KEPT)
        self.started = time.monotonic()
        self._places: Places | None = None

    @property
    def places(self) -> Places:
        """Region, kind and parent of the agencies found (the division registry over the site list)."""
        if self._places is None:
            self._places = Places(self.spider.sites)
        return self._places

    @classmethod
    def from_crawler(cls, crawler):
        db = crawler.settings.get("NIANBAO_DB")
        if not db:
            raise NotConfigured("NIANBAO_DB is not set")
        pipe = cls(crawler, db)
        crawler.nianbao_pipeline = pipe  # the CLI's progress line reads its counters
        return pipe

    @property
    def spider(self):
        return self.crawler.spider

    def open_spider(self) -> None:
        params: dict[str, Any] = {"sites": len(self.spider.sites), "portals": len(self.spider.portals),
                                  "pid": os.getpid(), "host": socket.gethostname()}
        jobdir = self.crawler.settings.get("JOBDIR")
        resumes = self._close_killed_run(Path(jobdir)) if jobdir else []
        close_dead_runs(self.store)
        if resumes:
            params["resumes"] = resumes  # the runs this one continues (what they saw counts as seen)
        self.run_id = self.crawler.settings.getint("NIANBAO_RUN_ID") or self.store.start_run("crawl", params)
        if jobdir:
            Path(jobdir, RUN_FILE).write_text(str(self.run_id), encoding="utf-8")
        for site in self.spider.sites:
            try:
                self.store.upsert_site(
                    site.url, agency=site.agency, level=site.level, region=site.region, parent=site.parent
                )
            except Exception as exc:  # noqa: BLE001 - one bad row must not stop the crawl
                log.warning("站点 %s（%s）无法登记：%s", site.agency, site.url, exc)

    def _close_killed_run(self, jobdir: Path) -> list[int]:
        """The run of the crawl this one resumes: closed as interrupted if its process died; its chain."""
        try:
            prev = int(Path(jobdir, RUN_FILE).read_text(encoding="utf-8").strip())
        except (OSError, ValueError):
            return []
        run = self.store.run(prev)
        if run is None or run.get("kind") != "crawl":
            return []
        if run.get("status") == "running":  # its process is gone: we hold its job directory now
            self.store.finish_run(prev, run.get("stats") or {}, status="interrupted")
        chain = [int(x) for x in (run.get("params") or {}).get("resumes", []) if str(x).isdigit()]
        return chain + [prev]

    def close_spider(self) -> None:
        stats = dict(self.crawler.stats.get_stats())
        clean = {k: v for k, v in stats.items() if isinstance(v, (int, float, str))}
        errors = getattr(self.spider, "errors", None) or {}  # reliability: failures with their URL
        skips = getattr(self.spider, "resumed_skips", None) or {}
        caps = getattr(self.spider, "caps", None) or {}
        guard = getattr(getattr(self.crawler, "nianbao_guard", None), "refused", None) or {}
        for i in sorted(set(self.per_portal) | set(errors) | set(skips) | set(caps)
                        | {k for k in guard if k is not None}):  # fmt: skip
            counts = self.per_portal.get(i, Counter())
            portal = self.spider.portals[i]
            figures: dict[str, Any] = dict(counts)
            skipped = skips.get(i, 0)
            if skipped:
                figures["resumed_reports"] = skipped  # stored by the run this one resumes
            if caps.get(i):
                figures["capped"] = dict(caps[i])  # bounds reached: links/reports per page, reports per portal
            if guard.get(i):
                figures["refused"] = dict(guard[i])  # destinations refused: not public http(s)
            if errors.get(i):
                figures["problems"] = list(errors[i])
            self.store.record_run_site(self.run_id, portal.url, stats=figures, agency=portal.sites[0].agency,
                                       health="ok" if counts.get("reports") or skipped else "no_reports")  # fmt: skip
        if not self.crawler.settings.getint("NIANBAO_RUN_ID"):
            self.store.finish_run(self.run_id, clean)
        if self.spider.journal is not None:
            self.spider.journal.close()
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
        self.store.close()

    # --- one candidate report ------------------------------------------------------------

    async def process_item(self, item: ReportItem) -> ReportItem:
        from scrapy.utils.defer import maybe_deferred_to_future

        portal = self.spider.portals[item.portal]
        page_url = item.documents[0].url
        hint = site_for_url(page_url, self.spider.sites) or (portal.sites[0] if len(portal.sites) == 1 else None)
        refs = []
        for doc in item.documents:
            try:
                ref = store_document(self.store, doc, item, hint=hint, site=portal.url, run_id=self.run_id)
            except Exception as exc:  # noqa: BLE001
                log.error("文档 %s 无法保存：%s", doc.url, exc)
                ref = None
            refs.append(ref)
        self.per_portal[item.portal]["documents"] += len(item.documents)
        usable = [(d, r) for d, r in zip(item.documents, refs, strict=True) if r is not None and r.version_id]
        if not usable:
            return item
        if not self.parse:  # fetch-only crawl: documents are stored, read later (nianbao ingest / re-parse)
            if self.spider.journal is not None:
                self.spider.journal.mark(page_url)
            return item
        t0 = time.perf_counter()
        jobs = self._jobs(item, usable, hint)
        results = None
        if self.pool is not None:
            import asyncio
            from concurrent.futures.process import BrokenProcessPool

            try:
                results = await asyncio.wrap_future(self.pool.submit(read_documents, jobs))
            except BrokenProcessPool:
                # a worker died (killed, out of memory): parse here from now on
                log.error("解析进程异常退出，改为在本进程内解析（%s）", page_url)
                self.pool = None
                self.crawler.stats.inc_value("nianbao/parse_pool_broken")
        if results is None and self.in_thread:
            results = await maybe_deferred_to_future(threads.deferToThread(read_documents, jobs))
        elif results is None:
            results = read_documents(jobs)
        readings = []
        for (doc, ref), (report, error) in zip(usable, results, strict=True):
            if error:
                log.error("文档 %s 无法解析：%s", doc.url, error)
            if report is not None:
                readings.append((doc, report, ref))
            if error or (report is not None and report.errors):  # reliability: per-file errors in the health report
                self._file_problem(item.portal, doc.url, error or "; ".join(report.errors))
            elif doc.role == "attachment" and (why := disguised(doc)):
                self._file_problem(item.portal, doc.url, why)
        t1 = time.perf_counter()
        self._save(item, portal.sites, hint, readings)
        stats = self.crawler.stats
        stats.inc_value("nianbao/parse_seconds", round(t1 - t0, 3))
        stats.inc_value("nianbao/save_seconds", round(time.perf_counter() - t1, 3))
        if self.spider.journal is not None:
            self.spider.journal.mark(page_url)
        return item

    def _file_problem(self, portal: int, url: str, why: str) -> None:
        errors = getattr(self.spider, "errors", None)
        if errors is None:
            return
        got = errors.setdefault(portal, [])
        why = why.replace(f"{url}: ", "")  # the record names the file once (the readers' errors start with it)
        if len(got) < 200:
            got.append({"url": url, "kind": "file", "error": why[:300]})
        self.crawler.stats.inc_value("nianbao/file_errors")

    def _jobs(self, item: ReportItem, usable: list, hint: Site | None) -> list[tuple]:
        jobs = []
        for doc, _ref in usable:
            hints = {
                "agency": hint.agency if hint else None,
                "title": item.title or None,
                "link_text": doc.link_text or item.link_text or None,
                "list_date": item.list_date,
            }
            jobs.append((doc.body, doc.url, doc.content_type, {k: v for k, v in hints.items() if v}))
        return jobs

    def _record_agency(self, placement: Placement) -> None:
        """Record the report's agency with its region, kind and parent."""
        try:
            self.store.upsert_agency(
                placement.name, level=placement.level, region=placement.region, parent=placement.parent,
                kind=placement.kind, prefecture=placement.prefecture, county=placement.county,
            )  # fmt: skip
        except Exception as exc:  # noqa: BLE001
            log.error("机构 %s 无法登记：%s", placement.name, exc)

    def _save(self, item: ReportItem, portal_sites: tuple[Site, ...], hint: Site | None, readings: list) -> None:
        from nianbao.crawler.assemble import assemble
        from nianbao.storage.store import canonical_url, to_date

        docs = [d for d, _, _ in readings]
        firsts = []
        for d in docs:
            known = self.store.one("SELECT first_seen FROM documents WHERE url = ?", (canonical_url(d.url),))
            firsts.append(to_date(known["first_seen"]) if known else dt.date.today())
        got = assemble(
            docs, [(i, r) for i, (_, r, _) in enumerate(readings)], list_date=item.list_date,
            link_text=item.link_text, hint=hint, sites=self.spider.sites, portal_sites=portal_sites,
            places=self.places, first_seen=firsts,
        )  # fmt: skip
        if got is None:
            return
        doc, report, ref = readings[got.index]
        first_seen = firsts[got.index]
        if got.placement is not None:
            self._record_agency(got.placement)
        self.store.save_report(
            report, version_id=ref.version_id, agency_hint=hint.agency if hint else None,
            first_seen=first_seen, run_id=self.run_id, level=got.level, region=got.region,
        )  # fmt: skip
        counts = self.per_portal[item.portal]
        if report.is_report:
            counts["reports"] += 1
            counts["findings"] += len(report.findings)
            self.crawler.stats.inc_value("nianbao/reports")
            self.stored_reports.append(
                {"agency": report.agency, "year": report.year, "url": doc.url, "published": report.published}
            )
        else:
            counts["not_reports"] += 1
            self.crawler.stats.inc_value("nianbao/not_reports")
