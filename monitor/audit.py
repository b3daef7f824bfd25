"""Run the history rules over a store and save their findings (the glue between rules and storage)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from nianbao.rules import history as hrules
from nianbao.rules.deadlines import publisher_kind
from nianbao.storage.history import StoreHistory


@dataclass
class HistoryAudit:
    """What one pass of the history rules found: every finding, and which fingerprints are new."""

    findings: list[hrules.HistoryFinding]
    new: list[str] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)

    @property
    def by_rule(self) -> Counter:
        return Counter(f.finding.rule for f in self.findings)

    def new_findings(self) -> list[hrules.HistoryFinding]:
        fresh = set(self.new)
        return [f for f in self.findings if f.fingerprint in fresh]

    def summary(self) -> dict[str, Any]:
        return {"history_findings": len(self.findings), "new": len(self.new), "resolved": len(self.resolved),
                "by_rule": dict(self.by_rule)}


def audit_store(store, *, today: dt.date | None = None, settings: dict | None = None,
                run_id: int | None = None) -> HistoryAudit:
    """Every history rule over ``store``; their stored findings are replaced by this pass's."""
    items = hrules.audit_history(StoreHistory(store, publisher_kind), today=today, settings=settings)
    result = store.save_history_findings(items, rules=hrules.RULES, run_id=run_id)
    return HistoryAudit(items, result["new"], result["resolved"])
