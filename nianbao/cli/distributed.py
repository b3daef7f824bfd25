"""``nianbao store`` and ``nianbao worker`` (distributed mode), and the ``crawl --redis`` entry point."""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

import click

from nianbao.distributed.crawl import run_distributed_crawl, summary_lines
from nianbao.distributed.drain import run_store
from nianbao.distributed.keys import DEFAULT_JOB, ENV_JOB, ENV_URL, connect
from nianbao.distributed.worker import run_worker
from nianbao.storage.store import Store

redis_option = click.option("--redis", "redis_url", required=True, envvar=ENV_URL, metavar="redis://HOST:PORT/N",
                            help=f"Redis of the distributed job (or ${ENV_URL}).")
job_option = click.option("--job", default=DEFAULT_JOB, envvar=ENV_JOB, show_default=True,
                          help=f"Name of the distributed job (its Redis keys); or ${ENV_JOB}.")


def _connect(url: str):
    try:
        return connect(url)
    except ConnectionError as exc:
        raise click.ClickException(str(exc)) from exc


def crawl_with_redis(sites_file: str, redis_url: str, overrides: dict[str, Any], job: str | None = None) -> None:
    """What ``nianbao crawl --sites FILE --redis URL`` runs: one member of the shared frontier."""

    job = job or overrides.pop("NIANBAO_REDIS_JOB", None) or os.environ.get(ENV_JOB) or DEFAULT_JOB
    _connect(redis_url)
    click.echo(f"加入分布式抓取（任务 {job}，Redis {redis_url}）", err=True)
    result = run_distributed_crawl(sites_file=sites_file, redis_url=redis_url, job=job, overrides=overrides)
    for line in summary_lines(result, job):
        click.echo(line)


@click.command("store")
@click.option("--db", "db_path", required=True, type=click.Path(dir_okay=False), envvar="NIANBAO_DB",
              help="SQLite database file (the only writer).")
@redis_option
@job_option
@click.option("--batch", default=50, show_default=True, help="Entries per transaction.")
@click.option("--parse-timeout", default=600, show_default=True, help="Seconds a parse job may take.")
@click.option("--until-done", is_flag=True, help="Exit when the crawl and every parse job are finished.")
def store_cmd(db_path: str, redis_url: str, job: str, batch: int, parse_timeout: int, until_done: bool) -> None:
    """The single writer of a distributed crawl: drain Redis into the SQLite store."""

    server = _connect(redis_url)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)

    def progress(d) -> None:
        s = d.stats
        _, why = d.pending_work()
        click.echo(f"已写入候选 {s.items} 份（文档 {s.documents}），报告 {s.reports}，非报告 {s.not_reports}；{why}",
                   err=True)

    store = Store(db_path)
    try:
        stats = run_store(store, server, job, until_done=until_done, batch=batch, parse_timeout=parse_timeout,
                          progress=progress)  # fmt: skip
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        store.close()
    click.echo(
        f"写入完成：候选报告 {stats.items} 份，文档 {stats.documents} 份，解析任务 {stats.jobs} 个；"
        f"年度报告 {stats.reports} 份（非报告 {stats.not_reports} 份），发现问题 {stats.findings} 项，"
        f"失败的解析任务 {getattr(stats, 'failed_jobs', 0)} 个，用时 {stats.as_dict()['seconds']} 秒。"
    )


@click.command("worker")
@redis_option
@job_option
@click.option("--until-done", is_flag=True, help="Exit when the crawl is finished and no parse job is left.")
@click.option("--burst", is_flag=True, help="Exit as soon as the queue is empty.")
@click.option("--heartbeat", default=5.0, show_default=True, help="Seconds between job heartbeats.")
@click.option("--grace", default=10.0, show_default=True,
              help="A job whose heartbeat is this late (seconds) is retried elsewhere.")
def worker_cmd(redis_url: str, job: str, until_done: bool, burst: bool, heartbeat: float, grace: float) -> None:
    """Run parse jobs (RQ) of a distributed crawl: read documents, audit, hand reports to the store."""

    server = _connect(redis_url)
    n = run_worker(server, job, until_done=until_done, burst=burst, heartbeat=heartbeat, grace=grace)
    click.echo(f"解析进程结束：完成 {n} 个解析任务。")
