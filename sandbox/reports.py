"""Generate plausible, internally consistent annual reports (``nianbao.model.Report``).

Numbers obey every identity of the layout (row totals, result totals, the balance, appeal
totals, stock and carry-over between years, 2019-layout 上一年 ± 增减 = 处理决定), the prose of
section 1 quotes the table, and a chosen defect breaks exactly one rule on purpose.  Pure
logic: no I/O except reading the packaged prose templates once.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from nianbao.layouts import (
    APPEAL_GROUPS,
    APPEAL_KEYS,
    APPLICANT_COLUMNS,
    APPLICATION_COLUMNS,
    APPLICATION_ROWS,
    DISCLOSURE_ROWS,
    RESULT_ROWS,
    SECTIONS,
)
from nianbao.model import Cell, DateEvidence, Report, Table

DATA = Path(__file__).parent / "data"

DEFECTS = (
    "ROW_TOTAL_MISMATCH",
    "RESULT_TOTAL_MISMATCH",
    "BALANCE_MISMATCH",
    "APPEAL_TOTAL_MISMATCH",
    "NARRATIVE_MISMATCH",
    "MISSING_SECTION",
    "MISSING_FEE_STATEMENT",
    "OUTDATED_LAYOUT",
)
NEEDS_2021 = {"MISSING_FEE_STATEMENT", "OUTDATED_LAYOUT"}
NEEDS_APPLICATIONS = {"ROW_TOTAL_MISMATCH", "RESULT_TOTAL_MISMATCH", "BALANCE_MISMATCH", "NARRATIVE_MISMATCH"}

# Where processed applications end up (2021 keys; the 2019 layout folds other.* into other).
_RESULT_WEIGHTS: dict[str, float] = {
    "granted": 36,
    "partial": 7,
    "denied.state_secret": 0.4,
    "denied.prohibited_by_law": 1,
    "denied.security_stability": 0.4,
    "denied.third_party": 3,
    "denied.internal_affairs": 2,
    "denied.process_info": 3,
    "denied.enforcement_file": 1,
    "denied.query_service": 2,
    "unavailable.not_held": 28,
    "unavailable.needs_compiling": 4,
    "unavailable.unclear": 3,
    "not_processed.complaint": 4,
    "not_processed.repeated": 3,
    "not_processed.publication": 0.5,
    "not_processed.excessive": 1,
    "not_processed.reissue": 1,
    "other.no_correction": 3,
    "other.fee_unpaid": 0.5,
    "other.other": 2,
}
_APPLICANT_WEIGHTS = {
    "natural_person": 80,
    "commercial": 10,
    "research": 1,
    "nonprofit": 1,
    "legal_service": 4,
    "other_org": 4,
}


@lru_cache(maxsize=1)
def prose() -> dict[str, Any]:
    """The prose templates (adapted from the seed reports)."""
    return json.loads((DATA / "prose.json").read_text(encoding="utf-8"))


def layout_for(year: int) -> str:
    """The layout prescribed for a report year."""
    return "2019" if year <= 2020 else "2021"


@dataclass
class AgencyState:
    """What one agency's next report must agree with (carry-over, stock, 上一年项目数量)."""

    carried_out: dict[str, int] | None = None
    stock: int = 0
    previous: dict[str, int] = field(default_factory=dict)  # 2019 layout: last year's decisions
    own_carried_out: dict[str, int] | None = None  # government: its own office's share


@dataclass
class Generated:
    """A generated report, the true (pre-defect) application table and the injected defects."""

    report: Report
    true_applications: Table
    defects: list[dict[str, Any]]


# ---------------------------------------------------------------------------- numbers


def _cell(v: int | float, raw: str | None = None) -> Cell:
    return Cell(value=v, raw=raw if raw is not None else _fmt_number(v))


def _fmt_number(v: int | float) -> str:
    if isinstance(v, float) and not v.is_integer():
        return f"{v:.2f}"
    return str(int(v))


def _split(rng: random.Random, n: int, weights: dict[str, float]) -> dict[str, int]:
    """Distribute ``n`` items over the weighted keys (multinomial draw)."""
    out = dict.fromkeys(weights, 0)
    if n <= 0:
        return out
    keys, ws = list(weights), list(weights.values())
    for k in rng.choices(keys, ws, k=n):
        out[k] += 1
    return out


def _scale(kind: str, rng: random.Random) -> int:
    """How many new applications the agency's own office received."""
    r = rng.random()
    if kind == "government":
        return rng.randint(3, 60)
    if kind == "department":
        return 0 if r < 0.45 else rng.randint(1, 25)
    return 0 if r < 0.75 else rng.randint(1, 4)


