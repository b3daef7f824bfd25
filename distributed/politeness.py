"""Per-host politeness shared by every crawler process: a token bucket per host in Redis.

Scrapy's per-domain concurrency and AutoThrottle are per process: with N processes a host
would get N times the rate.  Before each download this middleware takes a token from the
host's bucket (``NIANBAO_HOST_RATE`` requests per second, bursts of ``NIANBAO_HOST_BURST``;
a robots.txt ``Crawl-delay`` seen by this process lowers the rate), waiting without blocking
the other hosts.  Redis' clock is used, so the machines' clocks do not matter.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from scrapy.exceptions import NotConfigured

from nianbao.crawler.middlewares import CrawlDelayMiddleware
from nianbao.distributed.keys import Keys, clean_job, connect

# KEYS[1] bucket; ARGV rate (tokens/s), burst; returns 0 (token taken) or ms to wait
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate = tonumber(ARGV[1]) / 1000
local burst = tonumber(ARGV[2])
local b = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(b[1])
local ts = tonumber(b[2])
if tokens == nil then tokens = burst; ts = now end
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = math.ceil((1 - tokens) / rate) end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate) + 60000)
return wait
"""


class SharedHostThrottle:
    """Downloader middleware: one token per request from the host's shared bucket."""

    def __init__(self, crawler, server, job: str, rate: float, burst: float):
        self.crawler = crawler
        self.server = server
        self.keys = Keys(clean_job(job))
        self.rate = rate
        self.burst = max(1.0, burst)
        self._take = server.register_script(_TAKE)
        self.max_backlog = crawler.settings.getint("NIANBAO_REDIS_MAX_BACKLOG", 5000)

    @classmethod
    def from_crawler(cls, crawler):
        s = crawler.settings
        rate = s.getfloat("NIANBAO_HOST_RATE", 2.0)
        if not s.get("NIANBAO_REDIS_JOB") or rate <= 0:
            raise NotConfigured
        return cls(crawler, connect(s.get("REDIS_URL")), s.get("NIANBAO_REDIS_JOB"), rate,
                   s.getfloat("NIANBAO_HOST_BURST", 2.0))  # fmt: skip

    def _crawl_delay(self, host: str) -> float:
        for mw in getattr(self.crawler.engine.downloader.middleware, "middlewares", ()):
            if isinstance(mw, CrawlDelayMiddleware):
                return mw.delays.get(host, 0.0)
        return 0.0

    def rate_for(self, host: str) -> float:
        delay = self._crawl_delay(host)
        return min(self.rate, 1.0 / delay) if delay else self.rate

    async def _backpressure(self) -> None:
        """Wait while the store is more than ``NIANBAO_REDIS_MAX_BACKLOG`` items behind."""
        while self.max_backlog and self.server.xlen(self.keys.items) > self.max_backlog:
            self.crawler.stats.inc_value("nianbao/redis/backpressure_waits")
            await asyncio.sleep(1.0)

    async def process_request(self, request, spider=None):
        host = (urlsplit(request.url).hostname or "").lower()
        if not host or request.meta.get("nb_no_throttle"):
            return None
        await self._backpressure()
        rate = self.rate_for(host)
        burst = self.burst if rate == self.rate else 1.0
        waited = 0
        while True:
            wait_ms = int(self._take(keys=[self.keys.bucket(host)], args=[rate, burst]))
            if wait_ms <= 0:
                break
            waited += wait_ms
            await asyncio.sleep(wait_ms / 1000)
        if waited:
            self.crawler.stats.inc_value("nianbao/redis/throttle_wait_ms", waited)
        return None
