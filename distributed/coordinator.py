"""A Scrapy extension that makes one crawler process a good member of a shared frontier.

* heartbeat: a key with a TTL (``NIANBAO_REDIS_HEARTBEAT_TTL``) refreshed every second;
* idle rule: scrapy-redis spiders idle forever by default; here a process stops when the
  shared queue is empty, nobody is seeding and no live process has a request in flight
  (for ``NIANBAO_REDIS_IDLE_CONFIRM`` seconds in a row), after requeueing the requests of
  processes whose heartbeat has expired;
* acknowledgements Scrapy gives no callback for: a redirect/retry the dupefilter drops;
* a clean stop (Ctrl-C) puts this process's in-flight requests back in the queue.
"""

from __future__ import annotations

import logging
import time

from scrapy import signals
from scrapy.exceptions import DontCloseSpider, NotConfigured

log = logging.getLogger(__name__)


class Coordinator:
    def __init__(self, crawler):
        self.crawler = crawler
        s = crawler.settings
        self.confirm = s.getfloat("NIANBAO_REDIS_IDLE_CONFIRM", 2.0)
        self.tick = s.getfloat("NIANBAO_REDIS_TICK", 1.0)
        self.idle_since: float | None = None
        self.loop = None
        crawler.signals.connect(self.opened, signal=signals.spider_opened)
        crawler.signals.connect(self.idle, signal=signals.spider_idle)
        crawler.signals.connect(self.dropped, signal=signals.request_dropped)
        crawler.signals.connect(self.closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.get("NIANBAO_REDIS_JOB"):
            raise NotConfigured
        return cls(crawler)

    @property
    def frontier(self):
        return self.crawler.spider.frontier

    def opened(self, spider=None) -> None:
        from twisted.internet import task

        self.frontier.register()
        self.loop = task.LoopingCall(self._beat)
        self.loop.start(self.tick, now=False)

    def _beat(self) -> None:
        try:
            self.frontier.heartbeat()
        except Exception as exc:  # noqa: BLE001 - Redis hiccup: try again next tick
            log.warning("Redis 心跳失败：%s", exc)
            return
        slot = getattr(self.crawler.engine, "_slot", None)
        if slot is not None:
            slot.nextcall.schedule()  # pick up requests other processes queued (Scrapy polls every 5 s)

    def idle(self, spider=None) -> None:
        f = self.frontier
        leaked = f.drop_own()
        if leaked:  # Scrapy holds nothing: these records were acknowledged by no callback
            self.crawler.stats.inc_value("nianbao/redis/unacked_dropped", leaked)
            log.debug("dropped %d stale in-flight records", leaked)
        reaped = f.reap()
        if reaped:
            self.crawler.stats.inc_value("nianbao/redis/requeued_from_dead", reaped)
        queued, inflight = f.busy_elsewhere()
        if queued or inflight:
            self.idle_since = None
            raise DontCloseSpider
        now = time.monotonic()
        if self.idle_since is None:
            self.idle_since = now
        if now - self.idle_since < self.confirm:
            raise DontCloseSpider
        log.info("共享队列已空且没有进程在忙：结束")

    def dropped(self, request, spider=None) -> None:
        self.frontier.ack(request.meta)

    def closed(self, spider=None, reason: str = "") -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        back = self.frontier.leave()
        if back:
            log.warning("进程结束（%s）：%d 个未完成的请求已放回共享队列", reason, back)
