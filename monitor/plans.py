"""Monitoring plans (``schedules/*.toml``): load, validate, and when they run (pure).

A plan names its site list(s), database, cadence, time zone, jitter, crawl settings, history-rule
settings and notifications::

    name = "county-portals"
    sites = ["../data/sites.csv"]        # relative to the plan file
    db = "../data/nianbao.db"
    timezone = "Asia/Shanghai"
    jitter_minutes = 20                  # deterministic per plan and day, 0..jitter
    misfire_grace_minutes = 120

    [[cadence]]                          # reporting season: every day
    from = "01-01"
    to = "04-15"
    every = "day"
    at = "02:00"

    [[cadence]]                          # the rest of the year: every week
    every = "week"
    weekday = "mon"
    at = "03:00"

    [crawl]                              # -s NAME=VALUE for ``nianbao crawl``
    NIANBAO_MAX_PAGES = 300

    [history]                            # nianbao.rules.history settings
    missing_report_grace_days = 30

    [notify]
    webhook = "https://example.org/hook"
    email_to = ["officer@example.org"]
    smtp_host = "localhost"

The first cadence whose ``from``..``to`` window (month-day, inclusive, may wrap the year end)
contains the day applies; a cadence without a window is the default.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_CADENCE = [
    {"from": "01-01", "to": "04-15", "every": "day", "at": "02:00"},
    {"every": "week", "weekday": "mon", "at": "03:00"},
]


class PlanError(ValueError):
    """A plan file that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Cadence:
    every: str  # day | week
    at: dt.time
    weekday: int = 0  # 0 = Monday (weekly only)
    window: tuple[tuple[int, int], tuple[int, int]] | None = None  # ((m, d), (m, d)) inclusive

    def applies(self, day: dt.date) -> bool:
        if self.window is None:
            return True
        md = (day.month, day.day)
        lo, hi = self.window
        return lo <= md <= hi if lo <= hi else (md >= lo or md <= hi)

    def fires_on(self, day: dt.date) -> bool:
        return self.every == "day" or day.weekday() == self.weekday


@dataclass(frozen=True)
class Notify:
    webhook: str | None = None
    email_to: tuple[str, ...] = ()
    email_from: str = "nianbao@localhost"
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    only_new: bool = True  # a digest of findings first seen in this run
    send_empty: bool = False

    @property
    def enabled(self) -> bool:
        return bool(self.webhook or self.email_to)


@dataclass(frozen=True)
class Plan:
    name: str
    sites: tuple[Path, ...]
    db: Path
    cadence: tuple[Cadence, ...]
    timezone: str = "Asia/Shanghai"
    jitter_minutes: int = 0
    misfire_grace_minutes: int = 120
    crawl: dict[str, Any] = field(default_factory=dict)
    history: dict[str, Any] = field(default_factory=dict)
    notify: Notify = field(default_factory=Notify)
    source: Path | None = None

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def cadence_for(self, day: dt.date) -> Cadence | None:
        return next((c for c in self.cadence if c.applies(day)), None)

    def jitter(self, day: dt.date) -> dt.timedelta:
        """A stable offset in [0, jitter] for this plan and day (spreads plans; reproducible)."""
        if not self.jitter_minutes:
            return dt.timedelta(0)
        h = int(hashlib.sha1(f"{self.name}/{day.isoformat()}".encode()).hexdigest()[:8], 16)
        return dt.timedelta(seconds=h % (self.jitter_minutes * 60 + 1))

    def fire_time(self, day: dt.date) -> dt.datetime | None:
        """When the plan runs on ``day`` (aware, plan time zone), or None if it does not."""
        c = self.cadence_for(day)
        if c is None or not c.fires_on(day):
            return None
        return dt.datetime.combine(day, c.at, tzinfo=self.tz) + self.jitter(day)

    def next_run(self, after: dt.datetime) -> dt.datetime:
        """The first fire time strictly after ``after`` (aware)."""
        local = after.astimezone(self.tz)
        for i in range(0, 400):
            t = self.fire_time(local.date() + dt.timedelta(days=i))
            if t is not None and t > after:
                return t
        raise PlanError(f"{self.name}: no run within 400 days")

    def missed(self, last_run: dt.datetime | None, now: dt.datetime) -> list[dt.datetime]:
        """Fire times after ``last_run`` up to ``now`` (what downtime skipped; newest last)."""
        if last_run is None:
            return []
        out, t = [], self.next_run(last_run)
        while t <= now and len(out) < 1000:
            out.append(t)
            t = self.next_run(t)
        return out


# ---------------------------------------------------------------- loading


