"""Run history (``nianbao runs``): what each crawl did, and how each site is doing (reads the store)."""

from __future__ import annotations

from typing import Any

from nianbao.storage.views import HEALTH_LABELS as HEALTH_ZH  # the labels the workbench shows too
from nianbao.storage.views import diagnosis_lines, run_summaries, site_health  # noqa: F401 - shared with the workbench


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f}{unit}" if unit == "B" else f"{n:.1f}{unit}"
        n /= 1024
    return str(n)


RUN_STATUS_ZH = {"running": "进行中", "finished": "已完成", "interrupted": "已中断（进程被终止）"}


def format_runs(runs: list[dict[str, Any]], *, sites: bool = True) -> list[str]:
    """Chinese lines for the terminal."""
    lines = []
    for r in runs:
        if r["seconds"] is not None:
            secs = f"{r['seconds']:.0f}秒"
        else:
            secs = "进行中" if r["status"] == "running" else "—"
        status = RUN_STATUS_ZH.get(r["status"], r["status"])
        lines.append(
            f"#{r['id']} {r['kind']} {status}  开始 {r['started']}  结束 {r['finished'] or '—'}（{secs}）  "
            f"请求 {r['requests']} · 下载 {_size(r['bytes'])} · 未修改(304) {r['not_modified']} · "
            f"新报告 {r['new']} · 变更 {r['changed']} · 撤下 {r['removed']} · 错误 {r['errors']}")
        if sites:
            for s in r["sites"]:
                days = "—" if s["days_since_new"] is None else f"{s['days_since_new']}天"
                lines.append(
                    f"    {HEALTH_ZH.get(s['health'], s['health'])}  {s['agency'] or ''} {s['site']}  "
                    f"请求 {s['requests']} · {_size(s['bytes'])} · 报告 {s['reports']}（未变 {s['unchanged']}）"
                    f" · 错误 {s['errors']} · robots拦截 {s['robots_forbidden']} · 距上次新文档 {days}")
                if s.get("diagnosis"):
                    lines += ["      " + ln for ln in diagnosis_lines(s["diagnosis"])]
    return lines
