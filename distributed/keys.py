"""Redis key names of one distributed job, and the connection (pure naming + one factory)."""

from __future__ import annotations

import re
from dataclasses import dataclass

DEFAULT_JOB = "nianbao"
ENV_URL = "NIANBAO_REDIS_URL"
ENV_JOB = "NIANBAO_REDIS_JOB"
STORE_GROUP = "store"


def clean_job(name: str | None) -> str:
    """A job name safe inside Redis keys and scrapy-redis' ``%``-formatted settings."""
    name = (name or DEFAULT_JOB).strip()
    if not re.fullmatch(r"[A-Za-z0-9_.\-]{1,64}", name):
        raise ValueError(f"invalid job name {name!r}: use letters, digits, '_', '.', '-'")
    return name


@dataclass(frozen=True)
class Keys:
    """Every key of job ``job`` starts with ``nianbao:<job>:``."""

    job: str = DEFAULT_JOB

    @property
    def prefix(self) -> str:
        return f"nianbao:{self.job}"

    def __getattr__(self, name: str) -> str:  # keys.requests, keys.items ... (see NAMES)
        if name in NAMES:
            return f"nianbao:{self.job}:{name}"
        raise AttributeError(name)

    def heartbeat(self, worker: str) -> str:
        return f"{self.prefix}:hb:{worker}"

    def inflight(self, worker: str) -> str:
        return f"{self.prefix}:inflight:{worker}"

    def bucket(self, host: str) -> str:
        return f"{self.prefix}:bucket:{host}"

    def budget(self, portal_url: str) -> str:
        return f"{self.prefix}:budget:{portal_url}"

    @property
    def rq_queue(self) -> str:
        return f"nianbao-{self.job}-parse"

    def all_patterns(self) -> list[str]:
        return [f"{self.prefix}:*"]


NAMES = (
    "requests",  # scrapy-redis priority queue (sorted set)
    "dupefilter",  # scrapy-redis seen-request fingerprints (set)
    "seeded",  # site start URLs already seeded (set)
    "seeding",  # a crawler is seeding (string with TTL)
    "sites",  # the site list (JSON) every process of the job must share
    "sites_sha",  # its hash
    "workers",  # crawler workers (set)
    "items",  # crawler -> store: candidate reports (stream)
    "results",  # parse worker -> store: reports (stream)
    "store_lock",  # the single writer's lock (string with TTL)
    "stats",  # counters (hash)
)


def connect(url: str):
    """A Redis client for ``url`` (``redis://HOST:PORT/N``); raises a clear error when unreachable."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=5, health_check_interval=30)
    try:
        client.ping()
    except redis.RedisError as exc:
        raise ConnectionError(f"无法连接 Redis {url}：{exc}") from exc
    return client
