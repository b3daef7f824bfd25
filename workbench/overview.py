"""The overview's numbers: timeliness per region rollup and findings per rule (pure functions).

Inputs are plain rows from ``nianbao.storage.views``; a (agency, year) pair is ``ontime`` (published on
or before its deadline), ``late``, ``unknown`` (report found but its date or deadline is not
known) or ``missing``.

What counts as ``missing`` depends on whether the history rules have run over the store
(``nianbao.storage.views.history_audited``):

* they have: a stored MISSING_REPORT finding that a reviewer has not dismissed.  That rule
  knows the deadlines, the grace period, when each agency began reporting and which agencies are
  watched, so a year that is not yet due, or before an agency's first report, is not counted
  (such agency-years are ``notdue`` and are not among the reports expected);
* they have not: absence, i.e. every selected year for which a known agency has no report.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from nianbao.workbench.places import Place, agency_place

TIMELINESS = ("ontime", "late", "unknown", "missing")
NOT_DUE = "notdue"  # no report, and the history rules do not count it as missing


@dataclass(frozen=True)
class Filters:
    """What the officer asked for (all optional)."""

    region: str | None = None
    level: str | None = None
    year: int | None = None
    rule: str | None = None
    severity: str | None = None
    status: str | None = None
    group_by: str | None = None

    @property
    def finding_filters(self) -> dict[str, Any]:
        return {"year": self.year, "rule": self.rule, "severity": self.severity, "status": self.status}


@dataclass
class RollupRow:
    code: str
    name: str
    agencies: int = 0
    counts: Counter = field(default_factory=Counter)  # timeliness -> agency-years
    findings: Counter = field(default_factory=Counter)  # severity -> findings
    statuses: Counter = field(default_factory=Counter)  # review status -> findings

    @property
    def expected(self) -> int:
        return sum(self.counts[k] for k in TIMELINESS)

    @property
    def published(self) -> int:
        return self.expected - self.counts["missing"]

    def share(self, key: str) -> float:
        return self.counts[key] / self.expected if self.expected else 0.0

    @property
    def is_drillable(self) -> bool:
        return bool(self.code) and not self.code.endswith(":self")


@dataclass
class RuleRow:
    rule: str
    severity: str
    total: int = 0
    statuses: Counter = field(default_factory=Counter)


@dataclass
class Overview:
    filters: Filters
    group_by: str
    years: list[int]
    total: RollupRow
    rows: list[RollupRow]
    rules: list[RuleRow]
    agency_ids: list[int]  # agencies in the selected region and level


def timeliness(report: dict[str, Any] | None) -> str:
    """ontime / late / unknown / missing for one (agency, year)."""
    if report is None:
        return "missing"
    days = report.get("days_late")
    if days is None:
        return "unknown"
    return "late" if days > 0 else "ontime"


def agency_year_status(report: dict[str, Any] | None, missing_finding: dict[str, Any] | None,
                       audited: bool) -> str:
    """Timeliness of one (agency, year), with stored MISSING_REPORT findings when ``audited``."""
    if report is not None or not audited:
        return timeliness(report)
    if missing_finding is not None and missing_finding.get("status") != "dismissed":
        return "missing"
    return NOT_DUE


def select_agencies(agencies: Iterable[dict[str, Any]], filters: Filters) -> list[tuple[dict, Place]]:
    """Agencies in the filtered region and level, each with its place."""
    out = []
    for a in agencies:
        if filters.level and a.get("level") != filters.level:
            continue
        place = agency_place(a)
        if not place.within(filters.region):
            continue
        out.append((a, place))
    return out


def build(
    agencies: Sequence[dict[str, Any]],
    timeliness_rows: Sequence[dict[str, Any]],
    agency_findings: Sequence[dict[str, Any]],
    rule_findings: Sequence[dict[str, Any]],
    filters: Filters,
    years: Sequence[int],
    *,
    group_by: str,
    missing: Sequence[dict[str, Any]] | None = None,
) -> Overview:
    """Roll agencies up to ``group_by`` rows.

    ``timeliness_rows``: per agency ontime/late/unknown/reported counts for the selected year(s)
    (``nianbao.storage.views.timeliness_by_agency``); ``agency_findings``: finding counts per (agency,
    severity, status); ``rule_findings``: per (rule, severity, status), already restricted to the
    selected agencies.  Missing = selected years without a report; or, when ``missing`` is
    given (the history rules have run), one per row of it: the MISSING_REPORT findings of the
    selected year(s), dismissed ones already left out (``nianbao.storage.views.missing_report_findings``).
    """
    chosen = select_agencies(agencies, filters)
    n_years = 1 if filters.year else len(years)
    by_agency = {r["agency_id"]: r for r in timeliness_rows}
    missing_of: Counter | None = None
    if missing is not None:
        missing_of = Counter(m["agency_id"] for m in missing)
    rows: dict[tuple[str, str], RollupRow] = {}
    total = RollupRow("", "合计")
    bucket_of: dict[int, RollupRow] = {}
    for a, place in chosen:
        key = place.bucket(group_by)
        row = rows.get(key)
        if row is None:
            row = rows[key] = RollupRow(*key)
        bucket_of[a["id"]] = row
        t = by_agency.get(a["id"])
        counts = {"missing": n_years}
        if t is not None:
            counts = {"ontime": t["ontime"] or 0, "late": t["late"] or 0, "unknown": t["unknown"] or 0,
                      "missing": max(n_years - t["reported"], 0)}  # fmt: skip
        if missing_of is not None:
            counts["missing"] = missing_of[a["id"]]
        for target in (row, total):
            target.agencies += 1
            target.counts.update(counts)
    for g in agency_findings:
        row = bucket_of.get(g["agency_id"])
        if row is None:
            continue
        for target in (row, total):
            target.findings[g["severity"]] += g["n"]
            target.statuses[g["status"]] += g["n"]
    per_rule: dict[tuple[str, str], RuleRow] = {}
    for g in rule_findings:
        rr = per_rule.get((g["rule"], g["severity"]))
        if rr is None:
            rr = per_rule[(g["rule"], g["severity"])] = RuleRow(g["rule"], g["severity"])
        rr.total += g["n"]
        rr.statuses[g["status"]] += g["n"]
    sev_order = {"error": 0, "warning": 1, "info": 2}
    return Overview(
        filters=filters,
        group_by=group_by,
        years=list(years),
        total=total,
        rows=sorted(rows.values(), key=lambda r: (not r.code, r.code.replace(":self", ""), r.name)),
        rules=sorted(per_rule.values(), key=lambda r: (sev_order.get(r.severity, 3), -r.total, r.rule)),
        agency_ids=[a["id"] for a, _ in chosen],
    )
