"""Publication deadlines as data, and who is which kind of publisher.

The packaged table ``rules/data/deadlines.csv`` has one row per (province or ``*``, publisher kind
or ``*``, first report year, last report year) with the deadline as month-day of year Y+1 and an
optional earlier ``notice`` date (township reports: ``DEADLINE_PASSED`` after it). A user file
(CSV with the same columns, or TOML with ``[[deadline]]`` tables of the same keys) overrides rows
with the same key and adds others. The most specific matching row wins: a named province beats
``*``, a named kind beats ``*``, a user row beats a packaged one, a shorter year span beats a longer.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from nianbao import labels
from nianbao.regions.names import name_kind

KINDS = ("government", "department", "township")
KIND_NAMES = labels.PUBLISHER_KINDS

# Level in the site list -> publisher kind.
_LEVEL_KIND = {
    "province": "government",
    "city": "government",
    "county": "government",
    "township": "township",
    "department": "department",
}

# First two digits of a 行政区划代码 -> province (short name).
_PROVINCE_CODES = {
    "11": "北京", "12": "天津", "13": "河北", "14": "山西", "15": "内蒙古", "21": "辽宁", "22": "吉林",
    "23": "黑龙江", "31": "上海", "32": "江苏", "33": "浙江", "34": "安徽", "35": "福建", "36": "江西",
    "37": "山东", "41": "河南", "42": "湖北", "43": "湖南", "44": "广东", "45": "广西", "46": "海南",
    "50": "重庆", "51": "四川", "52": "贵州", "53": "云南", "54": "西藏", "61": "陕西", "62": "甘肃",
    "63": "青海", "64": "宁夏", "65": "新疆", "71": "台湾", "81": "香港", "82": "澳门",
}
_PROVINCE_SUFFIX = re.compile(
    r"(省|市|壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区)$"
)


class DeadlineError(ValueError):
    """A deadline file or row that cannot be read (names the file and row)."""


@dataclass(frozen=True)
class DeadlineRule:
    """One row of the deadline table."""

    province: str  # normalised short name, or "*"
    kind: str  # government / department / township / "*"
    first_year: int | None
    last_year: int | None
    deadline: tuple[int, int]  # (month, day) of year Y+1
    notice: tuple[int, int] | None = None  # DEADLINE_PASSED after this (month, day), if any
    basis: str = ""
    user: bool = False

    @property
    def key(self) -> tuple[str, str, int | None, int | None]:
        return (self.province, self.kind, self.first_year, self.last_year)

    def matches(self, kind: str | None, year: int, province: str) -> bool:
        if self.first_year is not None and year < self.first_year:
            return False
        if self.last_year is not None and year > self.last_year:
            return False
        if self.kind != "*" and self.kind != kind:
            return False
        return self.province == "*" or self.province == province

    def specificity(self) -> tuple[int, int, int, int]:
        span = (self.last_year or 9999) - (self.first_year or 0)
        return (self.province != "*", self.kind != "*", self.user, -span)


@dataclass
class Deadlines:
    """The deadline table: packaged rows plus any user overrides."""

    rules: list[DeadlineRule] = field(default_factory=list)

    def override(self, rows: list[DeadlineRule]) -> Deadlines:
        """A new table where ``rows`` replace rows with the same key and add the others."""
        new_keys = {r.key for r in rows}
        return Deadlines([r for r in self.rules if r.key not in new_keys] + list(rows))

    def rule_for(self, kind: str | None, year: int, province: str | None = None) -> DeadlineRule | None:
        """The most specific row for this kind, report year and province, or None."""
        prov = normalize_province(province)
        found = [r for r in self.rules if r.matches(kind, year, prov)]
        return max(found, key=DeadlineRule.specificity) if found else None

    def deadline_for(self, kind: str | None, year: int | None, province: str | None = None) -> dt.date | None:
        """The date ``LATE_PUBLICATION`` uses for year ``year``'s report.

        When the kind is unknown, the latest deadline any kind could have: a report published
        after it is late whatever the publisher is (rules never guess the kind).
        """
        if year is None:
            return None
        if kind is None:
            dates = [self.deadline_for(k, year, province) for k in KINDS]
            known = [d for d in dates if d is not None]
            return max(known) if known else None
        row = self.rule_for(kind, year, province)
        return _on(year, row.deadline) if row else None

    def notice_for(self, kind: str | None, year: int | None, province: str | None = None) -> dt.date | None:
        """The earlier date after which ``DEADLINE_PASSED`` is noted (townships), or None."""
        if year is None or kind is None:
            return None
        row = self.rule_for(kind, year, province)
        return _on(year, row.notice) if row and row.notice else None


def _on(year: int, month_day: tuple[int, int]) -> dt.date:
    return dt.date(year + 1, *month_day)


def normalize_province(province: str | None) -> str:
    """'湖南省', '湖南', '430000', '43' -> '湖南'; None or '' or '*' -> '*'."""
    if not province or province.strip() in ("", "*"):
        return "*"
    p = province.strip()
    if p[:2].isdigit():
        return _PROVINCE_CODES.get(p[:2], p)
    return _PROVINCE_SUFFIX.sub("", p) or p


def _month_day(text: str, where: str) -> tuple[int, int]:
    m = re.fullmatch(r"\s*(\d{1,2})[-/.月](\d{1,2})日?\s*", text)
    if not m:
        raise DeadlineError(f"{where}: month-day {text!r} is not like 03-31")
    month, day = int(m.group(1)), int(m.group(2))
    try:
        dt.date(2001, month, day)
    except ValueError as exc:
        raise DeadlineError(f"{where}: month-day {text!r}: {exc}") from exc
    return month, day


def _year(value: object, where: str) -> int | None:
    if value is None or str(value).strip() in ("", "*"):
        return None
    try:
        return int(str(value).strip())
    except ValueError as exc:
        raise DeadlineError(f"{where}: year {value!r} is not a number") from exc


def _row(raw: dict, where: str, user: bool) -> DeadlineRule:
    kind = (str(raw.get("kind") or "*")).strip()
    if kind not in (*KINDS, "*"):
        raise DeadlineError(f"{where}: kind {kind!r} is not one of {', '.join(KINDS)} or *")
    deadline = raw.get("deadline")
    if not deadline:
        raise DeadlineError(f"{where}: no deadline")
    notice = raw.get("notice")
    return DeadlineRule(
        province=normalize_province(str(raw.get("province") or "*")),
        kind=kind,
        first_year=_year(raw.get("first_year"), where),
        last_year=_year(raw.get("last_year"), where),
        deadline=_month_day(str(deadline), where),
        notice=_month_day(str(notice), where) if notice else None,
        basis=str(raw.get("basis") or ""),
        user=user,
    )


def parse_rows(text: str, name: str = "<deadlines>", *, user: bool = True) -> list[DeadlineRule]:
    """Rows of a deadline file given as text: TOML if ``name`` ends in .toml, else CSV."""
    if name.endswith(".toml"):
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise DeadlineError(f"{name}: {exc}") from exc
        items = data.get("deadline", [])
        return [_row(item, f"{name} [[deadline]] #{i + 1}", user) for i, item in enumerate(items)]
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    return [_row(raw, f"{name} line {i + 2}", user) for i, raw in enumerate(reader)]


def packaged() -> Deadlines:
    """The table shipped with nianbao."""
    text = resources.files("nianbao.rules").joinpath("data/deadlines.csv").read_text(encoding="utf-8")
    return Deadlines(parse_rows(text, "rules/data/deadlines.csv", user=False))


def load_deadlines(path: str | Path | None = None) -> Deadlines:
    """The packaged table, overridden by the user's CSV/TOML file at ``path`` when given."""
    table = packaged()
    if path is None:
        return table
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise DeadlineError(f"{p}: {exc.strerror or exc}") from exc
    return table.override(parse_rows(text, str(p)))


