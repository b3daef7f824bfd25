"""Three crawlers, two parse workers and the store on a sandbox network = one single-process crawl.

Real processes (``nianbao crawl --redis`` / ``worker`` / ``store``), a real redis-server, the
sandbox proxy counting requests per URL.  Marked slow: about three minutes in all.
"""

from __future__ import annotations

import os
import signal
import time
from collections import defaultdict
from pathlib import Path

import pytest

from nianbao.distributed.compare import differences, snapshot
from nianbao.distributed.keys import Keys, connect
from nianbao.sandbox.harness import Cluster
from nianbao.sandbox.network import generate
from nianbao.sandbox.server import running

pytestmark = [pytest.mark.redis, pytest.mark.slow]

SEED, SIZE = 7, 2
FAST = {"AUTOTHROTTLE_ENABLED": False, "NIANBAO_REDIS_HEARTBEAT_TTL": 4, "NIANBAO_REDIS_IDLE_CONFIRM": 1}
RATE, BURST = 8.0, 2.0


def network(delay: float = 0.0):
    """A fresh sandbox network; every answer's time is recorded per host (and optionally slowed)."""
    net = generate(SEED, SIZE)
    net.times = defaultdict(list)
    respond = net.respond

    def timed(method, url, headers=None):
        if delay:
            time.sleep(delay)
        net.times[url.split("/")[2]].append(time.monotonic())
        return respond(method, url, headers)

    net.respond = timed
    return net


def progress(net, server, keys: Keys):
    """What changes while a distributed crawl gets anywhere: answers served, entries and parse jobs.

    Read-only (no RQ registry cleanup): the cluster alone must notice and retry abandoned jobs."""
    from rq import Queue
    from rq.registry import StartedJobRegistry

    queue = Queue(keys.rq_queue, connection=server)
    started = StartedJobRegistry(queue=queue).key

    def last_id(stream: str) -> bytes | None:
        return server.xinfo_stream(stream)["last-generated-id"] if server.exists(stream) else None

    return lambda: (sum(net.requests.values()), last_id(keys.items), last_id(keys.results),
                    server.llen(queue.key), server.zcard(started))  # fmt: skip


NO_PROGRESS = 180  # seconds without any progress before a cluster test gives up (the machine may be loaded)