def _time(value: Any, where: str) -> dt.time:
    try:
        h, m = str(value).split(":")
        return dt.time(int(h), int(m))
    except (ValueError, TypeError) as exc:
        raise PlanError(f"{where}: 时间应为 HH:MM，而不是 {value!r}") from exc


def _md(value: Any, where: str) -> tuple[int, int]:
    try:
        m, d = (int(x) for x in str(value).split("-"))
        dt.date(2024, m, d)  # validates (leap year allows 02-29)
        return m, d
    except (ValueError, TypeError) as exc:
        raise PlanError(f"{where}: 日期应为 MM-DD，而不是 {value!r}") from exc


def _cadence(raw: dict[str, Any], where: str) -> Cadence:
    every = str(raw.get("every", "")).lower()
    if every in ("daily", "day"):
        every = "day"
    elif every in ("weekly", "week"):
        every = "week"
    else:
        raise PlanError(f"{where}.every: 应为 day 或 week，而不是 {raw.get('every')!r}")
    weekday = 0
    if every == "week":
        wd = str(raw.get("weekday", "mon")).lower()[:3]
        if wd not in WEEKDAYS:
            raise PlanError(f"{where}.weekday: 无法识别 {raw.get('weekday')!r}")
        weekday = WEEKDAYS.index(wd)
    window = None
    if ("from" in raw) != ("to" in raw):
        raise PlanError(f"{where}: from 与 to 须同时给出")
    if "from" in raw:
        window = (_md(raw["from"], f"{where}.from"), _md(raw["to"], f"{where}.to"))
    unknown = set(raw) - {"every", "weekday", "at", "from", "to"}
    if unknown:
        raise PlanError(f"{where}: 未知的键 {', '.join(sorted(unknown))}")
    return Cadence(every, _time(raw.get("at", "02:00"), f"{where}.at"), weekday, window)


def parse_plan(data: dict[str, Any], source: Path | None = None, *, name: str | None = None) -> Plan:
    """A validated plan from its TOML table; relative paths are relative to the plan file."""
    where = str(source) if source else "<plan>"
    base = source.parent if source else Path.cwd()
    known = {"name", "sites", "db", "timezone", "jitter_minutes", "misfire_grace_minutes", "cadence",
             "crawl", "history", "notify"}
    unknown = set(data) - known
    if unknown:
        raise PlanError(f"{where}: 未知的键 {', '.join(sorted(unknown))}")
    name = str(data.get("name") or name or (source.stem if source else "")).strip()
    if not name:
        raise PlanError(f"{where}: 缺少 name")
    sites = data.get("sites")
    if isinstance(sites, str):
        sites = [sites]
    if not sites or not all(isinstance(s, str) for s in sites):
        raise PlanError(f"{where}: sites 应为站点列表文件（或其列表）")
    if not isinstance(data.get("db"), str):
        raise PlanError(f"{where}: 缺少 db（数据库文件）")
    tz = str(data.get("timezone", "Asia/Shanghai"))
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise PlanError(f"{where}.timezone: 未知时区 {tz!r}") from exc
    raw_cadence = data.get("cadence", DEFAULT_CADENCE)
    if isinstance(raw_cadence, dict):
        raw_cadence = [raw_cadence]
    cadence = tuple(_cadence(c, f"{where}.cadence[{i}]") for i, c in enumerate(raw_cadence))
    if not cadence:
        raise PlanError(f"{where}: cadence 为空")
    notify_raw = dict(data.get("notify", {}))
    to = notify_raw.pop("email_to", ())
    try:
        notify = Notify(email_to=tuple([to] if isinstance(to, str) else to), **notify_raw)
    except TypeError as exc:
        raise PlanError(f"{where}.notify: {exc}") from exc
    try:
        jitter = int(data.get("jitter_minutes", 0))
        grace = int(data.get("misfire_grace_minutes", 120))
    except (TypeError, ValueError) as exc:
        raise PlanError(f"{where}: jitter_minutes / misfire_grace_minutes 应为整数") from exc
    if jitter < 0 or grace < 0:
        raise PlanError(f"{where}: jitter_minutes / misfire_grace_minutes 不能为负")

    def resolve(p: str) -> Path:
        q = Path(p).expanduser()
        return q if q.is_absolute() else (base / q).resolve()

    return Plan(name=name, sites=tuple(resolve(s) for s in sites), db=resolve(data["db"]), cadence=cadence,
                timezone=tz, jitter_minutes=jitter, misfire_grace_minutes=grace, crawl=dict(data.get("crawl", {})),
                history=dict(data.get("history", {})), notify=notify, source=source)


def load_plan(path: str | Path) -> Plan:
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise PlanError(f"{p}: 无法读取计划文件（{exc}）") from exc
    return parse_plan(data, p)


