"""``nianbao store --redis``: the single writer.  Drains the job's streams into the SQLite store.

* ``items`` (from crawlers): each candidate report's documents are added (``Store.add_document``)
  in one transaction per batch; after the commit a parse job per report goes to RQ and only
  then are the entries acknowledged (``XACK``) and deleted;
* ``results`` (from parse workers): reports saved (``Store.save_report``) in one transaction
  per batch, acknowledged after the commit.

A store killed at any moment loses nothing: unacknowledged entries stay pending in the
consumer group and are read again (``XREADGROUP … 0``) when it restarts; doing an entry twice
is harmless (same bytes = same version; ``save_report`` is idempotent per version).  A Redis
lock keeps a second writer out.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from nianbao import intake
from nianbao.distributed import codec
from nianbao.distributed.frontier import frontier_done
from nianbao.distributed.keys import STORE_GROUP, Keys, clean_job
from nianbao.distributed.remaining import remaining

log = logging.getLogger(__name__)

CONSUMER = "writer"  # one writer: a restarted store reads its predecessor's pending entries


@dataclass
class DrainStats(intake.Counts):
    """The single writer's figures: what it stored (:class:`nianbao.intake.Counts`) and its own work."""

    items: int = 0
    jobs: int = 0
    results: int = 0
    batches: int = 0
    errors: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    def as_dict(self) -> dict[str, Any]:
        d = {k: v for k, v in self.__dict__.items() if k not in ("errors", "started")}
        d["errors"] = len(self.errors)
        d["seconds"] = round(time.monotonic() - self.started, 1)
        return d