def sites_file(net, path: Path) -> Path:
    path.write_text(net.sites_csv(), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The single-process crawl of the same network: its store and its requests per URL."""
    work = tmp_path_factory.mktemp("single")
    net = network()
    with running(net) as proxy:
        c = Cluster("", work, proxy=proxy)
        try:
            p = c.spawn("single", ["crawl", "--sites", str(sites_file(net, work / "sites.csv")), "--db",
                                   str(work / "single.db"), "--quiet", "-s", "AUTOTHROTTLE_ENABLED=False"])  # fmt: skip
            c.wait([p], 400)
        finally:
            c.stop()
    snap = snapshot(work / "single.db")
    assert len(snap["reports"]) > 20, "the reference crawl found too little to compare"
    return snap, dict(net.requests)


def test_three_crawlers_two_workers_store_the_same_reports(redis_url, reference, tmp_path):
    ref, ref_requests = reference
    net = network()
    with running(net) as proxy:
        c = Cluster(redis_url, tmp_path, proxy=proxy, job="equal")
        try:
            sites = sites_file(net, tmp_path / "sites.csv")
            settings = {**FAST, "NIANBAO_HOST_RATE": RATE, "NIANBAO_HOST_BURST": BURST}
            crawlers = [c.crawler(f"crawl{i}", sites, settings) for i in range(3)]
            workers = [c.worker(f"worker{i}") for i in range(2)]
            store = c.store(tmp_path / "dist.db")
            c.wait(crawlers + workers + [store], NO_PROGRESS, progress(net, connect(redis_url), Keys("equal")))
        finally:
            c.stop()
    got = snapshot(tmp_path / "dist.db")
    assert differences(ref, got) == []
    # no URL fetched more often than by the single process (robots.txt: once per process and host)
    extra = {u: (n, ref_requests.get(u, 0)) for u, n in net.requests.items()
             if n > ref_requests.get(u, 0) and not (u.endswith("/robots.txt") and n <= 3)}  # fmt: skip
    assert extra == {}
    # the work was shared, and the hosts were spared: at most RATE per second (+ burst) across processes
    pages = [int(c.log(f"crawl{i}").split("访问页面 ")[1].split(" ")[0]) for i in range(3)]
    assert sum(1 for n in pages if n > 0) >= 2, pages
    for host, times in net.times.items():
        times.sort()
        for i, t in enumerate(times):
            in_window = sum(1 for u in times[i:] if u - t < 2.0)
            # token bucket: RATE*2 + BURST in 2 s; a little slack for network jitter; 3 processes unshared = 3x
            assert in_window <= 1.25 * (RATE * 2.0 + BURST), (host, in_window)


def _freeze_when(proc, check, timeout: float = 120.0) -> bool:
    """SIGSTOP ``proc`` at a moment when ``check()`` is true (it cannot change while frozen)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        os.killpg(proc.pid, signal.SIGSTOP)
        if check():
            return True
        os.killpg(proc.pid, signal.SIGCONT)
        time.sleep(0.05)
    return False


def test_killed_crawler_and_parse_worker_lose_nothing(redis_url, reference, tmp_path):
    from rq import Queue, Worker
    from rq.exceptions import NoSuchJobError
    from rq.job import Job
    from rq.registry import FailedJobRegistry, StartedJobRegistry

    ref, _ = reference
    server = connect(redis_url)
    keys = Keys("kill")
    net = network(delay=0.05)  # slower answers: requests stay in flight long enough to be caught
    with running(net) as proxy:
        c = Cluster(redis_url, tmp_path, proxy=proxy, job="kill")
        try:
            sites = sites_file(net, tmp_path / "sites.csv")
            settings = {**FAST, "NIANBAO_HOST_RATE": 50}
            # the victim starts alone, so it is certain to hold requests in flight when caught (with all
            # three started at once, a quick machine let the others take the whole frontier first)
            victim = c.crawler("crawl0", sites, settings)
            workers = [c.worker(f"worker{i}", heartbeat=1, grace=2) for i in range(2)]
            store = c.store(tmp_path / "dist.db")

            def crawler_busy() -> bool:
                ids = [w.decode() for w in server.smembers(keys.workers) if f"-{victim.pid}-" in w.decode()]
                return bool(ids) and server.hlen(keys.inflight(ids[0])) > 0

            assert _freeze_when(victim, crawler_busy), "the crawler never had a request in flight"
            c.kill(victim)
            crawlers = [victim] + [c.crawler(f"crawl{i}", sites, settings) for i in (1, 2)]
            queue = Queue(keys.rq_queue, connection=server)
            by_pid = {p.pid: p for p in workers}
            caught: list[str] = []

            def worker_busy() -> bool:
                for w in Worker.all(queue=queue):
                    job_id = w.get_current_job_id()
                    if w.pid in by_pid and job_id and job_id in StartedJobRegistry(queue=queue).get_job_ids():
                        caught[:] = [job_id, str(w.pid)]
                        return True
                return False

            assert _freeze_when_any(workers, worker_busy, by_pid, caught), "no parse job was caught in flight"
            frozen = by_pid[int(caught[1])]
            c.kill(frozen)  # killed mid-job: RQ must notice (no heartbeat) and run the job again
            survivors = crawlers[1:] + [p for p in workers if p is not frozen] + [store]
            c.wait(survivors, NO_PROGRESS, progress(net, server, keys))
        finally:
            c.stop()
    assert differences(ref, snapshot(tmp_path / "dist.db")) == []
    taken_over = sum(int(c.log(f"crawl{i}").split("接手失联进程的请求 ")[1].split(" ")[0]) for i in (1, 2))
    assert taken_over >= 1
    queue = Queue(keys.rq_queue, connection=server)
    assert caught[0] not in StartedJobRegistry(queue=queue).get_job_ids()
    failed = FailedJobRegistry(queue=queue)
    assert failed.count == 0, [(i, i == caught[0], Job.fetch(i, connection=server).exc_info[-3000:])
                               for i in failed.get_job_ids()]  # fmt: skip
    try:  # results are not kept (result_ttl=0): a job still stored was retried and is waiting or failed
        left = Job.fetch(caught[0], connection=server)
    except NoSuchJobError:
        left = None
    assert left is None, (left.get_status(), left.retries_left)
    assert "失败的解析任务 0 个" in c.log("store")


def _freeze_when_any(procs, check, by_pid, caught, timeout: float = 120.0) -> bool:
    """Freeze all ``procs``; if ``check()`` finds one mid-job, keep that one frozen and thaw the others."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for p in procs:
            os.killpg(p.pid, signal.SIGSTOP)
        if check():
            for p in procs:
                if p.pid != int(caught[1]):
                    os.killpg(p.pid, signal.SIGCONT)
            return True
        for p in procs:
            os.killpg(p.pid, signal.SIGCONT)
        time.sleep(0.02)
    return False


