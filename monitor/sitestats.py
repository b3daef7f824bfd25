"""Per-site figures of a crawl (requests, bytes, statuses, errors, robots, 304s) and its health.

:class:`SiteStatsMiddleware` is a downloader middleware: it counts what goes through the
downloader per portal (``request.meta["nb_portal"]``) and, when the spider closes (after the
store pipeline has written its own per-site counts), merges them into ``run_sites`` of the run
with a health verdict (:func:`health`): ``unreachable`` (nothing answered), ``blocked``
(robots.txt or 403/429 on every page), ``empty`` (pages answered, no report candidate),
``unreadable`` (report candidates fetched, none readable), ``no_reports`` (candidates, none a
report), ``degraded`` (more than half the requests failed), else ``ok``.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from typing import Any

from scrapy import signals
from scrapy.exceptions import IgnoreRequest, NotConfigured

from nianbao.storage.store import Store, loads

log = logging.getLogger(__name__)


def health(c: dict[str, Any]) -> str:
    """Health of one site from its counters (pure)."""
    requests = c.get("requests", 0)
    responses = c.get("responses", 0)
    if c.get("robots_forbidden", 0) and not responses:
        return "blocked"
    if requests and not responses:
        return "unreachable"
    ok = c.get("status_2xx", 0) + c.get("status_304", 0)
    if responses and not ok and (c.get("status_403", 0) + c.get("status_429", 0)):
        return "blocked"
    found = c.get("reports", 0) or c.get("unchanged_reports", 0) or c.get("resumed_reports", 0)
    if responses and not (found or c.get("candidates", 0)):
        return "empty"
    if c.get("candidates", 0) and not found:
        # candidates fetched, none stored as a report: every one failed to read, or none was one
        failed = any(p.get("kind") == "file" for p in c.get("problems") or [] if isinstance(p, dict))
        return "unreadable" if failed or c.get("file_errors", 0) else "no_reports"
    if requests and c.get("errors", 0) * 2 > requests:
        return "degraded"
    return "ok"


class SiteStatsMiddleware:
    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.sites: dict[int, Counter] = defaultdict(Counter)

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("NIANBAO_SITESTATS_ENABLED", True) or not crawler.settings.get("NIANBAO_DB"):
            raise NotConfigured("site stats need NIANBAO_DB")
        mw = cls(crawler)
        crawler.signals.connect(mw.spider_closed, signal=signals.spider_closed)
        return mw

    def _c(self, request) -> Counter | None:
        portal = request.meta.get("nb_portal")
        return None if portal is None else self.sites[portal]

    def process_request(self, request, spider=None):
        c = self._c(request)
        if c is not None:
            c["requests"] += 1
            if request.meta.get("nb_kind") == "report":
                c["candidates"] += 1
        return None

    def process_response(self, request, response, spider=None):
        c = self._c(request)
        if c is not None:
            c["responses"] += 1
            c["bytes"] += len(response.body)
            s = response.status
            c[f"status_{s // 100}xx"] += 1
            if s in (304, 403, 404, 429):
                c[f"status_{s}"] += 1
        return response

    def process_exception(self, request, exception, spider=None):
        c = self._c(request)
        if c is not None:
            if isinstance(exception, IgnoreRequest) and "robots" in str(exception).lower():
                c["robots_forbidden"] += 1
            else:
                c["errors"] += 1
        return None

    def spider_closed(self, spider, reason: str = "") -> None:
        run_id = self.crawler.stats.get_value("nianbao/run_id")
        portals = getattr(spider, "portals", None)
        if run_id is None or not portals:
            return

        stats = self.crawler.stats.get_stats()
        with Store(self.crawler.settings.get("NIANBAO_DB")) as store:
            for i, portal in enumerate(portals):
                row = store.one("SELECT stats FROM run_sites WHERE run_id = ? AND site = ?", (run_id, portal.url))
                merged: dict[str, Any] = dict(loads(row["stats"], {}) if row else {})
                merged.update(self.sites.get(i, {}))
                merged["pages"] = stats.get(f"nianbao/pages/{i}", 0)
                merged["fetch_errors"] = stats.get(f"nianbao/fetch_errors/{i}", 0)
                merged["unchanged_reports"] = stats.get(f"nianbao/unchanged_reports/{i}", 0)
                try:
                    store.record_run_site(run_id, portal.url, stats=merged, health=health(merged),
                                          agency=portal.sites[0].agency)
                except Exception as exc:  # noqa: BLE001 - figures are a report, not the crawl
                    log.warning("站点统计无法保存（%s）：%s", portal.url, exc)
