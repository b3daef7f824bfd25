"""Run a crawl in-process: settings, CrawlerProcess, JOBDIR for ``--resume``, a progress callback.

A process can run one crawl (Twisted's reactor cannot restart): run further crawls in
subprocesses (``nianbao crawl``).
"""

from __future__ import annotations

import shutil
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nianbao.crawler import settings as default_settings
from nianbao.crawler.journal import CLOSED, RUNNING, previous_state, set_state
from nianbao.crawler.pipelines import portal_counts
from nianbao.crawler.signals import report_stored
from nianbao.crawler.spiders.portal import PortalSpider
from nianbao.intake import Counts
from nianbao.intake.sites import Site

SCRAPY_JOB_FILES = ("requests.seen", "requests.queue", "spider.state")


@dataclass(kw_only=True)
class PortalStats(Counts):
    """One portal's figures in a crawl (its stored documents and reports: :class:`nianbao.intake.Counts`)."""

    url: str
    agency: str
    pages: int = 0
    errors: int = 0


@dataclass
class CrawlResult:
    stats: dict[str, Any]
    portals: list[PortalStats]
    seconds: float
    run_id: int | None = None
    reports: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    resumed: bool = False

    def get(self, key: str, default: int = 0) -> Any:
        return self.stats.get(key, default)


def prepare_jobdir(jobdir: str | Path, resume: bool) -> bool:
    """Make ``jobdir`` ready; returns True when a previous crawl's state is resumed.

    Without ``resume`` the directory is emptied.  When the last crawl there was killed (its
    state is still ``running``), Scrapy's own files (written on a clean stop only) are partial:
    they are dropped and the crawl re-walks the portals, skipping finished reports (journal).
    """
    jd = Path(jobdir)
    if not resume:
        if jd.exists():
            shutil.rmtree(jd)
        jd.mkdir(parents=True)
        return False
    state = previous_state(jd)
    if state == RUNNING:
        for name in SCRAPY_JOB_FILES:
            p = jd / name
            if p.is_dir():
                shutil.rmtree(p)
            elif p.exists():
                p.unlink()
    jd.mkdir(parents=True, exist_ok=True)
    return state is not None


STORED_REPORTS_KEPT = 1000  # CrawlResult.reports: the crawl's last reports, not all of them


def portal_stats(crawler) -> list[PortalStats]:
    spider = crawler.spider
    stats = crawler.stats.get_stats()
    per_portal = portal_counts(stats)
    out = []
    for i, portal in enumerate(spider.portals if spider is not None else []):
        counts = per_portal.get(i, {})
        out.append(
            PortalStats(
                url=portal.url,
                agency="、".join(s.agency for s in portal.sites),
                pages=stats.get(f"nianbao/pages/{i}", 0),
                documents=counts.get("documents", 0),
                reports=counts.get("reports", 0),
                not_reports=counts.get("not_reports", 0),
                findings=counts.get("findings", 0),
                errors=stats.get(f"nianbao/fetch_errors/{i}", 0),
            )
        )
    return out


def run_crawl(
    *,
    db: str | Path,
    sites: list[Site] | None = None,
    sites_file: str | Path | None = None,
    jobdir: str | Path | None = None,
    resume: bool = False,
    overrides: dict[str, Any] | None = None,
    progress: Callable[[Any], None] | None = None,
    progress_interval: float = 0.5,
) -> CrawlResult:
    """Crawl every portal of the site list into the store at ``db``; blocks until done."""
    from scrapy.crawler import CrawlerProcess
    from twisted.internet import task


    settings = default_settings.build(overrides)
    settings["NIANBAO_DB"] = str(db)
    resumed = False
    if jobdir is not None:
        resumed = prepare_jobdir(jobdir, resume)
        settings["JOBDIR"] = str(jobdir)
        set_state(jobdir, RUNNING)
    settings.setdefault("LOG_INSTALL_ROOT_HANDLER", True)
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(PortalSpider)
    # the crawl's last reports (a summary: every report is in the store; an unbounded list grew
    # ~0.45 KB per report for the whole crawl, ~27 MB per 60,000 reports)
    stored: deque[dict[str, Any]] = deque(maxlen=STORED_REPORTS_KEPT)

    def on_report(agency=None, year=None, url=None, published=None, **_) -> None:
        stored.append({"agency": agency, "year": year, "url": url, "published": published})

    crawler.signals.connect(on_report, signal=report_stored, weak=False)
    kwargs: dict[str, Any] = {}
    if sites is not None:
        kwargs["sites"] = sites
    else:
        kwargs["sites_file"] = str(sites_file)
    started = time.monotonic()
    loop: list[Any] = []
    if progress is not None:

        def tick() -> None:
            if crawler.spider is not None and crawler.stats is not None:
                progress(crawler)

        def start_ticking(*_a: Any, **_k: Any) -> None:
            lc = task.LoopingCall(tick)
            lc.start(progress_interval, now=False)
            loop.append(lc)

        def stop_ticking(*_a: Any, **_k: Any) -> None:
            for lc in loop:
                if lc.running:
                    lc.stop()

        from scrapy import signals

        crawler.signals.connect(start_ticking, signal=signals.spider_opened)
        crawler.signals.connect(stop_ticking, signal=signals.spider_closed)
    process.crawl(crawler, **kwargs)
    process.start()
    seconds = time.monotonic() - started
    if jobdir is not None:
        set_state(jobdir, CLOSED)
    stats = dict(crawler.stats.get_stats()) if crawler.stats else {}
    return CrawlResult(
        stats=stats,
        portals=portal_stats(crawler),
        seconds=seconds,
        run_id=stats.get("nianbao/run_id"),
        reports=list(stored),
        problems=list(getattr(crawler.spider, "problems", []) or []),
        resumed=resumed,
    )
