"""Item pipeline: store every document, read it, audit it, save the report (one concern: persistence).

For each candidate report (page + attachments) the pipeline stores the raw bytes of every
document (``Store.add_document``), reads each with ``nianbao.parsers.read`` (in a worker thread, so
the downloads go on), keeps the best reading as the report, attributes it to the right agency
(:mod:`nianbao.intake.attribution`), audits it (``nianbao.rules.audit``) and saves it (``Store.save_report``).
It never reads a table itself.  Settings: ``NIANBAO_DB`` (required), ``NIANBAO_PARSE_WORKERS``
(worker processes for parsing: ``auto`` = up to 2 on a multi-core machine, 0 = none) and
``NIANBAO_PARSE_IN_THREAD`` (without workers: parse in a thread rather than the reactor).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from pathlib import Path
from typing import Any

from scrapy.exceptions import NotConfigured
from twisted.internet import threads

from nianbao import intake
from nianbao.crawler import lifeline
from nianbao.crawler.signals import report_stored
from nianbao.intake.assemble import disguised
from nianbao.intake.attribution import Places, site_for_url
from nianbao.intake.items import ReportItem
from nianbao.intake.sites import Site
from nianbao.storage.store import Store
from nianbao.storage.views import diagnosis_reasons, site_record

log = logging.getLogger(__name__)

RUN_FILE = "nianbao-run.txt"  # in the job directory: the id of the run that uses it
PORTAL_COUNTS = ("documents", "reports", "not_reports", "findings", "pages", "rendered", "clicks")


def portal_counts(stats: dict[str, Any]) -> dict[int, dict[str, int]]:
    """Per-portal figures of the store pipeline, from the crawl's stats (``nianbao/<figure>/<portal>``)."""
    out: dict[int, dict[str, int]] = {}
    for key, value in stats.items():
        parts = key.split("/")
        if len(parts) == 3 and parts[0] == "nianbao" and parts[1] in PORTAL_COUNTS and parts[2].isdigit():
            out.setdefault(int(parts[2]), {})[parts[1]] = value
    return out


def make_pool(workers: int):
    """A process pool for parsing (forkserver: no fork of the running reactor), or None for 0 workers."""
    if workers <= 0:
        return None
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    os.environ[lifeline.ENV_MAIN] = str(os.getpid())  # the forkserver binds to us on import (preload)
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["nianbao.crawler.lifeline"])
    # (no max_tasks_per_child: on Python 3.11 a pool renewing its workers can hang, gh-115634;
    # the parsers' caches are bounded instead)
    return ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=lifeline.parse_worker_init,
                               initargs=(os.getpid(),))  # fmt: skip


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
        if params.get("host") != host or not isinstance(pid, int) or lifeline.alive(pid):
            continue  # another machine's run, an old run without a pid, or a crawl still going
        store.finish_run(run["id"], json.loads(run["stats"] or "{}") if run["stats"] else {}, status="interrupted")
        closed.append(run["id"])
    return closed


class StorePipeline:
    def __init__(self, crawler, db_path: str):
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
        self.started = time.monotonic()
        self._places: Places | None = None
        self.rule_settings = intake.rule_settings(crawler.settings.copy_to_dict())

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
        return cls(crawler, db)

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
        self.crawler.stats.set_value("nianbao/run_id", self.run_id)  # monitor's components and the runner read it
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
        per_portal = portal_counts(stats)
        for i in range(len(self.spider.portals)):
            counts = per_portal.get(i, {})
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
            before, years = site_record(self.store, portal.url, self.run_id)
            why = diagnosis_reasons(counts.get("reports", 0) + skipped, before, years)
            if why:  # no report, fewer than last time, years missing: why, for the operator
                figures["diagnosis"] = {**self.spider.diagnosis(i), "why": why}
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
                ref = intake.record(self.store, doc, item, hint=hint, site=portal.url, run_id=self.run_id)
            except Exception as exc:  # noqa: BLE001
                log.error("文档 %s 无法保存：%s", doc.url, exc)
                ref = None
            refs.append(ref)
        self.crawler.stats.inc_value(f"nianbao/documents/{item.portal}", len(item.documents))
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
                results = await asyncio.wrap_future(self.pool.submit(intake.read_documents, jobs))
            except BrokenProcessPool:
                # a worker died (killed, out of memory): parse here from now on
                log.error("解析进程异常退出，改为在本进程内解析（%s）", page_url)
                self.pool = None
                self.crawler.stats.inc_value("nianbao/parse_pool_broken")
        if results is None and self.in_thread:
            results = await maybe_deferred_to_future(threads.deferToThread(intake.read_documents, jobs))
        elif results is None:
            results = intake.read_documents(jobs)
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
        return [(doc.body, doc.url, doc.content_type, intake.read_hints(doc, item, hint)) for doc, _ in usable]

    def _save(self, item: ReportItem, portal_sites: tuple[Site, ...], hint: Site | None, readings: list) -> None:
        docs = [d for d, _, _ in readings]
        got = intake.assemble(
            docs, [(i, r) for i, (_, r, _) in enumerate(readings)], list_date=item.list_date,
            link_text=item.link_text, hint=hint, sites=self.spider.sites, portal_sites=portal_sites,
            places=self.places, first_seen=[intake.first_seen(self.store, d.url) for d in docs],
            settings=self.rule_settings,
        )  # fmt: skip
        if got is None:
            return
        doc, report, ref = readings[got.index]
        intake.save(self.store, got, version_id=ref.version_id, agency_hint=hint.agency if hint else None,
                    run_id=self.run_id)  # fmt: skip
        stats = self.crawler.stats
        if report.is_report:
            stats.inc_value(f"nianbao/reports/{item.portal}")
            stats.inc_value(f"nianbao/findings/{item.portal}", len(report.findings))
            stats.inc_value("nianbao/reports")
            self.crawler.signals.send_catch_log(
                signal=report_stored, agency=report.agency, year=report.year, url=doc.url, published=report.published
            )  # fmt: skip
        else:
            stats.inc_value(f"nianbao/not_reports/{item.portal}")
            stats.inc_value("nianbao/not_reports")