def load_plans(paths: list[str | Path]) -> list[Plan]:
    """Plans from files and directories (``*.toml`` in them); names must be unique."""
    files: list[Path] = []
    for raw in paths:
        p = Path(raw)
        files += sorted(p.glob("*.toml")) if p.is_dir() else [p]
    plans = [load_plan(f) for f in files]
    names = [p.name for p in plans]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise PlanError(f"计划名称重复：{', '.join(sorted(dupes))}")
    return plans


# ---------------------------------------------------------------- crontab / systemd equivalents


def _pieces(window: tuple[tuple[int, int], tuple[int, int]] | None) -> list[tuple[str, str]]:
    """A month-day window as (months, days) pieces, e.g. 01-01..04-15 -> [("1-3", "*"), ("4", "1-15")]."""
    if window is None:
        return [("*", "*")]
    (m1, d1), (m2, d2) = window
    if (m1, d1) > (m2, d2):
        return _pieces(((m1, d1), (12, 31))) + _pieces(((1, 1), (m2, d2)))
    last = {2: 29, 4: 30, 6: 30, 9: 30, 11: 30}
    out = []
    if m1 == m2:
        return [(str(m1), "*" if (d1, d2) == (1, last.get(m1, 31)) else f"{d1}-{d2}")]
    start_m = m1
    if d1 != 1:
        out.append((str(m1), f"{d1}-{last.get(m1, 31)}"))
        start_m = m1 + 1
    end_m = m2
    tail = None
    if d2 != last.get(m2, 31):
        tail = (str(m2), f"1-{d2}")
        end_m = m2 - 1
    if start_m <= end_m:
        out.append((str(start_m) if start_m == end_m else f"{start_m}-{end_m}", "*"))
    if tail:
        out.append(tail)
    return out


def _complement_windows(plan: Plan, c: Cadence) -> list[tuple[tuple[int, int], tuple[int, int]] | None]:
    """Windows where a default cadence applies: the year minus the windows of earlier cadences."""
    if c.window is not None:
        return [c.window]
    taken = [x.window for x in plan.cadence[: plan.cadence.index(c)] if x.window is not None]
    if not taken:
        return [None]
    days = [dt.date(2024, 1, 1) + dt.timedelta(days=i) for i in range(366)]
    free = [d for d in days if not any(Cadence("day", dt.time(0), 0, w).applies(d) for w in taken)]
    out, run = [], []
    for d in free:
        if run and (d - run[-1]).days != 1:
            out.append(((run[0].month, run[0].day), (run[-1].month, run[-1].day)))
            run = []
        run.append(d)
    if run:
        out.append(((run[0].month, run[0].day), (run[-1].month, run[-1].day)))
    return out


def crontab_lines(plan: Plan, command: str = "nianbao") -> list[str]:
    """cron entries equivalent to the plan (``--if-due`` makes the command itself check the day)."""
    src = str(plan.source) if plan.source else plan.name
    lines = [f"# {plan.name}（{src}）", f"CRON_TZ={plan.timezone}"]
    for c in plan.cadence:
        dow = "*" if c.every == "day" else str((c.weekday + 1) % 7)
        for w in _complement_windows(plan, c):
            for months, days in _pieces(w):
                lines.append(f"{c.at.minute} {c.at.hour} {days if dow == '*' else '*'} {months} {dow} "
                             f"{command} schedule once {src} --if-due")
    return lines


def systemd_units(plan: Plan, command: str = "/usr/local/bin/nianbao") -> dict[str, str]:
    """A service and a timer (OnCalendar lines per cadence piece, in the plan's time zone)."""
    src = str(plan.source) if plan.source else plan.name
    unit = f"nianbao-{plan.name}"
    cal = []
    for c in plan.cadence:
        dow = "" if c.every == "day" else WEEKDAYS[c.weekday].capitalize() + " "
        for w in _complement_windows(plan, c):
            for months, days in _pieces(w):
                m = "*" if months == "*" else months.replace("-", "..")
                d = "*" if days == "*" else days.replace("-", "..")
                cal.append(f"OnCalendar={dow}*-{m}-{d} {c.at:%H:%M}:00 {plan.timezone}")
    service = (f"[Unit]\nDescription=nianbao monitoring plan {plan.name}\nAfter=network-online.target\n\n"
               f"[Service]\nType=oneshot\nExecStart={command} schedule once {src}\n")
    timer = (f"[Unit]\nDescription=Run nianbao plan {plan.name}\n\n[Timer]\n" + "\n".join(cal) +
             f"\nRandomizedDelaySec={plan.jitter_minutes * 60}\nPersistent=true\n\n"
             "[Install]\nWantedBy=timers.target\n")
    return {f"{unit}.service": service, f"{unit}.timer": timer}
