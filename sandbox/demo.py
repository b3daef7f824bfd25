"""``nianbao demo``: a simulated network of portals, crawled end to end, summarised and exported.

The sandbox proxy runs in this process; the crawl runs as a subprocess (``python -m nianbao.cli
crawl``) with ``http_proxy`` pointing at it, exactly as a user would run it against real
portals.  The demo then reads the store, compares with the network's ground truth and writes
the exports (``reports.csv/json/xlsx``, ``findings.csv``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from nianbao.monitor.audit import audit_store
from nianbao.sandbox.network import all_families, family_kind, generate
from nianbao.sandbox.server import running
from nianbao.sandbox.truth import compare
from nianbao.storage import exports
from nianbao.storage.store import Store

ARITHMETIC_RULES = ("ROW_TOTAL_MISMATCH", "RESULT_TOTAL_MISMATCH", "BALANCE_MISMATCH", "APPEAL_TOTAL_MISMATCH")

# A simulated network answers in microseconds: no need to ease in (the crawl stays polite per host).
DEMO_SETTINGS = ("AUTOTHROTTLE_START_DELAY=0.05", "RETRY_BACKOFF_BASE=0.5", "LOG_LEVEL=ERROR")


def demo_families(size: int) -> list[str | None]:
    """The demo's portals: the first six keep the six templates (and the features the demo shows on
    them), then one portal of each list style and zoo family (sites a browser must help with), the
    rest stay as drawn.  ``None`` = as ``generate(seed, size)`` would make it."""
    others = [f for f in all_families() if family_kind(f) != "template"]
    out: list[str | None] = [None] * size
    slots = [i for i in range(6, size) if i != 16]  # 16: the PDF a test reads (tests/test_attach_zero_row.py)
    for i, fam in zip(slots, others, strict=False):
        out[i] = fam
    return out


def clean_db(db: Path) -> None:
    """Remove a previous demo database and everything next to it."""
    for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        if p.exists():
            p.unlink()
    for d in (Path(f"{db}.files"), Path(f"{db}.job")):
        if d.exists():
            shutil.rmtree(d)


def proxy_env(proxy: str, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a crawl through ``proxy`` (no host bypasses it)."""
    env = dict(os.environ if base is None else base)
    env.update(http_proxy=proxy, HTTP_PROXY=proxy)
    env.pop("no_proxy", None)
    env.pop("NO_PROXY", None)
    return env


def crawl_subprocess(sites: Path, db: Path, proxy: str, *, extra: tuple[str, ...] = (), quiet: bool = False,
                     timeout: float | None = None) -> subprocess.CompletedProcess:  # fmt: skip
    """Run ``python -m nianbao.cli crawl`` through the proxy; its progress goes to our stderr."""
    cmd = [sys.executable, "-m", "nianbao.cli", "crawl", "--sites", str(sites), "--db", str(db)]
    for s in DEMO_SETTINGS + tuple(extra):
        cmd += ["-s", s]
    if quiet:
        cmd.append("--quiet")
    return subprocess.run(cmd, env=proxy_env(proxy), stdout=subprocess.PIPE, text=True, timeout=timeout,
                          check=False)  # fmt: skip


def write_exports(db: Path, out: Path) -> dict[str, Path]:
    paths = {}
    with Store(db) as store:
        reports = exports.export_reports(store)
        findings = exports.export_findings(store)
    with open(out / "reports.csv", "w", encoding="utf-8", newline="") as fp:
        exports.write_csv(reports, exports.REPORT_COLUMNS, fp)
    with open(out / "reports.json", "w", encoding="utf-8") as fp:
        exports.write_json(reports, fp)
    exports.write_xlsx(reports, exports.REPORT_COLUMNS, out / "reports.xlsx")
    with open(out / "findings.csv", "w", encoding="utf-8", newline="") as fp:
        exports.write_csv(findings, exports.FINDING_COLUMNS, fp)
    for name in ("reports.csv", "reports.json", "reports.xlsx", "findings.csv"):
        paths[name] = out / name
    return paths


