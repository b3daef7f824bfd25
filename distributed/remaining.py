"""What is left of a job's work in Redis once crawling is over: one consistent count.

Work only moves forward through Redis: ``items`` stream -> RQ queue -> RQ intermediate list ->
started registry -> ``results`` stream -> committed; except that an abandoned job (its worker
died) moves *back* from the started registry to the queue when some process cleans the registry
up.  Counting the places with separate commands can miss a job in motion: ``queue.count`` reads 0,
then ``StartedJobRegistry.count`` (which cleans up first) requeues the abandoned job and reads 0
as well, and the store or the last worker stops while the job waits in the queue for nobody.

So :func:`remaining` first requeues the abandoned jobs itself, then reads every place in one
Lua script (atomic).  Every RQ move is atomic (``BLMOVE`` into the intermediate list; one transaction from
there to the started registry; one transaction for a cleanup's requeue), and the others overlap
(a result is added before its job leaves the started registry; a parse job is queued before its
item is deleted), so a job is always in at least one of the places read together.

A job in RQ's intermediate list was taken by a worker that has not started it yet, or that died
just then (RQ's maintenance requeues it after a minute); an entry whose job has finished or
failed is a leftover of a worker killed while starting a job someone else ran since, not work.
"""

from __future__ import annotations

from dataclasses import dataclass

from nianbao.distributed.keys import Keys

_COUNT = """
local taken = 0
for _, id in ipairs(redis.call('LRANGE', KEYS[3], 0, -1)) do
  local status = redis.call('HGET', ARGV[1] .. id, 'status')
  if status and status ~= 'finished' and status ~= 'failed' and status ~= 'stopped' and status ~= 'canceled' then
    taken = taken + 1
  end
end
return {redis.call('XLEN', KEYS[1]), redis.call('LLEN', KEYS[2]), taken, redis.call('ZCARD', KEYS[4]),
        redis.call('XLEN', KEYS[5])}
"""


@dataclass(frozen=True)
class Remaining:
    items: int  # candidate reports not yet committed by the store
    queued: int  # parse jobs waiting (including those just taken by a worker, not yet started)
    started: int  # parse jobs running, or abandoned and not yet noticed
    results: int  # parsed reports not yet committed by the store

    @property
    def jobs(self) -> int:
        return self.queued + self.started

    def __bool__(self) -> bool:
        return bool(self.items or self.queued or self.started or self.results)


def remaining(server, keys: Keys, queue) -> Remaining:
    """The job's entries and parse jobs still in Redis (``queue``: its RQ queue), counted atomically."""
    from rq.registry import StartedJobRegistry

    started = StartedJobRegistry(queue=queue)
    started.cleanup()  # abandoned jobs go back to the queue (or to the failed registry) now, not mid-count
    keys_ = [keys.items, queue.key, queue.intermediate_queue_key, started.key, keys.results]
    got = server.eval(_COUNT, len(keys_), *keys_, queue.job_class.redis_job_namespace_prefix)
    items, queued, taken, running, results = (int(x) for x in got)
    return Remaining(items=items, queued=queued + taken, started=running, results=results)
