"""Scrapy settings overrides that turn a nianbao crawl into a member of a shared Redis frontier."""

from __future__ import annotations

from typing import Any

from nianbao.distributed.frontier import new_worker_id
from nianbao.distributed.keys import Keys, clean_job


def redis_overrides(redis_url: str, job: str | None = None, base: dict[str, Any] | None = None) -> dict[str, Any]:
    """The overrides on top of :func:`nianbao.crawler.settings.build` (``base``: the settings they extend)."""
    keys = Keys(clean_job(job))
    base = base or {}
    mws = dict(base.get("DOWNLOADER_MIDDLEWARES") or {})
    mws["nianbao.distributed.politeness.SharedHostThrottle"] = 590
    exts = dict(base.get("EXTENSIONS") or {})
    exts["nianbao.distributed.coordinator.Coordinator"] = 500
    rate = float(base.get("NIANBAO_HOST_RATE", 2.0) or 0)
    out = {
        "REDIS_URL": redis_url,
        "NIANBAO_REDIS_URL": redis_url,
        "NIANBAO_REDIS_JOB": keys.job,
        "NIANBAO_WORKER_ID": base.get("NIANBAO_WORKER_ID") or new_worker_id(),
        # scrapy-redis: one request queue and one seen-request filter for every process of the job
        "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_PERSIST": True,
        "SCHEDULER_QUEUE_CLASS": "nianbao.distributed.frontier.ReliablePriorityQueue",
        "SCHEDULER_QUEUE_KEY": keys.requests,
        "SCHEDULER_DUPEFILTER_KEY": keys.dupefilter,
        "SCHEDULER_IDLE_BEFORE_CLOSE": 0,
        "DOWNLOADER_MIDDLEWARES": mws,
        "EXTENSIONS": exts,
        "ITEM_PIPELINES": {},  # items go to Redis from the spider itself (nianbao.distributed.sink)
        "JOBDIR": None,
    }
    if rate > 0 and not float(base.get("DOWNLOAD_DELAY") or 0):
        # space each process's own requests too: token holders queued behind a slow response would
        # otherwise leave Scrapy's per-host slot together, a burst the shared bucket meant to prevent
        out["DOWNLOAD_DELAY"] = 1.0 / rate
    return out
