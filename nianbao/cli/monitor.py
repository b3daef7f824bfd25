"""``nianbao schedule …`` and ``nianbao runs``: thin Click wrappers over :mod:`monitor`."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os

import click

from nianbao.monitor.audit import audit_store
from nianbao.monitor.job import run_plan
from nianbao.monitor.plans import PlanError, crontab_lines, load_plan, load_plans, systemd_units
from nianbao.monitor.runs import format_runs, run_summaries
from nianbao.monitor.scheduler import Clock, PlanScheduler
from nianbao.storage.store import Store

DEFAULT_PLANS = "schedules"


def _plans(paths: tuple[str, ...]):
    try:
        plans = load_plans(list(paths) or [DEFAULT_PLANS])
    except PlanError as exc:
        raise click.ClickException(str(exc)) from exc
    if not plans:
        raise click.ClickException(f"没有找到计划文件（{', '.join(paths) or DEFAULT_PLANS}/*.toml）")
    return plans


def _start(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    t = dt.datetime.fromisoformat(value)
    if t.tzinfo is None:
        from zoneinfo import ZoneInfo

        t = t.replace(tzinfo=ZoneInfo("Asia/Shanghai"))
    return t


@click.group()
def schedule() -> None:
    """Monitoring plans (schedules/*.toml): run them on their cadence, or print cron/systemd entries."""


@schedule.command("run")
@click.option("--plans", "paths", multiple=True, type=click.Path(exists=True),
              help="Plan files or folders (default: schedules/).")
@click.option("--time-scale", type=float, default=1.0, show_default=True,
              help="Virtual seconds per real second (tests and demos: 86400 = a day per second).")
@click.option("--start", "start", help="Virtual start time, ISO (default: now; naive = Asia/Shanghai).")
@click.option("--for-seconds", type=float, help="Stop after this many real seconds (default: run until stopped).")
def run_cmd(paths: tuple[str, ...], time_scale: float, start: str | None, for_seconds: float | None) -> None:
    """Run every plan on its cadence until stopped; after downtime, one catch-up run per plan."""

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    plans = _plans(paths)
    sched = PlanScheduler(plans, clock=Clock(_start(start), time_scale))
    for name, t in sched.next_runs().items():
        click.echo(f"计划 {name}：下次运行 {t.isoformat(timespec='minutes')}")
    sched.run_forever(seconds=for_seconds)
    click.echo(f"调度结束：共运行 {len(sched.fired)} 次" + "".join(
        f"\n  {name} {t.isoformat(timespec='seconds')} {'补跑' if why == 'catch-up' else '定时'}"
        for name, t, why in sched.fired))


@schedule.command("once")
@click.argument("plan_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--if-due", is_flag=True, help="Only run when the plan is due now (for cron entries).")
@click.option("--no-crawl", is_flag=True, help="Skip the crawl: history rules and notifications only.")
def once_cmd(plan_file: str, if_due: bool, no_crawl: bool) -> None:
    """Run one plan now: crawl, history rules, notifications."""

    try:
        plan = load_plan(plan_file)
    except PlanError as exc:
        raise click.ClickException(str(exc)) from exc
    if if_due:
        sched = PlanScheduler([plan], clock=Clock())
        last = sched.last_run(plan) or dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
        if not plan.missed(last, dt.datetime.now(dt.UTC) + dt.timedelta(minutes=plan.jitter_minutes + 5)):
            click.echo(f"计划 {plan.name} 今天此时无需运行。")
            return
    result = run_plan(plan, crawl=not no_crawl)
    h = result.history
    click.echo(f"计划 {plan.name} 运行完毕（{result.status}）：抓取 {len(result.crawl_runs)} 次，"
               f"历史规则发现问题 {h.get('history_findings', 0)} 项（新增 {h.get('new', 0)}，已消除 {h.get('resolved', 0)}），"
               f"通知 {result.notified} 项。")
    for rule, n in sorted(h.get("by_rule", {}).items()):
        click.echo(f"  {rule}: {n}")
    for p in result.problems:
        click.echo(f"注意：{p}")


@schedule.command("list")
@click.option("--plans", "paths", multiple=True, type=click.Path(exists=True))
def list_cmd(paths: tuple[str, ...]) -> None:
    """Show the plans, their cadence and next run."""

    plans = _plans(paths)
    sched = PlanScheduler(plans, clock=Clock())
    nxt = sched.next_runs()
    for p in plans:
        last = sched.last_run(p)
        click.echo(f"{p.name}  数据库 {p.db}  站点 {', '.join(map(str, p.sites))}")
        click.echo(f"  时区 {p.timezone} · 随机延迟 ≤{p.jitter_minutes}分钟 · 上次运行 "
                   f"{last.astimezone(p.tz).isoformat(timespec='minutes') if last else '从未'} · "
                   f"下次 {nxt[p.name].isoformat(timespec='minutes')}")


@schedule.command("crontab")
@click.option("--plans", "paths", multiple=True, type=click.Path(exists=True))
@click.option("--command", default="nianbao", show_default=True, help="How cron calls nianbao.")
def crontab_cmd(paths: tuple[str, ...], command: str) -> None:
    """Print crontab entries equivalent to the plans."""

    for p in _plans(paths):
        for line in crontab_lines(p, command):
            click.echo(line)
        click.echo("")


@schedule.command("systemd")
@click.option("--plans", "paths", multiple=True, type=click.Path(exists=True))
@click.option("--command", default="/usr/local/bin/nianbao", show_default=True)
def systemd_cmd(paths: tuple[str, ...], command: str) -> None:
    """Print systemd service + timer units equivalent to the plans (Persistent=true: one catch-up run)."""

    for p in _plans(paths):
        for name, text in systemd_units(p, command).items():
            click.echo(f"# ---- {name}")
            click.echo(text)


@schedule.command("audit")
@click.option("--db", "db_path", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--today", help="Date the MISSING_REPORT deadlines are checked against (YYYY-MM-DD).")
@click.option("-s", "--set", "settings", multiple=True, metavar="NAME=VALUE", help="History-rule setting.")
def audit_cmd(db_path: str, today: str | None, settings: tuple[str, ...]) -> None:
    """Run the history rules over a database now (no crawl)."""

    opts = dict(s.split("=", 1) for s in settings if "=" in s)
    with Store(db_path) as store:
        result = audit_store(store, today=dt.date.fromisoformat(today) if today else None, settings=opts)
    click.echo(f"历史规则：问题 {len(result.findings)} 项，新增 {len(result.new)} 项，已消除 {len(result.resolved)} 项。")
    for rule, n in sorted(result.by_rule.items()):
        click.echo(f"  {rule}: {n}")


@click.command("runs")
@click.option("--db", "db_path", type=click.Path(exists=True, dir_okay=False),
              default=lambda: os.environ.get("NIANBAO_DB", "nianbao.db"), show_default="$NIANBAO_DB or nianbao.db")
@click.option("--limit", default=10, show_default=True, help="How many runs.")
@click.option("--kind", default="crawl", show_default=True, help="crawl, monitor, ingest … or 'all'.")
@click.option("--json", "as_json", is_flag=True, help="JSON instead of text.")
@click.option("--no-sites", is_flag=True, help="Leave out the per-site lines.")
def runs(db_path: str, limit: int, kind: str, as_json: bool, no_sites: bool) -> None:
    """List runs: start, end, requests, bytes, new/changed/removed reports, errors and per-site health."""

    with Store(db_path) as store:
        rows = run_summaries(store, limit=limit, kind=None if kind == "all" else kind)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    if not rows:
        click.echo("没有运行记录。")
    for line in format_runs(rows, sites=not no_sites):
        click.echo(line)
