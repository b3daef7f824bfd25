"""``nianbao worker --redis``: an RQ worker for the parse jobs of one job.

RQ's :class:`~rq.SimpleWorker` (no fork per job): the readers' models (OCR) load once per
process.  A thread sends the job's heartbeat every ``heartbeat`` seconds with a short TTL, so
when the whole process dies (SIGKILL, machine lost) the job is seen as abandoned within
``heartbeat + grace`` seconds and RQ retries it (``Retry(max=3)``, set by the store).
"""

from __future__ import annotations

import logging
import threading
import time

from rq import SimpleWorker
from rq.worker import WorkerStatus

log = logging.getLogger(__name__)


class ParseWorker(SimpleWorker):
    heartbeat_every: float = 5.0
    grace: float = 10.0
    ran: int = 0  # jobs executed by this process

    def get_heartbeat_ttl(self, job, working_time: float = 0.0) -> int:  # noqa: ARG002
        return int(self.heartbeat_every + self.grace)

    def execute_job(self, job, queue) -> None:
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
    from rq.registry import StartedJobRegistry

    from distributed.frontier import frontier_done
    from distributed.keys import Keys, clean_job

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
        if done and not (server.xlen(keys.items) or queue.count or StartedJobRegistry(queue=queue).count):
            break
        time.sleep(0.3)
    return w.ran
