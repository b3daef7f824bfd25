"""Plans (schedules/*.toml) and the scheduler under a compressed clock."""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from nianbao.cli import main
from nianbao.monitor.plans import PlanError, crontab_lines, load_plans, parse_plan, systemd_units
from nianbao.monitor.scheduler import Clock, PlanScheduler
from nianbao.storage.store import Store

SH = ZoneInfo("Asia/Shanghai")
ROOT = Path(__file__).resolve().parents[1]


def plan(tmp_path: Path, **extra):
    data = {"name": "p", "sites": "sites.csv", "db": "p.db", **extra}
    return parse_plan(data, tmp_path / "p.toml")


def test_shipped_plans_load():
    plans = load_plans([ROOT / "schedules"])
    assert {p.name for p in plans} >= {"county-governments", "sandbox"}
    for p in plans:
        assert p.timezone == "Asia/Shanghai" and p.sites and p.db.is_absolute()


def test_season_aware_default_cadence(tmp_path):
    p = plan(tmp_path)  # default: daily 02:00 from 01-01 to 04-15, weekly Monday 03:00 otherwise
    assert p.next_run(dt.datetime(2025, 1, 10, 3, 0, tzinfo=SH)) == dt.datetime(2025, 1, 11, 2, 0, tzinfo=SH)
    assert p.next_run(dt.datetime(2025, 4, 15, 1, 0, tzinfo=SH)) == dt.datetime(2025, 4, 15, 2, 0, tzinfo=SH)
    # after the season: the next Monday (2025-04-21) at 03:00
    assert p.next_run(dt.datetime(2025, 4, 15, 3, 0, tzinfo=SH)) == dt.datetime(2025, 4, 21, 3, 0, tzinfo=SH)
    # the year end wraps into the next season
    assert p.next_run(dt.datetime(2025, 12, 30, 4, 0, tzinfo=SH)) == dt.datetime(2026, 1, 1, 2, 0, tzinfo=SH)
    # a UTC input is compared in Shanghai time
    assert p.next_run(dt.datetime(2025, 1, 10, 17, 59, tzinfo=dt.UTC)) == dt.datetime(2025, 1, 11, 2, 0, tzinfo=SH)


def test_jitter_is_stable_and_bounded(tmp_path):
    p = plan(tmp_path, jitter_minutes=30)
    days = [dt.date(2025, 1, 1) + dt.timedelta(days=i) for i in range(60)]
    offsets = [p.jitter(d) for d in days]
    assert offsets == [p.jitter(d) for d in days]
    assert all(dt.timedelta(0) <= o <= dt.timedelta(minutes=30) for o in offsets) and len(set(offsets)) > 10


@pytest.mark.parametrize(("data", "words"), [
    ({"sites": "s.csv"}, "db"),
    ({"db": "x.db"}, "sites"),
    ({"sites": "s.csv", "db": "x.db", "timezone": "Mars/Base"}, "时区"),
    ({"sites": "s.csv", "db": "x.db", "cadence": [{"every": "hourly"}]}, "every"),
    ({"sites": "s.csv", "db": "x.db", "cadence": [{"every": "day", "at": "25:00"}]}, "HH:MM"),
    ({"sites": "s.csv", "db": "x.db", "cadence": [{"every": "day", "from": "02-30", "to": "03-01"}]}, "MM-DD"),
    ({"sites": "s.csv", "db": "x.db", "colour": "red"}, "colour"),
])
def test_invalid_plans_name_the_problem(tmp_path, data, words):
    with pytest.raises(PlanError, match=words):
        parse_plan({"name": "bad", **data}, tmp_path / "bad.toml")


def test_crontab_and_systemd_cover_the_cadence(tmp_path):
    p = plan(tmp_path)
    cron = crontab_lines(p)
    assert "CRON_TZ=Asia/Shanghai" in cron
    assert any(line.startswith("0 2 * 1-3 * ") for line in cron)
    assert any(line.startswith("0 2 1-15 4 * ") for line in cron)
    assert any(line.startswith("0 3 * 5-12 1 ") for line in cron)
    assert all("--if-due" in line for line in cron if line[0].isdigit())
    timer = systemd_units(p)["nianbao-p.timer"]
    assert "OnCalendar=*-4-1..15 02:00:00 Asia/Shanghai" in timer
    assert "OnCalendar=Mon *-4-16..30 03:00:00 Asia/Shanghai" in timer and "Persistent=true" in timer


def _daily(tmp_path: Path):
    return parse_plan({"name": "fast", "sites": "s.csv", "db": str(tmp_path / "fast.db"),
                       "cadence": [{"every": "day", "at": "02:00"}]}, tmp_path / "fast.toml")


