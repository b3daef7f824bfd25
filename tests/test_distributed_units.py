"""The Redis pieces of the distributed mode against a real redis-server (fast)."""

from __future__ import annotations

import time

import pytest

from nianbao.distributed import codec
from nianbao.distributed.drain import Drainer
from nianbao.distributed.frontier import Frontier, frontier_done
from nianbao.distributed.keys import Keys, connect
from nianbao.intake.items import DocumentItem, ReportItem
from nianbao.intake.sites import Site

pytestmark = pytest.mark.redis


@pytest.fixture(scope="module")
def server(redis_url):
    return connect(redis_url)


@pytest.fixture
def job(server, request):
    name = request.node.name.replace("[", "_").replace("]", "")[:60]
    for k in server.scan_iter(f"nianbao:{name}:*"):
        server.delete(k)
    return name


def test_a_dead_workers_requests_go_back_to_the_queue(server, job):
    k = Keys(job)
    server.zadd(k.requests, {b"req-a": 0, b"req-b": 1})
    dead = Frontier(server, job, "dead", heartbeat_ttl=0.3)
    alive = Frontier(server, job, "alive", heartbeat_ttl=30)
    dead.register()
    alive.register()
    assert dead.pop()[1] == b"req-a"
    assert server.zcard(k.requests) == 1 and dead.own_inflight() == 1
    assert alive.busy_elsewhere() == (1, 1)
    assert alive.reap() == 0  # its heartbeat is still alive
    time.sleep(0.5)
    assert alive.reap() == 1
    assert server.zcard(k.requests) == 2 and not server.exists(k.inflight("dead"))
    assert server.smembers(k.workers) == {b"alive"}
    rid, data = alive.pop()  # the requeued request goes first
    assert data == b"req-a"
    alive.ack({"_nbd_rid": rid})
    assert alive.own_inflight() == 0


def test_frontier_done_needs_a_seed_an_empty_queue_and_no_crawler(server, job):
    k = Keys(job)
    assert frontier_done(server, job)[0] is False
    server.sadd(k.seeded, "http://a.gov.cn/")
    f = Frontier(server, job, "w1")
    f.register()
    assert frontier_done(server, job)[0] is False
    f.leave()
    assert frontier_done(server, job) == (True, "抓取已完成")
    server.zadd(k.requests, {b"left": 0})
    done, why = frontier_done(server, job)
    assert not done and "没有抓取进程" in why


def _item(url: str, body: bytes) -> dict[bytes, bytes]:
    doc = DocumentItem(url=url, final_url=url, status=200, headers={"Content-Type": "text/html"},
                       content_type="text/html", body=body, fetched_at="2025-03-01T00:00:00+00:00")  # fmt: skip
    item = ReportItem(portal=0, link_text="2024年政府信息公开工作年度报告", documents=[doc])
    fields = codec.encode_item(item, portal_url="http://www.a.gov.cn/", hint=Site("甲县人民政府", "http://www.a.gov.cn/"))
    return {k.encode(): v for k, v in fields.items()}


def test_store_acknowledges_only_after_commit_and_recovers_pending_entries(server, job, tmp_path):
    from nianbao.storage.store import Store

    k = Keys(job)
    body = "<html><body><h1>甲县人民政府2024年政府信息公开工作年度报告</h1></body></html>".encode()
    server.xadd(k.items, {kk.decode(): v for kk, v in _item("http://www.a.gov.cn/nb/1.html", body).items()})
    db = tmp_path / "s.db"
    with Store(db) as store:
        first = Drainer(store, server, job)
        first.open()
        got = first._read(100)  # read, then "die" before the commit
        assert got and got[0][0] == k.items
        server.delete(k.store_lock)
    with Store(db) as store:
        assert store.one("SELECT COUNT(*) AS n FROM documents")["n"] == 0
        second = Drainer(store, server, job)
        second.open()
        assert second.step(block_ms=100) == 1  # the pending entry of the first life
        second.close()
        assert store.one("SELECT COUNT(*) AS n FROM documents")["n"] == 1
    assert server.xlen(k.items) == 0
    assert server.xpending(k.items, "store")["pending"] == 0
    assert server.llen(f"rq:queue:{k.rq_queue}") == 1  # one parse job, enqueued after the commit