def summarise(db: Path, truth: dict[str, Any]) -> list[str]:
    """Chinese summary of the store, checked against the ground truth."""

    with Store(db) as store:
        reports = exports.export_reports(store)
        findings = exports.export_findings(store)
        agencies = store.one("SELECT COUNT(DISTINCT agency) AS n FROM reports WHERE is_report = 1")["n"]
        not_reports = store.one("SELECT COUNT(*) AS n FROM reports WHERE is_report = 0")["n"]
    rules = Counter(f["rule"] for f in findings)
    late = sum(1 for r in reports if (r.get("days_late") or 0) > 0)
    missing_sections = rules.get("MISSING_SECTION", 0)
    arithmetic = sum(rules.get(r, 0) for r in ARITHMETIC_RULES)
    cmp = compare(truth, reports)
    lines = [
        "",
        f"机构 {agencies} 个，年度报告 {len(reports)} 份（另有 {not_reports} 份文档不是年度报告）。",
        f"逾期发布 {late} 份，缺少章节 {missing_sections} 处，表格计算错误 {arithmetic} 处，"
        f"问题合计 {len(findings)} 项。",
    ]
    if rules:
        top = "，".join(f"{k} {v}" for k, v in rules.most_common(8))
        lines.append(f"问题分布：{top}。")
    lines += cmp.lines()
    return lines


def history_lines(db: Path, truth: dict[str, Any]) -> list[str]:
    """Run the rules that need history (missing, copied, carry-over …) and say what they found."""

    # the simulated network lives in its own time: "today" is the day after its newest report
    dates = [r["published"] for r in truth.get("reports", []) if r.get("published")]
    today = dt.date.fromisoformat(str(max(dates))[:10]) + dt.timedelta(days=1) if dates else None
    try:
        with Store(db) as store:
            by_rule = audit_store(store, today=today).summary()["by_rule"]
    except Exception as exc:  # noqa: BLE001 - the demo's main figures are already printed
        return [f"历史规则未能运行：{exc}"]
    missing = len(truth.get("missing", []))
    others = "，".join(f"{k} {v}" for k, v in sorted(by_rule.items()) if k != "MISSING_REPORT")
    return [
        f"历史规则：发现未发布年报 {by_rule.get('MISSING_REPORT', 0)} 份（真实情况中 {missing} 份从未发布；"
        "机构首次发布之前的年份无从判断）" + (f"；另有 {others}" if others else "") + "。"
    ]


def run_demo(data_dir: Path, *, seed: int = 2025, size: int = 30, progress: Any = None) -> list[str]:
    """Generate, serve, crawl, audit, compare, export; returns the summary lines."""

    started = time.monotonic()
    data_dir.mkdir(parents=True, exist_ok=True)
    network = generate(seed, size, families=demo_families(size))
    sites = data_dir / "sites.csv"
    sites.write_text(network.sites_csv(), encoding="utf-8")
    truth = network.ground_truth()
    (data_dir / "truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1, default=str), "utf-8")
    db = data_dir / "nianbao.db"
    clean_db(db)
    print(f"模拟网络：{size} 个县级门户（种子 {seed}），站点列表 {sites}", file=sys.stderr)
    with running(network) as proxy:
        print(f"模拟门户代理 {proxy}；开始抓取（http_proxy={proxy}）", file=sys.stderr)
        done = crawl_subprocess(sites, db, proxy, quiet=progress is None)
    crawl_out = done.stdout.strip().splitlines()
    if done.returncode != 0:
        return crawl_out + [f"抓取进程失败（退出码 {done.returncode}）"]
    lines = [ln for ln in crawl_out if ln.startswith(("抓取完成", "浏览器渲染"))]
    lines += summarise(db, truth)
    lines += history_lines(db, truth)
    paths = write_exports(db, data_dir)
    lines.append("")
    lines.append("导出文件：" + "、".join(str(p) for p in paths.values()))
    lines.append(f"数据库：{db}（用 nianbao export / 工作台查看），总用时 {time.monotonic() - started:.0f} 秒。")
    return lines
