"""``nianbao worker --redis``: an RQ worker for the parse jobs of one job.

RQ's :class:`~rq.SimpleWorker` (no fork per job): the readers' models (OCR) load once per
process.  A thread sends the job's heartbeat every ``heartbeat`` seconds with a short TTL, so
when the whole process dies (SIGKILL, machine lost) the job is seen as abandoned within
``heartbeat + grace`` seconds and RQ retries it (``Retry(max=3)``, set by the store).

RQ 3.0 keeps a dead worker's execution in the job's execution registry for a minute after its
record expired; the retry's success then fails (``Execution … not found in Redis``) and the job
would be retried again and again until it lands in the failed registry.  :func:`forget_dead_executions`
drops such entries before a job runs.
"""

from __future__ import annotations

import logging
import threading
import time

from rq import SimpleWorker
from rq.worker import WorkerStatus

from nianbao.distributed.frontier import frontier_done
from nianbao.distributed.keys import Keys, clean_job
from nianbao.distributed.remaining import remaining

log = logging.getLogger(__name__)


def forget_dead_executions(job) -> int:
    """Drop the executions of ``job`` whose record expired with their worker; returns how many."""
    from rq.executions import Execution

    conn = job.connection
    key = job.execution_registry.key
    ids = [i.decode() if isinstance(i, bytes) else i for i in conn.zrange(key, 0, -1)]
    gone = [i for i in ids if not conn.exists(Execution(id=i, job_id=job.id, connection=conn).key)]
    if gone:
        conn.zrem(key, *gone)
    return len(gone)


class ParseWorker(SimpleWorker):
    heartbeat_every: float = 5.0
    grace: float = 10.0
    ran: int = 0  # jobs executed by this process

    def get_heartbeat_ttl(self, job, working_time: float = 0.0) -> int:  # noqa: ARG002
        return int(self.heartbeat_every + self.grace)

    def execute_job(self, job, queue) -> None:
        if forget_dead_executions(job):
            log.warning("job %s was abandoned by a dead worker: running it again", job.id)
        execution = self.prepare_execution(job)
        stop = threading.Event()

        def beat() -> None:
            while not stop.wait(self.heartbeat_every):
                try:
                    self.maintain_heartbeats(job, execution)
                except Exception as exc:  # noqa: BLE001 - next beat may succeed
                    log.warning("heartbeat of job %s failed: %s", job.id, exc)

        t = threading.Thread(target=beat, name=f"rq-heartbeat-{job.id}", daemon=True)
        t.start()
        try:
            self.perform_job(job, queue, execution)
        finally:
            stop.set()
            t.join(timeout=5)
        self.ran += 1
        self.set_state(WorkerStatus.IDLE)


def run_worker(server, job: str | None = None, *, until_done: bool = False, burst: bool = False,
               heartbeat: float = 5.0, grace: float = 10.0, maintenance: int = 30) -> int:  # fmt: skip
    """Work parse jobs; returns the number of jobs this process ran."""
    from rq import Queue


    keys = Keys(clean_job(job))
    queue = Queue(keys.rq_queue, connection=server)
    w = ParseWorker([queue], connection=server, maintenance_interval=maintenance)
    w.heartbeat_every, w.grace = heartbeat, grace
    if not until_done:
        w.work(burst=burst, logging_level="WARNING", with_scheduler=False)
        return w.ran
    while True:
        w.work(burst=True, logging_level="WARNING", with_scheduler=False)
        done, _ = frontier_done(server, keys.job)
        if done:  # the crawl is over: stop once nothing can become a parse job any more
            left = remaining(server, keys, queue)
            if not (left.items or left.jobs):
                break
        time.sleep(0.3)
    return w.ran