def test_plan_fires_on_time_under_a_compressed_clock(tmp_path):
    p = _daily(tmp_path)
    # ten virtual minutes per real second, starting two virtual minutes (0.2 real s) before 02:00
    clock = Clock(dt.datetime(2025, 1, 10, 1, 58, tzinfo=SH), scale=600)
    calls: list[dt.datetime] = []
    done = threading.Event()
    sched = PlanScheduler([p], clock=clock, job=lambda plan, when, reason: (calls.append(when), done.set()))
    sched.start()
    try:
        assert done.wait(10), "the plan did not fire"
        job = sched.scheduler.get_job("fast")
        following = clock.to_virtual(job.next_run_time)
    finally:
        sched.shutdown()
    due = dt.datetime(2025, 1, 10, 2, 0, tzinfo=SH)
    assert dt.timedelta(0) <= calls[0] - due < dt.timedelta(minutes=5), calls  # 5 virtual min = 0.5 real s
    assert abs(following - dt.datetime(2025, 1, 11, 2, 0, tzinfo=SH)) < dt.timedelta(seconds=5)
    assert [r for *_, r in sched.fired] == ["scheduled"]
    with Store(p.db) as store:
        state = store.plan_state("fast")
    assert state["runs"] == 1 and dt.datetime.fromisoformat(state["last_run_at"]) >= due


def test_compressed_clock_runs_day_after_day(tmp_path):
    p = _daily(tmp_path)
    # six virtual hours per real second, starting six virtual hours (one real second) before the
    # first 02:00 run: slack for a slow start on a loaded machine
    clock = Clock(dt.datetime(2025, 1, 9, 20, 0, tzinfo=SH), scale=6 * 3600)
    calls: list[dt.datetime] = []
    done = threading.Event()

    def job(plan, when, reason):
        calls.append(when)
        if len(calls) == 3:
            done.set()

    sched = PlanScheduler([p], clock=clock, job=job)
    sched.start()
    try:
        assert done.wait(40), f"only {len(calls)} runs"
    finally:
        sched.shutdown()
    assert [c.astimezone(SH).date() for c in calls[:3]] == [dt.date(2025, 1, d) for d in (10, 11, 12)]


def test_restart_after_missed_runs_does_one_catch_up(tmp_path):
    p = _daily(tmp_path)
    with Store(p.db) as store:  # last run five days before the restart
        store.set_plan_state("fast", last_run_at=dt.datetime(2025, 1, 5, 2, 0, 5, tzinfo=SH))
    # restart at 12:00 on the 10th: five 02:00 runs were missed; the next is 14 virtual hours away
    clock = Clock(dt.datetime(2025, 1, 10, 12, 0, tzinfo=SH), scale=3600)
    calls: list[tuple[dt.datetime, str]] = []
    sched = PlanScheduler([p], clock=clock, job=lambda plan, when, reason: calls.append((when, reason)))
    assert [(q.name, n) for q, n in sched.catch_up_plans()] == [("fast", 5)]
    sched.start()
    time.sleep(2.0)  # two virtual hours
    sched.shutdown()
    assert [r for _, r in calls] == ["catch-up"]
    # the catch-up is recorded: a second restart right after has nothing to catch up
    again = PlanScheduler([p], clock=Clock(dt.datetime(2025, 1, 10, 13, 0, tzinfo=SH), scale=3600), job=None)
    assert again.catch_up_plans() == []


def test_cli_lists_plans_and_prints_entries(tmp_path):
    (tmp_path / "a.toml").write_text('name = "a"\nsites = "s.csv"\ndb = "a.db"\njitter_minutes = 5\n',
                                     encoding="utf-8")
    r = CliRunner().invoke(main, ["schedule", "list", "--plans", str(tmp_path)])
    assert r.exit_code == 0, r.output
    assert "a" in r.output and "下次" in r.output
    r = CliRunner().invoke(main, ["schedule", "crontab", "--plans", str(tmp_path)])
    assert r.exit_code == 0 and "CRON_TZ=Asia/Shanghai" in r.output
    r = CliRunner().invoke(main, ["schedule", "systemd", "--plans", str(tmp_path / "a.toml")])
    assert r.exit_code == 0 and "[Timer]" in r.output
    (tmp_path / "bad.toml").write_text('name = "b"\nsites = "s.csv"\n', encoding="utf-8")
    r = CliRunner().invoke(main, ["schedule", "list", "--plans", str(tmp_path / "bad.toml")])
    assert r.exit_code != 0 and "bad.toml" in r.output and "db" in r.output


def test_every_monitor_command_has_help():
    for args in (["schedule"], ["schedule", "run"], ["schedule", "once"], ["schedule", "crontab"],
                 ["schedule", "systemd"], ["schedule", "audit"], ["schedule", "list"], ["runs"]):
        r = CliRunner().invoke(main, [*args, "--help"])
        assert r.exit_code == 0 and len(r.output) > 80, args