def test_a_second_writer_is_refused(server, job, tmp_path):
    from nianbao.storage.store import Store

    with Store(tmp_path / "a.db") as a, Store(tmp_path / "b.db") as b:
        first = Drainer(a, server, job)
        first.open()
        with pytest.raises(RuntimeError, match="写入进程"):
            Drainer(b, server, job).open()
        first.close()


def test_host_bucket_spaces_requests_across_clients(redis_url, job):
    from nianbao.distributed.politeness import _TAKE

    clients = [connect(redis_url) for _ in range(3)]
    takes = [c.register_script(_TAKE) for c in clients]
    key = Keys(job).bucket("www.a.gov.cn")
    granted = 0
    start = time.monotonic()
    while time.monotonic() - start < 1.0:
        for t in takes:  # three processes hammering one host
            if int(t(keys=[key], args=[5.0, 2.0])) == 0:
                granted += 1
        time.sleep(0.005)
    # 5 per second plus a burst of 2, whatever the number of clients
    assert 5 <= granted <= 8


def _abandoned_parse_job(server, k: Keys):
    """A parse job whose worker died mid-job: STARTED, in the started registry, its heartbeat expired."""
    from rq import Queue, Retry
    from rq.job import JobStatus
    from rq.registry import StartedJobRegistry

    queue = Queue(k.rq_queue, connection=server)
    job = queue.enqueue("nianbao.distributed.jobs.parse_item", {"job": k.job}, retry=Retry(max=3))
    server.lrem(queue.key, 1, job.id)  # taken by the worker
    job.set_status(JobStatus.STARTED)
    server.zadd(StartedJobRegistry(queue=queue).key, {f"{job.id}:dead": time.time() - 5})
    return queue, job


def test_a_parse_job_requeued_from_a_dead_worker_keeps_the_store_and_workers_waiting(server, job):
    from nianbao.distributed.remaining import remaining

    k = Keys(job)
    server.sadd(k.seeded, "http://www.a.gov.cn/")  # the crawl is over
    queue, parse_job = _abandoned_parse_job(server, k)
    # counting the queue, then the started registry (whose cleanup requeues the job) saw nothing
    busy, why = Drainer(None, server, job).pending_work()
    assert busy and "排队 1" in why, why
    assert queue.get_job_ids() == [parse_job.id]  # retried, not lost
    assert remaining(server, k, queue).jobs == 1
    server.lmove(queue.key, queue.intermediate_queue_key)  # a worker took it and has not started it yet
    left = remaining(server, k, queue)
    assert left.jobs == 1 and bool(left)
    parse_job.delete(remove_from_queue=False)  # done since (result_ttl=0): the entry is a leftover
    assert server.llen(queue.intermediate_queue_key) == 1
    assert not remaining(server, k, queue)
    assert Drainer(None, server, job).pending_work() == (False, "全部完成")


def test_a_retried_job_succeeds_although_its_dead_predecessor_left_an_execution(server, job):
    from rq import Queue, Retry
    from rq.job import Job
    from rq.registry import FailedJobRegistry

    from nianbao.distributed.worker import run_worker

    queue = Queue(Keys(job).rq_queue, connection=server)
    parse_job = queue.enqueue("builtins.len", [1, 2], retry=Retry(max=3), result_ttl=0)  # as the store does
    # what a SIGKILLed worker leaves: its execution listed for the job, the execution's record expired
    server.zadd(parse_job.execution_registry.key, {"dead-execution": time.time() + 60})
    assert run_worker(server, job, burst=True) == 1
    assert FailedJobRegistry(queue=queue).count == 0
    assert not Job.exists(parse_job.id, connection=server)  # done once, nothing kept (result_ttl=0)
