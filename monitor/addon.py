"""The monitoring add-on of a crawl (Scrapy add-on): cheap re-crawls and per-site figures.

``nianbao crawl`` enables it (``ADDONS``); the crawler itself knows nothing of monitoring.
"""

from __future__ import annotations

from scrapy.settings import BaseSettings

from nianbao.monitor.conditional import ConditionalRequestMiddleware, UnchangedReportPipeline
from nianbao.monitor.sitestats import SiteStatsMiddleware


class MonitorAddon:
    """ETag/Last-Modified re-crawls (a 304 keeps the stored report) and per-site health in ``run_sites``."""

    def update_settings(self, settings: BaseSettings) -> None:
        settings["DOWNLOADER_MIDDLEWARES"][ConditionalRequestMiddleware] = 840
        settings["DOWNLOADER_MIDDLEWARES"][SiteStatsMiddleware] = 860
        settings["ITEM_PIPELINES"][UnchangedReportPipeline] = 250  # before the store pipeline (300)