_DEFAULT: Deadlines | None = None


def default_table() -> Deadlines:
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = packaged()
    return _DEFAULT


def deadline_for(kind: str | None, year: int | None, province: str | None = None,
                 table: Deadlines | None = None) -> dt.date | None:
    """Deadline for year ``year``'s report of a publisher of ``kind`` (packaged table by default)."""
    return (table or default_table()).deadline_for(kind, year, province)


def notice_for(kind: str | None, year: int | None, province: str | None = None,
               table: Deadlines | None = None) -> dt.date | None:
    """The ``DEADLINE_PASSED`` date for this kind and year, or None."""
    return (table or default_table()).notice_for(kind, year, province)


def days_late(published: dt.date | None, deadline: dt.date | None) -> int | None:
    """Days after the deadline (0 or negative when on time); None when either date is unknown."""
    if published is None or deadline is None:
        return None
    return (published - deadline).days


# --- publisher kind from the agency's name -------------------------------------------------


def publisher_kind(agency_name: str | None, level: str | None = None) -> str | None:
    """'government', 'department', 'township' or None (unknown); the site list's level wins.

    A 人民政府办公室 is a department (it reports on its own work); a 管委会 (development zone,
    experimental zone) is left unknown rather than guessed.
    """
    if level:
        kind = _LEVEL_KIND.get(level.strip().lower())
        if kind:
            return kind
    if not agency_name:
        return None
    # one implementation of name -> kind, shared with the regions registry

    return name_kind(agency_name)