def _zero_table(layout: str) -> dict[str, dict[str, int]]:
    return {row: dict.fromkeys(APPLICANT_COLUMNS, 0) for row in APPLICATION_ROWS[layout]}


def make_applications(
    rng: random.Random, kind: str, layout: str, carried_in: dict[str, int] | None, *, min_new: int = 0
) -> dict[str, dict[str, int]]:
    """Applicant-column counts for every section 3 row (no 总计 column yet), all identities hold."""
    t = _zero_table(layout)
    new_total = max(_scale(kind, rng), min_new)
    t["new"] = _split(rng, new_total, _APPLICANT_WEIGHTS)
    if carried_in is None:
        carried_in = dict.fromkeys(APPLICANT_COLUMNS, 0)
        if new_total and rng.random() < 0.3:
            carried_in["natural_person"] = rng.randint(1, 3)
    t["carried_in"] = {c: carried_in.get(c, 0) for c in APPLICANT_COLUMNS}
    for c in APPLICANT_COLUMNS:
        avail = t["new"][c] + t["carried_in"][c]
        out = 0
        if avail >= 4 and rng.random() < 0.4:
            out = rng.randint(1, max(1, avail // 8))
        t["carried_out"][c] = out
        done = _split(rng, avail - out, _RESULT_WEIGHTS)
        if layout == "2019":
            done["other"] = done.pop("other.no_correction") + done.pop("other.fee_unpaid") + done.pop("other.other")
        for row, n in done.items():
            t[row][c] = n
        t["total"][c] = avail - out
    return t


def add_tables(a: dict[str, dict[str, int]], b: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    """Element-wise sum of two applicant-count tables of the same layout."""
    return {row: {c: a[row][c] + b.get(row, {}).get(c, 0) for c in a[row]} for row in a}


def fold_to_layout(t: dict[str, dict[str, int]], layout: str) -> dict[str, dict[str, int]]:
    """Convert a count table between layouts (2021's other.* rows <-> 2019's single other row)."""
    if layout == "2019" and "other" not in t:
        t = dict(t)
        parts = [t.pop(k) for k in ("other.no_correction", "other.fee_unpaid", "other.other")]
        t["other"] = {c: sum(part[c] for part in parts) for c in APPLICANT_COLUMNS}
    elif layout == "2021" and "other" in t:
        t = dict(t)
        o = t.pop("other")
        t["other.no_correction"] = dict.fromkeys(APPLICANT_COLUMNS, 0)
        t["other.fee_unpaid"] = dict.fromkeys(APPLICANT_COLUMNS, 0)
        t["other.other"] = dict(o)
    return {row: t[row] for row in APPLICATION_ROWS[layout]}


def to_cells(t: dict[str, dict[str, int]]) -> Table:
    """Add the 总计 column and wrap counts in cells."""
    out: Table = {}
    for row, cols in t.items():
        out[row] = {c: _cell(cols[c]) for c in APPLICANT_COLUMNS}
        out[row]["total"] = _cell(sum(cols[c] for c in APPLICANT_COLUMNS))
    return out


def make_appeals(rng: random.Random, kind: str) -> dict[str, dict[str, int]]:
    """Section 4 counts; each group's 总计 is the sum of its four results."""
    hi = {"government": 4, "department": 2, "township": 1}[kind]
    out = {}
    for g in APPEAL_GROUPS:
        n = rng.randint(0, hi) if rng.random() < (0.6 if kind == "government" else 0.15) else 0
        parts = _split(rng, n, {"upheld": 6, "corrected": 1, "other": 1, "pending": 2})
        parts["total"] = n
        out[g] = parts
    return out


def appeal_cells(a: dict[str, dict[str, int]]) -> Table:
    return {g: {k: _cell(a[g][k]) for k in APPEAL_KEYS} for g in APPEAL_GROUPS}


def make_disclosure(rng: random.Random, kind: str, layout: str, state: AgencyState) -> Table:
    """Section 2 (rules always 0: county-level bodies make no 规章)."""
    big = {"government": 1.0, "department": 0.3, "township": 0.02}[kind]
    issued = rng.randint(0, {"government": 12, "department": 4, "township": 1}[kind])
    repealed = rng.randint(0, min(state.stock, 3))
    in_force = state.stock + issued - repealed
    state.stock = in_force
    counts = {
        "licensing": int(rng.randint(0, 15000) * big) if rng.random() < 0.8 else 0,
        "other_services": int(rng.randint(0, 3000) * big),
        "penalty": int(rng.randint(0, 1500) * big) if rng.random() < 0.7 else 0,
        "coercion": int(rng.randint(0, 60) * big) if rng.random() < 0.5 else 0,
    }
    if layout == "2021":
        fee = round(rng.uniform(0, 800) * big, 2) if rng.random() < 0.4 else 0
        return {
            "rules": {k: _cell(0) for k in ("issued", "repealed", "in_force")},
            "normative_documents": {
                "issued": _cell(issued), "repealed": _cell(repealed), "in_force": _cell(in_force)},
            "licensing": {"decisions": _cell(counts["licensing"])},
            "penalty": {"decisions": _cell(counts["penalty"])},
            "coercion": {"decisions": _cell(counts["coercion"])},
            "fees": {"amount": _cell(fee)},
        }
    table: Table = {
        "rules": {k: _cell(0) for k in ("made", "published", "public_total")},
        "normative_documents": {"made": _cell(issued), "published": _cell(issued), "public_total": _cell(in_force)},
    }
    for row in ("licensing", "other_services", "penalty", "coercion"):
        decisions = counts[row]
        prev = state.previous.get(row, max(0, decisions + rng.randint(-decisions // 3 - 1, decisions // 3 + 1)))
        change = decisions - prev
        table[row] = {"previous": _cell(prev), "change": _change_cell(change), "decisions": _cell(decisions)}
        state.previous[row] = decisions
    fee_items = state.previous.get("fees", rng.randint(0, 4))
    table["fees"] = {"previous": _cell(fee_items), "change": _change_cell(0)}
    projects = rng.randint(0, 40) if kind != "township" else 0
    amount = round(projects * rng.uniform(5, 300), 2)
    table["procurement"] = {"projects": _cell(projects), "amount": _cell(amount)}
    return table


def _change_cell(change: int) -> Cell:
    if change > 0:
        return Cell(value=change, raw=f"{change}(增)")
    if change < 0:
        return Cell(value=change, raw=f"{-change}(减)")
    return Cell(value=0, raw="0")


# ---------------------------------------------------------------------------- defects


def _bump(cell: Cell, k: int) -> None:
    cell.value = int(cell.value or 0) + k
    cell.raw = str(cell.value)


def inject_arithmetic(rng: random.Random, rep: Report, defect: str) -> list[dict[str, Any]]:
    """Break exactly one identity family; return the expected findings (rule, where)."""
    apps, layout = rep.applications, rep.layout or "2021"
    results = RESULT_ROWS[layout]
    k = rng.randint(1, 5)
    if defect == "ROW_TOTAL_MISMATCH":
        # move k items between two result rows inside one applicant column: columns still add up,
        # but both rows' 总计 no longer equals the sum of their applicant cells
        col = max(APPLICANT_COLUMNS, key=lambda c: apps["total"][c].value)
        src = max(results, key=lambda r: apps[r][col].value)
        k = min(k, apps[src][col].value)
        dst = rng.choice([r for r in results if r != src])
        _bump(apps[src][col], -k)
        _bump(apps[dst][col], k)
        return [{"rule": defect, "where": f"applications.{r}.total"} for r in (src, dst)]
    if defect == "RESULT_TOTAL_MISMATCH":
        col = max(APPLICANT_COLUMNS, key=lambda c: apps["total"][c].value)
        row = rng.choice(results)
        _bump(apps[row][col], k)
        _bump(apps[row]["total"], k)
        return [{"rule": defect, "where": f"applications.total.{c}"} for c in (col, "total")]
    if defect == "BALANCE_MISMATCH":
        col = max(APPLICANT_COLUMNS, key=lambda c: apps["new"][c].value)
        k = min(k, apps["new"][col].value)
        _bump(apps["new"][col], -k)
        _bump(apps["new"]["total"], -k)
        return [{"rule": defect, "where": f"applications.balance.{c}"} for c in (col, "total")]
    if defect == "APPEAL_TOTAL_MISMATCH":
        g = rng.choice(list(APPEAL_GROUPS))
        _bump(rep.appeals[g]["upheld"], k)
        return [{"rule": defect, "where": f"appeals.{g}.total"}]
    raise ValueError(defect)


# ---------------------------------------------------------------------------- prose


def _pick(rng: random.Random, key: str) -> Any:
    return rng.choice(prose()[key])


def self_reference(agency: str, kind: str) -> tuple[str, str]:
    """(short name used in the intro, first-person 我X) for an agency."""
    if kind == "government":
        unit = "区" if agency.endswith("区人民政府") else "市" if agency.endswith("市人民政府") else "县"
        return f"{unit}政府", f"我{unit}"
    if kind == "township":
        unit = "街道" if "街道" in agency else "镇" if "镇" in agency else "乡"
        return agency, "本街道" if unit == "街道" else f"我{unit}"
    for suffix, we in (("局", "我局"), ("委员会", "我委"), ("委", "我委"), ("办公室", "我办"), ("中心", "中心")):
        if agency.endswith(suffix):
            return agency, we
    return agency, "本机关"


def section1(rng: random.Random, vals: dict[str, Any], apps: Table, appeals: Table, stated_new: int,
             highlights: int = 0) -> str:
    """Section 1 prose; the application sentence quotes the table (``stated_new`` for 本年新收)."""
    t = apps
    nums = {
        "new": stated_new,
        "carried_in": t["carried_in"]["total"].value,
        "done": t["total"]["total"].value,
        "granted": t["granted"]["total"].value,
        "partial": t["partial"]["total"].value,
        "not_held": t["unavailable.not_held"]["total"].value,
        "unavailable": sum(t[r]["total"].value for r in t if r.startswith("unavailable.")),
        "carried_out": t["carried_out"]["total"].value,
    }
    parts = [_pick(rng, "s1_proactive").format(**vals)]
    if stated_new or nums["carried_in"]:
        parts.append(_pick(rng, "s1_apply_some").format(**vals, **nums))
    else:
        parts.append(_pick(rng, "s1_apply_none").format(**vals))
    review = appeals["review"]["total"].value
    litigation = appeals["litigation_direct"]["total"].value + appeals["litigation_after_review"]["total"].value
    if review or litigation:
        parts[-1] += prose()["s1_appeal_some"].format(**vals, review=review, litigation=litigation)
    else:
        parts[-1] += prose()["s1_appeal_none"].format(**vals)
    parts.append(_pick(rng, "s1_manage").format(**vals))
    parts.append(_pick(rng, "s1_platform").format(**vals))
    if highlights:
        # work items in their own order: with few templates, a network's reports of unrelated
        # agencies came out as near-copies (false COPIED_FROM_OTHER_AGENCY findings)
        parts[-1] += "".join(rng.sample(prose()["s1_highlights"], highlights))
    oversight = _pick(rng, "s1_oversight").format(**vals, training=rng.randint(1, 6))
    oversight += "\n" + _pick(rng, "s1_assessment").format(**vals, grade=rng.choice(["优秀", "良好", "合格"]))
    parts.append(oversight)
    return "\n".join(parts)


def report_title(agency: str, year: int, rng: random.Random | None = None) -> str:
    variant = rng.random() if rng else 0.0
    if variant < 0.6:
        return f"{agency}{year}年政府信息公开工作年度报告"
    if variant < 0.85:
        return f"{agency}{year}年度政府信息公开工作年度报告"
    return f"{agency}{year}年度政府信息公开工作报告"


# ---------------------------------------------------------------------------- the report


def build_report(
    agency: str,
    kind: str,
    year: int,
    rng: random.Random,
    *,
    county: str,
    portal: str,
    state: AgencyState | None = None,
    defect: str | None = None,
    signed: dt.date | None = None,
    layout: str | None = None,
    children: dict[str, dict[str, int]] | None = None,
    children_appeals: dict[str, dict[str, int]] | None = None,
    source: str | None = None,
    highlights: int = 0,
) -> Generated:
    """Generate one report.

    ``state`` carries the agency's history (updated in place); ``children`` (applicant-count
    table) and ``children_appeals`` are added to a government's own numbers so that its
    consolidated report covers its departments and townships.  ``defect`` is one of
    :data:`DEFECTS`; its expected findings are returned in ``Generated.defects``.  ``highlights``
    work items are named in section 1 (the simulated network uses 3, so that its reports differ).
    """
    state = state if state is not None else AgencyState()
    if defect is not None and defect not in DEFECTS:
        raise ValueError(f"unknown defect {defect}")
    if defect in NEEDS_2021 and year < 2021:
        raise ValueError(f"{defect} needs a report year of 2021 or later")
    layout = layout or ("2019" if defect == "OUTDATED_LAYOUT" else layout_for(year))
    signed = signed or dt.date(year + 1, 1, rng.randint(10, 28))

    # section 3: own numbers (+ children for a consolidated government report)
    own_in = state.own_carried_out if children is not None and state.own_carried_out is not None else state.carried_out
    min_new = 3 if defect in NEEDS_APPLICATIONS else 0
    own = make_applications(rng, kind, layout, own_in, min_new=min_new)
    state.own_carried_out = dict(own["carried_out"])  # (a year without children: own = all)
    if children is not None:
        counts = add_tables(own, fold_to_layout(children, layout))
    else:
        counts = own
    state.carried_out = dict(counts["carried_out"])
    apps = to_cells(counts)
    true_apps = to_cells(counts)

    appeal_counts = make_appeals(rng, kind)
    if children_appeals:
        appeal_counts = {g: {k: appeal_counts[g][k] + children_appeals[g][k] for k in APPEAL_KEYS}
                         for g in APPEAL_GROUPS}
    rep = Report(
        source=source or f"sandbox:{agency}:{year}",
        agency=agency,
        agency_source="title",
        agency_kind=kind,  # type: ignore[arg-type]
        title=report_title(agency, year, rng),
        year=year,
        layout=layout,  # type: ignore[arg-type]
        disclosure=make_disclosure(rng, kind, layout, state),
        applications=apps,
        appeals=appeal_cells(appeal_counts),
        read_by="sandbox",
    )
    defects: list[dict[str, Any]] = []
    if defect in ("ROW_TOTAL_MISMATCH", "RESULT_TOTAL_MISMATCH", "BALANCE_MISMATCH", "APPEAL_TOTAL_MISMATCH"):
        defects = inject_arithmetic(rng, rep, defect)

    short, we = self_reference(agency, kind)
    vals = {
        "agency": agency, "short": short, "we": we, "year": year, "next_year": year + 1,
        "county": county, "portal": portal, "layout_doc": prose()["layout_doc"][layout],
        "info_count": rng.randint(30, 3000),
    }
    stated_new = rep.applications["new"]["total"].value
    if defect == "NARRATIVE_MISMATCH":
        true_new = stated_new
        stated_new = _misstate(rng, true_new)
    s1 = section1(rng, vals, rep.applications, rep.appeals, stated_new, highlights)
    if defect == "NARRATIVE_MISMATCH":
        sentence = next(line for line in s1.split("\n") if f"申请{stated_new}件" in line)
        defects = [{"rule": defect, "where": "applications.new.total", "expected": true_new,
                    "actual": stated_new, "evidence": sentence}]
    s2 = _pick(rng, "s2_note").format(**vals)
    s5 = _pick(rng, "s5").format(**vals)
    fee = _pick(rng, "s6_fee").format(**vals)
    other = _pick(rng, "s6_other").format(**vals)
    if defect == "MISSING_FEE_STATEMENT":
        s6 = other if rng.random() < 0.6 else _pick(rng, "s6_nothing")
        defects = [{"rule": defect, "where": "sections.6"}]
    elif year >= 2021 or rng.random() < 0.5:
        s6 = fee + "\n" + other
    else:
        s6 = _pick(rng, "s6_nothing")
    rep.sections = {"1": s1, "2": s2, "3": "", "4": "", "5": s5, "6": s6}
    if defect == "MISSING_SECTION":
        del rep.sections["5"]
        defects = [{"rule": defect, "where": "sections.5"}]
    if defect == "OUTDATED_LAYOUT":
        defects = [{"rule": defect, "where": "layout", "expected": "2021", "actual": "2019"}]

    intro = _pick(rng, "intro").format(**vals)
    sig_text = f"{signed.year}年{signed.month}月{signed.day}日"
    rep.dates.append(DateEvidence(date=signed, source="signature", text=sig_text))
    body = [intro]
    for key, title in SECTIONS.items():
        if key in rep.sections:
            body.append(title)
            if rep.sections[key]:
                body.append(rep.sections[key])
    body += [agency, sig_text]
    rep.text = "\n".join(body)
    return Generated(rep, true_apps, defects)


def _misstate(rng: random.Random, n: int) -> int:
    """A plausible wrong number for ``n`` (digit swap or typo)."""
    s = str(n)
    if len(s) >= 2 and s[0] != s[-1] and rng.random() < 0.5:
        return int(s[-1] + s[1:-1] + s[0]) if s[-1] != "0" else n + 10
    return n + rng.choice([-2, -1, 1, 2, 10]) if n > 2 else n + rng.randint(1, 9)


def counts_of(table: Table) -> dict[str, dict[str, int]]:
    """Applicant-column counts of a cell table (drops 总计), for summing children."""
    return {row: {c: int(cols[c].value or 0) for c in APPLICANT_COLUMNS} for row, cols in table.items()}


def appeal_counts_of(table: Table) -> dict[str, dict[str, int]]:
    return {g: {k: int(table[g][k].value or 0) for k in APPEAL_KEYS} for g in APPEAL_GROUPS}


__all__ = [
    "APPLICATION_COLUMNS",
    "DEFECTS",
    "AgencyState",
    "Generated",
    "build_report",
    "layout_for",
    "report_title",
    "DISCLOSURE_ROWS",
]
