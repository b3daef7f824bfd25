"""``nianbao schedule run``: a long-lived process that runs every plan on its cadence (APScheduler 3.x).

APScheduler keeps its jobs in memory; what must survive a restart, each plan's last run, lives
in the plan's SQLite file (``plan_state``, through ``storage``).  On start, a plan whose fire
times were missed while the process was down gets ONE catch-up run (not one per missed time);
jobs use ``coalesce=True``, ``max_instances=1`` and the plan's ``misfire_grace_minutes``.

Time goes through a :class:`Clock`, so tests can compress it: with ``scale=86400`` a virtual
day passes in one real second and a plan "at 02:00 daily" fires once a second.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger

from nianbao.monitor.job import run_plan
from nianbao.monitor.plans import Plan
from nianbao.storage.store import Store

log = logging.getLogger(__name__)
UTC = dt.UTC


class Clock:
    """Virtual time = ``start`` + real time elapsed since creation × ``scale``."""

    def __init__(self, start: dt.datetime | None = None, scale: float = 1.0) -> None:
        if scale <= 0:
            raise ValueError("time scale must be positive")
        self.real0 = dt.datetime.now(UTC)
        self.virt0 = (start or self.real0).astimezone(UTC)
        self.scale = scale

    def now(self) -> dt.datetime:
        return self.to_virtual(dt.datetime.now(UTC))

    def to_virtual(self, real: dt.datetime) -> dt.datetime:
        return self.virt0 + (real.astimezone(UTC) - self.real0) * self.scale

    def to_real(self, virtual: dt.datetime) -> dt.datetime:
        return self.real0 + (virtual.astimezone(UTC) - self.virt0) / self.scale

    @property
    def margin(self) -> dt.timedelta:
        """Virtual slack that absorbs rounding between real and virtual times."""
        return dt.timedelta(seconds=max(1.0, self.scale * 0.002))


class PlanTrigger(BaseTrigger):
    """Fire times of a plan (virtual), handed to APScheduler as real times."""

    def __init__(self, plan: Plan, clock: Clock) -> None:
        self.plan = plan
        self.clock = clock

    def get_next_fire_time(self, previous_fire_time, now):
        if previous_fire_time is not None:
            after = self.clock.to_virtual(previous_fire_time) + self.clock.margin
        else:
            after = self.clock.to_virtual(now)
        return self.clock.to_real(self.plan.next_run(after))

    def __str__(self) -> str:
        return f"plan[{self.plan.name}]"


Job = Callable[[Plan, dt.datetime, str], object]  # (plan, virtual time, reason: "scheduled" | "catch-up")


def default_job(clock: Clock) -> Job:
    def job(plan: Plan, when: dt.datetime, reason: str) -> object:
        return run_plan(plan, now=clock.now, record_start=False)

    return job


class PlanScheduler:
    """Run ``plans`` on their cadence; ``job`` does the work (default: :func:`nianbao.monitor.job.run_plan`)."""

    def __init__(self, plans: list[Plan], *, clock: Clock | None = None, job: Job | None = None) -> None:
        self.plans = plans
        self.clock = clock or Clock()
        self.job = job or default_job(self.clock)
        self.scheduler = BackgroundScheduler(timezone=UTC)
        self.fired: list[tuple[str, dt.datetime, str]] = []  # (plan, virtual time, reason)
        self._lock = threading.Lock()

    # -- state through storage -----------------------------------------------------

    def last_run(self, plan: Plan) -> dt.datetime | None:
        with Store(plan.db) as store:
            state = store.plan_state(plan.name)
        if not state or not state.get("last_run_at"):
            return None
        return dt.datetime.fromisoformat(state["last_run_at"])

    def _record_start(self, plan: Plan, when: dt.datetime) -> None:
        with Store(plan.db) as store:
            store.set_plan_state(plan.name, last_run_at=when, last_status="running")

    # -- running ---------------------------------------------------------------------

    def _fire(self, plan: Plan, reason: str = "scheduled") -> None:
        when = self.clock.now()
        with self._lock:
            self.fired.append((plan.name, when, reason))
        log.info("计划 %s 开始运行（%s，%s）", plan.name, "补跑" if reason == "catch-up" else "定时",
                 when.astimezone(plan.tz).isoformat(timespec="seconds"))
        self._record_start(plan, when)
        try:
            self.job(plan, when, reason)
        except Exception:  # noqa: BLE001 - one failed run must not stop the scheduler
            log.exception("计划 %s 运行失败", plan.name)

            with Store(plan.db) as store:
                store.set_plan_state(plan.name, last_status="failed", last_finished_at=self.clock.now())

    def catch_up_plans(self) -> list[tuple[Plan, int]]:
        """Plans that missed fire times while down, with how many were missed."""
        now = self.clock.now()
        out = []
        for plan in self.plans:
            missed = plan.missed(self.last_run(plan), now)
            if missed:
                out.append((plan, len(missed)))
        return out

    def start(self) -> None:
        for plan, n in self.catch_up_plans():
            log.warning("计划 %s 在停机期间错过 %d 次运行：立即补跑 1 次", plan.name, n)
            self.scheduler.add_job(self._fire, "date", run_date=dt.datetime.now(UTC), args=[plan, "catch-up"],
                                   id=f"{plan.name}:catch-up", misfire_grace_time=None, coalesce=True)
        for plan in self.plans:
            grace = max(1, int(plan.misfire_grace_minutes * 60 / self.clock.scale))
            self.scheduler.add_job(self._fire, PlanTrigger(plan, self.clock), args=[plan], id=plan.name,
                                   name=plan.name, coalesce=True, max_instances=1, misfire_grace_time=grace)
        self.scheduler.start()

    def next_runs(self) -> dict[str, dt.datetime]:
        """Each plan's next fire time (virtual, plan time zone)."""
        now = self.clock.now()
        return {p.name: p.next_run(now).astimezone(p.tz) for p in self.plans}

    def shutdown(self, wait: bool = True) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=wait)

    def run_forever(self, stop: threading.Event | None = None, seconds: float | None = None) -> None:
        """Block until ``stop`` is set, ``seconds`` pass, or Ctrl-C / SIGTERM."""
        import signal

        stop = stop or threading.Event()
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, lambda *_: stop.set())
        self.start()
        try:
            stop.wait(seconds)
        finally:
            self.shutdown(wait=True)
