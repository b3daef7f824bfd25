"""``nianbao crawl`` and ``nianbao demo``: thin Click wrappers over :mod:`nianbao.crawler.runner`."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import click

from nianbao.cli import parse_settings
from nianbao.cli.distributed import crawl_with_redis
from nianbao.crawler.runner import run_crawl
from nianbao.intake.sites import SiteListError, load_sites
from nianbao.monitor.addon import MonitorAddon
from nianbao.sandbox.demo import run_demo

DEFAULT_DB = "nianbao.db"


class Progress:
    """A live progress line on stderr (rewritten in place on a terminal, every few seconds otherwise)."""

    def __init__(self, stream=None, every: float = 5.0):
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.every = every
        self.last = 0.0
        self.started = time.monotonic()
        self.width = 0

    def line(self, crawler) -> str:
        s = crawler.stats.get_stats()
        portals = len(crawler.spider.portals)
        done_sites = sum(1 for i in range(portals) if s.get(f"nianbao/pages/{i}"))
        return (
            f"已访问站点 {done_sites}/{portals} · 页面 {s.get('nianbao/pages', 0)} · "
            f"候选 {s.get('nianbao/report_candidates', 0)} · 报告 {s.get('nianbao/reports', 0)} · "
            f"非报告 {s.get('nianbao/not_reports', 0)} · 浏览器 {s.get('nianbao/rendered', 0)} · "
            f"错误 {s.get('nianbao/fetch_errors', 0)} · {time.monotonic() - self.started:.0f} 秒"
        )

    def __call__(self, crawler) -> None:
        text = self.line(crawler)
        if self.tty:
            pad = max(0, self.width - len(text))
            self.stream.write("\r" + text + " " * pad)
            self.width = len(text)
            self.stream.flush()
        elif time.monotonic() - self.last >= self.every:
            self.last = time.monotonic()
            self.stream.write(text + "\n")
            self.stream.flush()

    def done(self) -> None:
        if self.tty and self.width:
            self.stream.write("\n")
            self.stream.flush()


def summary_lines(result) -> list[str]:
    """The Chinese summary printed at the end of a crawl."""
    s = result.stats
    lines = ["", "站点明细（页面 / 文档 / 报告 / 非报告 / 问题 / 抓取错误）："]
    for p in result.portals:
        flag = "" if p.reports else "  ← 未找到报告"
        lines.append(
            f"  {p.agency[:40]}  {p.url}  {p.pages} / {p.documents} / {p.reports} / {p.not_reports} / "
            f"{p.findings} / {p.errors}{flag}"
        )
    lines.append("")
    lines.append(
        f"抓取完成：{len(result.portals)} 个站点，访问页面 {s.get('nianbao/pages', 0)} 个，"
        f"保存文档 {sum(p.documents for p in result.portals)} 份，"
        f"年度报告 {s.get('nianbao/reports', 0)} 份（非报告 {s.get('nianbao/not_reports', 0)} 份），"
        f"发现问题 {sum(p.findings for p in result.portals)} 项。"
    )
    lines.append(
        f"浏览器渲染 {s.get('nianbao/rendered', 0)} 页，反爬虫验证 {s.get('nianbao/challenges', 0)} 次"
        f"（通过 {s.get('nianbao/challenges_passed', 0)} 次），抓取错误 {s.get('nianbao/fetch_errors', 0)} 次，"
        f"用时 {result.seconds:.1f} 秒。"
    )
    if result.resumed:
        lines.append(f"已从上次中断处继续（跳过已保存的报告 {s.get('nianbao/resumed_skips', 0)} 份）。")
    for p in result.problems:
        lines.append(f"注意：{p}")
    return lines


@click.command()
@click.option("--sites", "sites_file", required=True, type=click.Path(exists=True, dir_okay=False),
              help="Site list CSV (agency,url[,level,region,parent,render]).")
@click.option("--db", "db_path", type=click.Path(dir_okay=False),
              default=lambda: os.environ.get("NIANBAO_DB", DEFAULT_DB), show_default=f"$NIANBAO_DB or {DEFAULT_DB}",
              help="SQLite database file (created if needed).")
@click.option("--resume", is_flag=True, help="Continue the last crawl kept in the job directory.")
@click.option("--jobdir", type=click.Path(file_okay=False),
              help="Job directory for pausing/resuming (default: <db>.job).")
@click.option("-s", "--set", "settings", multiple=True, metavar="NAME=VALUE",
              help="Override a Scrapy or nianbao setting (e.g. -s NIANBAO_MAX_PAGES=100).")
@click.option("--quiet", is_flag=True, help="No progress line.")
@click.option("--redis", "redis_url", envvar="NIANBAO_REDIS_URL", metavar="redis://HOST:PORT/N",
              help="Distributed mode (docs/scale.md): share one frontier through Redis; see nianbao store/worker.")
def crawl(sites_file: str, db_path: str, resume: bool, jobdir: str | None, settings: tuple[str, ...],
          quiet: bool, redis_url: str | None = None) -> None:  # fmt: skip
    """Crawl the portals of a site list, store and audit every annual report found.

    Honours http_proxy/HTTP_PROXY/no_proxy for plain requests and for the browser alike.
    """

    try:
        sites, problems = load_sites(sites_file)
    except SiteListError as exc:
        raise click.ClickException(str(exc)) from exc
    if not sites:
        raise click.ClickException(f"{sites_file}：没有可抓取的站点")
    overrides = {"LOG_LEVEL": "WARNING"}
    overrides.update(parse_settings(settings))
    # --- distributed mode hook (owned by distributed/, see docs/scale.md) ---
    redis_url = redis_url or overrides.pop("NIANBAO_REDIS_URL", None)
    if redis_url:
        return crawl_with_redis(sites_file, redis_url, overrides)
    # --- end of hook ---
    overrides["ADDONS"] = {MonitorAddon: 100}
    jobdir = jobdir or db_path + ".job"
    progress = None if quiet else Progress()
    click.echo(f"开始抓取 {len(sites)} 个机构的站点 → {db_path}", err=True)
    result = run_crawl(db=db_path, sites_file=sites_file, jobdir=jobdir, resume=resume, overrides=overrides,
                       progress=progress)  # fmt: skip
    if progress is not None:
        progress.done()
    result.problems = problems + [p for p in result.problems if p not in problems]
    for line in summary_lines(result):
        click.echo(line)


@click.command()
@click.option("--data", "data_dir", type=click.Path(file_okay=False), default="data/demo", show_default=True,
              help="Where the demo database and exports go.")
@click.option("--seed", type=int, default=2025, show_default=True, help="Seed of the simulated network.")
@click.option("--size", type=int, default=30, show_default=True, help="Number of simulated county portals.")
def demo(data_dir: str, seed: int, size: int) -> None:
    """Crawl a simulated network of ~30 portals end to end; print what was found and write the exports."""

    lines = run_demo(Path(data_dir), seed=seed, size=size, progress=Progress())
    for line in lines:
        click.echo(line)