class Drainer:
    def __init__(self, store, server, job: str | None = None, *, batch: int = 50, parse_timeout: int = 600,
                 lock_ttl: int = 30, max_jobs: int = 2000):  # fmt: skip
        from rq import Queue

        self.store = store
        self.server = server
        self.keys = Keys(clean_job(job))
        self.batch = batch
        self.parse_timeout = parse_timeout
        self.lock_ttl = lock_ttl
        self.max_jobs = max_jobs
        self.queue = Queue(self.keys.rq_queue, connection=server)
        self.stats = DrainStats()
        self.owner = f"{socket.gethostname()}-{os.getpid()}"
        self.run_id: int | None = None
        self.recovering = {self.keys.items: True, self.keys.results: True}
        self.per_site: dict[str, Counter] = {}

    # -- lifecycle ------------------------------------------------------------------

    def open(self) -> None:
        import redis

        if not self.server.set(self.keys.store_lock, self.owner, nx=True, ex=self.lock_ttl):
            holder = (self.server.get(self.keys.store_lock) or b"?").decode()
            raise RuntimeError(f"任务 {self.keys.job} 已有写入进程在运行（{holder}）：同一任务只能有一个 nianbao store")
        for stream in (self.keys.items, self.keys.results):
            try:
                self.server.xgroup_create(stream, STORE_GROUP, id="0", mkstream=True)
            except redis.ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise
        self.run_id = self.store.start_run("crawl", {"mode": "redis", "job": self.keys.job})

    def close(self, status: str = "finished") -> None:
        if self.run_id is not None:
            self.store.finish_run(self.run_id, self.stats.as_dict(), status=status)
        if (self.server.get(self.keys.store_lock) or b"").decode() == self.owner:
            self.server.delete(self.keys.store_lock)

    def keep_lock(self) -> None:
        holder = (self.server.get(self.keys.store_lock) or b"").decode()
        if holder and holder != self.owner:
            raise RuntimeError(f"写入锁被 {holder} 占用：停止，以免两个进程同时写入")
        self.server.set(self.keys.store_lock, self.owner, ex=self.lock_ttl)

    # -- one round --------------------------------------------------------------------

    def _read(self, block_ms: int) -> list[tuple[str, list]]:
        out = []
        for stream in (self.keys.results, self.keys.items):
            if self.recovering[stream]:  # entries read by a previous life of the store, not acknowledged
                got = self.server.xreadgroup(STORE_GROUP, CONSUMER, {stream: "0"}, count=self.batch)
                entries = got[0][1] if got else []
                if entries:
                    out.append((stream, entries))
                else:
                    self.recovering[stream] = False
        if out:
            return out
        streams = {self.keys.results: ">", self.keys.items: ">"}
        if self.max_jobs and self.queue.count > self.max_jobs:
            # parse workers are behind: leave new items in their stream (crawlers then wait, see
            # NIANBAO_REDIS_MAX_BACKLOG) instead of piling document bytes into RQ jobs
            del streams[self.keys.items]
        got = self.server.xreadgroup(STORE_GROUP, CONSUMER, streams, count=self.batch, block=block_ms)
        for stream, entries in got or []:
            if entries:
                out.append((stream.decode() if isinstance(stream, bytes) else stream, entries))
        return out

    def step(self, block_ms: int = 1000) -> int:
        """Drain one batch per stream; returns the number of entries committed."""
        self.keep_lock()
        done = 0
        for stream, entries in self._read(block_ms):
            gone = [i for i, f in entries if not f]  # deleted but still pending: nothing to do
            if gone:
                self._ack(stream, gone)
            entries = [(i, f) for i, f in entries if f]
            if not entries:
                continue
            if stream == self.keys.results:
                done += self._results(entries)
            else:
                done += self._items(entries)
        return done

    def _ack(self, stream: str, ids: list) -> None:
        pipe = self.server.pipeline(transaction=True)
        pipe.xack(stream, STORE_GROUP, *ids)
        pipe.xdel(stream, *ids)
        pipe.execute()

    def _items(self, entries: list) -> int:
        from rq import Retry

        jobs: list[dict[str, Any]] = []
        with self.store.transaction():
            for _id, fields in entries:
                if codec.kind_of(fields) == "sites":
                    self._sites(codec.control(fields)["sites"])
                    continue
                payload = self._add_item(fields)
                if payload is not None:
                    jobs.append(payload)
        # committed: now the parse jobs, then the acknowledgement
        for payload in jobs:
            self.queue.enqueue("nianbao.distributed.jobs.parse_item", payload, job_timeout=self.parse_timeout,
                               result_ttl=0, failure_ttl=7 * 86400, retry=Retry(max=3))  # fmt: skip
        self.stats.jobs += len(jobs)
        self._ack(self.keys.items, [i for i, _ in entries])
        self.stats.batches += 1
        return len(entries)

    def _sites(self, sites: list[dict[str, Any]]) -> None:
        for s in sites:
            try:
                self.store.upsert_site(s["url"], agency=s["agency"], level=s.get("level"), region=s.get("region"),
                                       parent=s.get("parent"))  # fmt: skip
            except Exception as exc:  # noqa: BLE001 - one bad row must not stop the store
                log.warning("站点 %s（%s）无法登记：%s", s.get("agency"), s.get("url"), exc)

    def _add_item(self, fields: dict) -> dict[str, Any] | None:
        item, extra = codec.decode_item(fields)
        hint = extra["hint"]
        usable = []
        for doc in item.documents:
            try:
                ref = intake.record(self.store, doc, item, hint=hint, site=extra["portal_url"], run_id=self.run_id)
            except Exception as exc:  # noqa: BLE001
                log.error("文档 %s 无法保存：%s", doc.url, exc)
                self.stats.errors.append(f"{doc.url}: {exc}")
                continue
            if ref.version_id:
                usable.append((doc, ref))
        self.stats.items += 1
        self.stats.documents += len(item.documents)
        if not usable:
            return None
        first_seen = [intake.first_seen(self.store, doc.url).isoformat() for doc, _ in usable]
        return {
            "job": self.keys.job,
            "hint": codec.site_to_dict(hint),
            "item": {"title": item.title, "link_text": item.link_text, "list_date": item.list_date},
            "documents": [{**{k: getattr(d, k) for k in codec.DOC_FIELDS}, "body": d.body} for d, _ in usable],
            "version_ids": [ref.version_id for _, ref in usable],
            "first_seen": first_seen,
        }

    def _results(self, entries: list) -> int:
        with self.store.transaction():
            for _id, fields in entries:
                r = codec.decode_result(fields)
                report = r["report"]
                intake.save(self.store, r["assembled"], version_id=r["version_id"], agency_hint=r.get("agency_hint"),
                            run_id=self.run_id)  # fmt: skip
                self.stats.results += 1
                self.stats.add(report)
        self._ack(self.keys.results, [i for i, _ in entries])
        self.stats.batches += 1
        return len(entries)

    # -- is everything done? ---------------------------------------------------------------

    def pending_work(self) -> tuple[bool, str]:
        """(True, why) while anything of the job remains: crawling, entries, parse jobs.

        The crawl first (crawlers only add entries), then everything else in one atomic count
        (:func:`nianbao.distributed.remaining.remaining`): a parse job requeued after its worker died is
        never missed between two separate reads."""

        done, why = frontier_done(self.server, self.keys.job)
        if not done:
            return True, why
        left = remaining(self.server, self.keys, self.queue)
        if left.items or left.results:
            return True, f"待写入 {left.items + left.results} 条"
        if left.jobs:
            return True, f"解析任务：排队 {left.queued}，进行中 {left.started}"
        return False, "全部完成"

    def failed_jobs(self) -> int:
        from rq.registry import FailedJobRegistry

        return FailedJobRegistry(queue=self.queue).count


def run_store(store, server, job: str | None = None, *, until_done: bool = False, batch: int = 50,
              parse_timeout: int = 600, progress=None) -> DrainStats:  # fmt: skip
    """Drain until interrupted (or, with ``until_done``, until the whole job is finished)."""
    d = Drainer(store, server, job, batch=batch, parse_timeout=parse_timeout)
    d.open()
    status = "finished"
    try:
        last = 0.0
        while True:
            n = d.step(block_ms=500)
            if progress is not None and time.monotonic() - last > 5:
                last = time.monotonic()
                progress(d)
            if n == 0 and until_done:
                busy, _ = d.pending_work()
                if not busy:
                    break
    except KeyboardInterrupt:
        status = "interrupted"
    finally:
        d.stats.failed_jobs = d.failed_jobs()  # type: ignore[attr-defined]
        d.close(status)
    return d.stats
