"""One run of a plan: crawl each site list (``nianbao crawl`` in a subprocess), history rules, notifications.

The crawl runs in a subprocess because Twisted's reactor cannot restart inside a long-lived
scheduler process; the history rules and the digest run here, through ``storage``.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from nianbao.monitor.audit import audit_store
from nianbao.monitor.notify import build_digest, known_fingerprints, new_findings, notify
from nianbao.monitor.plans import Plan
from nianbao.storage.store import Store

log = logging.getLogger(__name__)


@dataclass
class PlanRun:
    plan: str
    started: dt.datetime
    run_id: int | None = None
    crawl_runs: list[int] = field(default_factory=list)
    status: str = "finished"
    history: dict[str, Any] = field(default_factory=dict)
    notified: int = 0
    problems: list[str] = field(default_factory=list)


def crawl_command(plan: Plan, sites: os.PathLike | str) -> list[str]:
    cmd = [sys.executable, "-m", "nianbao.cli", "crawl", "--sites", str(sites), "--db", str(plan.db), "--quiet"]
    for k, v in plan.crawl.items():
        cmd += ["-s", f"{k}={v}"]
    return cmd


def run_plan(plan: Plan, *, now: Callable[[], dt.datetime] | None = None, timeout: float | None = None,
             crawl: bool = True, record_start: bool = True) -> PlanRun:
    """Run ``plan`` once and record it (``plan_state``, a ``monitor`` run with its summary)."""

    now = now or (lambda: dt.datetime.now(dt.UTC))
    started = now()
    result = PlanRun(plan.name, started)
    with Store(plan.db) as store:
        known = known_fingerprints(store)
        result.run_id = store.start_run("monitor", {"plan": plan.name, "scheduled_for": started.isoformat()})
        if record_start:
            store.set_plan_state(plan.name, last_run_at=started, last_status="running", last_run_id=result.run_id)
        else:
            store.set_plan_state(plan.name, last_status="running", last_run_id=result.run_id)
        before = store.one("SELECT COALESCE(MAX(id), 0) AS n FROM runs")["n"]
    if crawl:
        for sites in plan.sites:
            cmd = crawl_command(plan, sites)
            log.info("计划 %s：%s", plan.name, " ".join(cmd))
            try:
                p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=dict(os.environ))
            except subprocess.TimeoutExpired:
                result.problems.append(f"抓取超时：{sites}")
                continue
            if p.returncode != 0:
                result.problems.append(f"抓取失败（{sites}，退出码 {p.returncode}）：{p.stderr.strip()[-500:]}")
    with Store(plan.db) as store:
        result.crawl_runs = [r["id"] for r in store.query(
            "SELECT id FROM runs WHERE kind = 'crawl' AND id > ? ORDER BY id", (before,))]
        try:
            audit = audit_store(store, today=now().astimezone(plan.tz).date(), settings=plan.history,
                                run_id=result.run_id)
            result.history = audit.summary()
        except Exception as exc:  # noqa: BLE001 - record the failure, keep the state consistent
            log.exception("history rules failed")
            result.problems.append(f"历史规则出错：{exc}")
        if plan.notify.enabled:
            digest = build_digest(plan.name, new_findings(store, known),
                                  {"抓取": len(result.crawl_runs), **{k: v for k, v in result.history.items()
                                                                    if k in ("history_findings", "new")}})
            problems = notify(plan.notify, digest)
            result.problems += problems
            result.notified = digest.count if not problems else 0
        result.status = "failed" if result.problems and not result.crawl_runs and crawl else "finished"
        stats = {"plan": plan.name, "crawl_runs": result.crawl_runs, "history": result.history,
                 "notified": result.notified, "problems": result.problems}
        store.finish_run(result.run_id, stats, status=result.status)
        store.set_plan_state(plan.name, last_finished_at=now(), last_status=result.status, details=stats)
    return result
