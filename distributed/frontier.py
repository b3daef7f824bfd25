"""The shared frontier: a scrapy-redis priority queue whose pops are recorded until acknowledged.

scrapy-redis pops requests destructively: a crawler killed with SIGKILL would lose the requests
it was downloading.  :class:`ReliablePriorityQueue` pops and records the request in the
process's in-flight hash in one Lua script; the request is acknowledged (:meth:`Frontier.ack`)
once its callback or errback has run and everything it yielded is in Redis.  A process that
stops sending heartbeats has its in-flight requests put back in the queue by any other process
(:meth:`Frontier.reap`).
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from typing import Any

from scrapy_redis.queue import Base

from nianbao.distributed.keys import Keys, clean_job

log = logging.getLogger(__name__)

RID = "_nbd_rid"  # request meta key: the in-flight record of this request (never copied by the spider)
REQUEUE_SCORE = -1_000_000  # requests taken back from a dead process go first

_POP = """
local r = redis.call('ZRANGE', KEYS[1], 0, 0)
if #r == 0 then return false end
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, 0)
redis.call('HSET', KEYS[2], ARGV[1], r[1])
return r[1]
"""

# seed a start URL once per job: remember it and queue its request atomically
_SEED = """
if redis.call('SADD', KEYS[2], ARGV[1]) == 1 then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
  return 1
end
return 0
"""

# move every in-flight request of a dead worker back to the queue, forget the worker
_REAP = """
local all = redis.call('HGETALL', KEYS[2])
for i = 1, #all, 2 do
  redis.call('ZADD', KEYS[1], ARGV[1], all[i + 1])
end
redis.call('DEL', KEYS[2])
redis.call('SREM', KEYS[3], ARGV[2])
return #all / 2
"""


def new_worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class Frontier:
    """In-flight records, heartbeats and the global idle test of one job, for one crawler process."""

    def __init__(self, server, job: str, worker: str, heartbeat_ttl: float = 30.0):
        self.server = server
        self.keys = Keys(clean_job(job))
        self.worker = worker
        self.heartbeat_ttl = heartbeat_ttl
        self._pop = server.register_script(_POP)
        self._reap = server.register_script(_REAP)

    # -- membership ---------------------------------------------------------------

    def register(self) -> None:
        self.server.sadd(self.keys.workers, self.worker)
        self.heartbeat()

    def heartbeat(self) -> None:
        self.server.set(self.keys.heartbeat(self.worker), str(time.time()), px=int(self.heartbeat_ttl * 1000))

    def leave(self) -> int:
        """Clean exit: put back what is still in flight (nothing after an idle close), deregister."""
        n = self._reap(keys=[self.keys.requests, self.keys.inflight(self.worker), self.keys.workers],
                       args=[REQUEUE_SCORE, self.worker])  # fmt: skip
        self.server.delete(self.keys.heartbeat(self.worker))
        return int(n)

    # -- requests -----------------------------------------------------------------

    def pop(self) -> tuple[str, bytes] | None:
        rid = uuid.uuid4().hex
        data = self._pop(keys=[self.keys.requests, self.keys.inflight(self.worker)], args=[rid])
        return (rid, data) if data else None

    def ack(self, meta: dict[str, Any] | None) -> None:
        rid = (meta or {}).get(RID)
        if rid:
            self.server.hdel(self.keys.inflight(self.worker), rid)

    def own_inflight(self) -> int:
        return int(self.server.hlen(self.keys.inflight(self.worker)))

    def drop_own(self) -> int:
        """Forget this process's in-flight records (called when Scrapy says it holds nothing)."""
        n = self.own_inflight()
        if n:
            self.server.delete(self.keys.inflight(self.worker))
        return n

    # -- other processes ------------------------------------------------------------

    def reap(self) -> int:
        """Requeue the in-flight requests of every registered worker whose heartbeat is gone."""
        moved = 0
        for raw in self.server.smembers(self.keys.workers):
            w = raw.decode() if isinstance(raw, bytes) else raw
            if w == self.worker or self.server.exists(self.keys.heartbeat(w)):
                continue
            n = int(self._reap(keys=[self.keys.requests, self.keys.inflight(w), self.keys.workers],
                               args=[REQUEUE_SCORE, w]))  # fmt: skip
            if n:
                log.warning("抓取进程 %s 已失联：%d 个未完成的请求已放回队列", w, n)
            moved += n
        return moved

    def busy_elsewhere(self) -> tuple[int, int]:
        """(queued requests, requests in flight in live processes), read atomically (MULTI)."""
        workers = [w.decode() if isinstance(w, bytes) else w for w in self.server.smembers(self.keys.workers)]
        pipe = self.server.pipeline(transaction=True)
        pipe.zcard(self.keys.requests)
        pipe.exists(self.keys.seeding)
        for w in workers:
            pipe.hlen(self.keys.inflight(w))
        res = pipe.execute()
        queued, seeding, inflight = int(res[0]), int(res[1]), sum(int(x) for x in res[2:])
        return queued + seeding, inflight


def frontier_done(server, job: str) -> tuple[bool, str]:
    """Has the crawl of ``job`` finished? (seeded, nothing queued, no crawler registered) and why not."""
    k = Keys(clean_job(job))
    if not server.exists(k.seeded):
        return False, "尚未开始抓取（没有播种的站点）"
    queued = int(server.zcard(k.requests))
    workers = int(server.scard(k.workers))
    if workers:
        return False, f"{workers} 个抓取进程在运行，队列 {queued}"
    if queued:
        return False, f"队列中仍有 {queued} 个请求，但没有抓取进程在运行：请再启动 nianbao crawl --redis"
    return True, "抓取已完成"


class ReliablePriorityQueue(Base):
    """scrapy-redis' priority queue (a sorted set), with pops recorded in the process's in-flight hash.

    Settings (read from the spider): ``NIANBAO_REDIS_JOB``, ``NIANBAO_WORKER_ID``.
    """

    def __init__(self, server, spider, key, serializer=None):
        super().__init__(server, spider, key, serializer)
        s = spider.settings
        self.frontier = Frontier(server, s.get("NIANBAO_REDIS_JOB"), s.get("NIANBAO_WORKER_ID"),
                                 s.getfloat("NIANBAO_REDIS_HEARTBEAT_TTL", 30.0))  # fmt: skip
        if self.frontier.keys.requests != self.key:
            raise ValueError(f"SCHEDULER_QUEUE_KEY {self.key!r} is not the job's queue {self.frontier.keys.requests!r}")
        self._seed = server.register_script(_SEED)
        spider.frontier = self.frontier
        spider.request_queue = self

    def seed(self, request, seeded_key: str, url: str) -> int:
        """Queue ``request`` unless ``url`` was seeded before in this job; 1 when queued."""
        data = self._encode_request(request)
        return int(self._seed(keys=[self.key, seeded_key], args=[url, -request.priority, data]))

    def __len__(self) -> int:
        return self.server.zcard(self.key)

    def push(self, request) -> None:
        data = self._encode_request(request)
        rid = request.meta.get(RID)
        pipe = self.server.pipeline(transaction=True)
        pipe.execute_command("ZADD", self.key, -request.priority, data)
        if rid:  # a retry/redirect/re-render of a popped request: the queued copy replaces the record
            pipe.hdel(self.frontier.keys.inflight(self.frontier.worker), rid)
        pipe.execute()

    def pop(self, timeout: int = 0):
        got = self.frontier.pop()
        if got is None:
            return None
        rid, data = got
        request = self._decode_request(data)
        request.meta[RID] = rid
        return request
