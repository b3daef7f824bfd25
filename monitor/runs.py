"""Run history (``nianbao runs``): what each crawl did, and how each site is doing (reads the store)."""

from __future__ import annotations

from typing import Any

from nianbao.storage.views import HEALTH_LABELS as HEALTH_ZH  # the labels the workbench shows too
from nianbao.storage.views import run_summaries, site_health  # noqa: F401 - queries shared with the workbench


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
                if s.get("diagnosis") and not s["reports"]:
                    lines += ["      " + ln for ln in diagnosis_lines(s["diagnosis"])]
    return lines


def diagnosis_lines(d: dict[str, Any]) -> list[str]:
    """Why a site gave no report, in Chinese, with what the operator can do (pure)."""
    out = []
    walked = d.get("walked") or []
    if walked:
        out.append("诊断：走过的页面 " + " → ".join(
            f"{(w[2] or w[1])[:24]}{'（浏览器）' if w[3] else ''}" for w in walked[:6]))
    best = d.get("best") or []
    if best:
        out.append("诊断：得分最高的链接 " + "；".join(f"{b[2] or '（无文字）'}（{b[0]}分）{b[3]}" for b in best[:3]))
    else:
        out.append("诊断：页面上没有任何像报告、年报栏目或信息公开的链接")
    out.append(f"诊断：浏览器渲染 {len(d.get('rendered') or [])} 页，点击 {d.get('clicks', 0)} 次"
               + ("，渲染预算已用完" if d.get("render_budget_out") else ""))
    out.append("建议：在站点列表中把该机构的网址改为其年报栏目（或信息公开平台）的网址；"
               "若栏目由脚本生成，可加 render=always 列，或调大 NIANBAO_RENDER_BUDGET")
    return out
