"""Per-agency, per-year compliance scores and rankings (pure).

An agency-year gets a fraction 0..1 on each scored component, and its score is

    score = 100 × Σ(weightᵢ × fractionᵢ) ÷ Σ(weightᵢ)     over the components that apply

Components (the rules that count against each; dismissed findings never count):

* ``timeliness`` 发布及时性 — on time 1; late by up to ``LATE_FULL_DAYS`` days 0.5, later 0;
  missing 0; publication date unknown: not scored (nothing to hold against the agency);
* ``completeness`` 章节表格完整 — 1 − 0.25 per MISSING_SECTION / MISSING_TABLE / TABLE_UNREADABLE /
  OUTDATED_LAYOUT finding (not below 0);
* ``arithmetic`` 表内勾稽 — 1 − 0.25 per ROW_TOTAL / RESULT_TOTAL / BALANCE / APPEAL_TOTAL /
  INVALID_VALUE finding;
* ``prose`` 正文与表格一致 — 1 − 0.5 per NARRATIVE_MISMATCH / CHANGE_MISMATCH / WRONG_PERIOD finding;
* ``statements`` 必报事项 — 1 − 0.5 per MISSING_FEE_STATEMENT / MISSING_ASSESSMENT_RESULTS finding;
* ``carry_over`` 上下年衔接 — only when the previous year's report is stored: 1 − 0.5 per
  CARRY_OVER_MISMATCH / STOCK_MISMATCH finding.

A missing report scores 0 on every component.  Weights come from the ``score_weights`` setting
(``name=weight,…``); the exported sheet prints them so anyone can recompute a score.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

COMPONENTS: dict[str, str] = {
    "timeliness": "发布及时性",
    "completeness": "章节表格完整",
    "arithmetic": "表内勾稽",
    "prose": "正文与表格一致",
    "statements": "必报事项",
    "carry_over": "上下年衔接",
}
DEFAULT_WEIGHTS: dict[str, float] = {"timeliness": 25, "completeness": 20, "arithmetic": 25, "prose": 10,
                                     "statements": 10, "carry_over": 10}  # fmt: skip
RULE_COMPONENT: dict[str, tuple[str, float]] = {
    "MISSING_SECTION": ("completeness", 0.25), "MISSING_TABLE": ("completeness", 0.25),
    "TABLE_UNREADABLE": ("completeness", 0.25), "OUTDATED_LAYOUT": ("completeness", 0.25),
    "ROW_TOTAL_MISMATCH": ("arithmetic", 0.25), "RESULT_TOTAL_MISMATCH": ("arithmetic", 0.25),
    "BALANCE_MISMATCH": ("arithmetic", 0.25), "APPEAL_TOTAL_MISMATCH": ("arithmetic", 0.25),
    "INVALID_VALUE": ("arithmetic", 0.25),
    "NARRATIVE_MISMATCH": ("prose", 0.5), "CHANGE_MISMATCH": ("prose", 0.5), "WRONG_PERIOD": ("prose", 0.5),
    "MISSING_FEE_STATEMENT": ("statements", 0.5), "MISSING_ASSESSMENT_RESULTS": ("statements", 0.5),
    "CARRY_OVER_MISMATCH": ("carry_over", 0.5), "STOCK_MISMATCH": ("carry_over", 0.5),
}  # fmt: skip
LATE_FULL_DAYS = 30


def parse_weights(text: str | Mapping[str, Any] | None) -> dict[str, float]:
    """``"timeliness=30,arithmetic=30"`` (or a mapping) over the defaults; unknown names refused."""
    weights = dict(DEFAULT_WEIGHTS)
    if not text:
        return weights
    pairs = text.items() if isinstance(text, Mapping) else (p.split("=", 1) for p in str(text).split(",") if p.strip())
    for name, value in pairs:
        name = str(name).strip()
        if name not in COMPONENTS:
            raise ValueError(f"unknown score component {name!r}; use one of {', '.join(COMPONENTS)}")
        weight = float(value)
        if weight < 0:
            raise ValueError(f"weight of {name} must not be negative")
        weights[name] = weight
    return weights


@dataclass
class AgencyYear:
    """What a score is computed from."""

    agency_id: int
    name: str
    level: str | None
    timeliness: str  # ontime | late | missing | unknown
    days_late: int | None = None
    rules: Counter = field(default_factory=Counter)  # rule -> non-dismissed findings
    has_previous: bool = False


@dataclass
class Score:
    agency_id: int
    name: str
    level: str | None
    fractions: dict[str, float | None]  # component -> 0..1, None = not scored
    score: float
    rank: int = 0
    previous: float | None = None

    @property
    def change(self) -> float | None:
        return None if self.previous is None else round(self.score - self.previous, 1)


def fractions(a: AgencyYear) -> dict[str, float | None]:
    if a.timeliness == "missing":
        return dict.fromkeys(COMPONENTS, 0.0)
    out: dict[str, float | None] = {}
    if a.timeliness == "ontime":
        out["timeliness"] = 1.0
    elif a.timeliness == "late":
        out["timeliness"] = 0.5 if (a.days_late or 0) <= LATE_FULL_DAYS else 0.0
    else:
        out["timeliness"] = None
    penalty: Counter = Counter()
    for rule, n in a.rules.items():
        if rule in RULE_COMPONENT:
            comp, per = RULE_COMPONENT[rule]
            penalty[comp] += per * n
    for comp in ("completeness", "arithmetic", "prose", "statements", "carry_over"):
        if comp == "carry_over" and not a.has_previous:
            out[comp] = None
            continue
        out[comp] = max(0.0, 1.0 - penalty[comp])
    return out


def combine(fr: Mapping[str, float | None], weights: Mapping[str, float]) -> float:
    """100 × Σ w·f ÷ Σ w over the scored components (1 decimal)."""
    used = [(weights[c], f) for c, f in fr.items() if f is not None and weights.get(c, 0) > 0]
    total = sum(w for w, _ in used)
    return round(100 * sum(w * f for w, f in used) / total, 1) if total else 0.0


def rank(scores: Sequence[Score]) -> None:
    """Competition ranking (1, 2, 2, 4) by score within each level, in place."""
    by_level: dict[Any, list[Score]] = {}
    for s in scores:
        by_level.setdefault(s.level, []).append(s)
    for group in by_level.values():
        group.sort(key=lambda s: (-s.score, s.name))
        for i, s in enumerate(group):
            s.rank = group[i - 1].rank if i and group[i - 1].score == s.score else i + 1


def score_all(
    rows: Iterable[AgencyYear], weights: Mapping[str, float], previous: Mapping[int, float] | None = None
) -> list[Score]:
    """Scores of ``rows`` ranked within their level, with last year's score where given."""
    out = []
    for a in rows:
        fr = fractions(a)
        out.append(Score(a.agency_id, a.name, a.level, fr, combine(fr, weights),
                         previous=(previous or {}).get(a.agency_id)))  # fmt: skip
    rank(out)
    return sorted(out, key=lambda s: (str(s.level), s.rank, s.name))
