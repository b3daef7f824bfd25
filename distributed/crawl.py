"""``nianbao crawl --redis``: one crawler process of a shared frontier (blocks until the crawl is done)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from nianbao.crawler import settings as default_settings
from nianbao.crawler.runner import CrawlResult, portal_stats
from nianbao.distributed.addon import DistributedAddon
from nianbao.distributed.keys import connect
from nianbao.distributed.spider import SharedPortalSpider


def run_distributed_crawl(
    *,
    sites_file: str | Path,
    redis_url: str,
    job: str | None = None,
    overrides: dict[str, Any] | None = None,
) -> CrawlResult:
    from scrapy.crawler import CrawlerProcess


    connect(redis_url)  # a clear error before Scrapy starts
    settings = default_settings.build(overrides)
    settings["NIANBAO_REDIS_URL"] = redis_url
    if job:
        settings["NIANBAO_REDIS_JOB"] = job
    settings["ADDONS"] = {**dict(settings.get("ADDONS") or {}), DistributedAddon: 500}
    settings.setdefault("LOG_INSTALL_ROOT_HANDLER", True)
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(SharedPortalSpider)
    started = time.monotonic()
    process.crawl(crawler, sites_file=str(sites_file))
    process.start()
    stats = dict(crawler.stats.get_stats()) if crawler.stats else {}
    return CrawlResult(stats=stats, portals=portal_stats(crawler), seconds=time.monotonic() - started,
                       problems=list(getattr(crawler.spider, "problems", []) or []))  # fmt: skip


def summary_lines(result: CrawlResult, job: str) -> list[str]:
    s = result.stats
    return [
        f"抓取进程结束（任务 {job}）：访问页面 {s.get('nianbao/pages', 0)} 个，"
        f"发送候选报告 {s.get('nianbao/redis/items_sent', 0)} 份到 Redis，"
        f"本进程播种站点 {s.get('nianbao/seeded', 0)} 个，接手失联进程的请求 {s.get('nianbao/redis/requeued_from_dead', 0)} 个，"
        f"抓取错误 {s.get('nianbao/fetch_errors', 0)} 次，用时 {result.seconds:.1f} 秒。",
        "报告由 nianbao store 写入数据库、由 nianbao worker 解析。",
    ]
