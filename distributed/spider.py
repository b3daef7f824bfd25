"""The portal spider for a shared frontier: idempotent seeding, acknowledged callbacks, shared budgets."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import asdict
from typing import Any

import scrapy

from nianbao.crawler import discovery as disc
from nianbao.crawler.spiders.portal import PortalSpider
from nianbao.distributed.frontier import Frontier
from nianbao.distributed.keys import Keys, clean_job, connect
from nianbao.distributed.sink import ItemSink
from nianbao.intake.items import ReportItem

log = logging.getLogger(__name__)


class SharedBudget(disc.Budget):
    """A portal's page budget counted in Redis, so N processes together stay within NIANBAO_MAX_PAGES."""

    def __init__(self, server, key: str, max_pages: int, max_depth: int):
        super().__init__(max_pages=max_pages, max_depth=max_depth)
        self.server, self.key = server, key

    def spend(self) -> None:
        self.pages = int(self.server.incr(self.key))


def sites_payload(sites) -> tuple[str, str]:
    """The site list as JSON and its hash (every process of a job must crawl the same list)."""
    text = json.dumps([asdict(s) for s in sites], ensure_ascii=False, sort_keys=True)
    return text, hashlib.sha256(text.encode()).hexdigest()


class SharedPortalSpider(PortalSpider):
    """:class:`PortalSpider` whose requests live in Redis (``frontier`` is set by the scheduler's queue)."""

    name = "portal"
    frontier: Frontier

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):
        spider = super().from_crawler(crawler, *args, **kwargs)

        s = crawler.settings
        spider.redis = connect(s.get("NIANBAO_REDIS_URL") or s.get("REDIS_URL"))  # add-ons apply after this
        spider.keys = Keys(clean_job(s.get("NIANBAO_REDIS_JOB")))
        text, sha = sites_payload(spider.sites)
        spider.redis.set(spider.keys.sites, text, nx=True)
        if spider.redis.set(spider.keys.sites_sha, sha, nx=True) is None:
            known = spider.redis.get(spider.keys.sites_sha).decode()
            if known != sha:
                raise ValueError(
                    f"站点列表与任务 {spider.keys.job} 中其他进程使用的不一致；"
                    "请使用相同的 --sites 文件，或换一个 --job 名称"
                )
        spider.budgets = [
            SharedBudget(spider.redis, spider.keys.budget(p.url), s.getint("NIANBAO_MAX_PAGES", 300),
                         s.getint("NIANBAO_MAX_DEPTH", 6))  # fmt: skip
            for p in spider.portals
        ]
        spider.journal = None  # Redis keeps the frontier; no job directory
        spider.sink = ItemSink(spider.redis, spider.keys, crawler)
        spider.sink.send_sites(spider.sites)
        return spider

    async def start(self) -> AsyncIterator[scrapy.Request]:
        """Seed each portal once per job, whichever process comes first.

        Each start request is pushed to the shared queue together with its URL's entry in the
        job's set of seeded sites, in one Lua script: a process killed while seeding loses nothing,
        and a second process seeds nothing twice.
        """
        r, k = self.redis, self.keys
        r.set(k.seeding, self.frontier.worker, ex=120)
        fresh = 0
        try:
            async for request in super().start():
                url = self.portals[request.meta["nb_portal"]].url
                fresh += self.request_queue.seed(request, k.seeded, url)
        finally:
            r.delete(k.seeding)
        self.crawler.stats.set_value("nianbao/seeded", fresh)
        log.info("播种 %d 个站点（其余 %d 个已由其他进程播种）", fresh, len(self.portals) - fresh)
        return
        yield  # an async generator that yields nothing: the requests are in Redis already

    # every callback and errback acknowledges its request once its output is in Redis

    def _acked(self, meta: dict[str, Any], output) -> Iterator[Any]:
        try:
            for x in output or ():
                if isinstance(x, ReportItem):
                    self.sink.send(x, self)  # in Redis before the request is acknowledged
                else:
                    yield x
        finally:
            self.frontier.ack(meta)

    def parse_page(self, response):
        return self._acked(response.meta, super().parse_page(response))

    def parse_data(self, response):
        return self._acked(response.meta, super().parse_data(response))

    def parse_report(self, response):
        return self._acked(response.meta, super().parse_report(response))

    def parse_attachment(self, response):
        return self._acked(response.meta, super().parse_attachment(response))

    def attachment_failed(self, failure):
        return self._acked(failure.request.meta, super().attachment_failed(failure))

    def on_error(self, failure):
        request = getattr(failure, "request", None)
        return self._acked(request.meta if request is not None else {}, super().on_error(failure))
