"""What the history rules may know about earlier crawls: the :class:`History` protocol.

Two implementations: :class:`nianbao.storage.history.StoreHistory` reads the store (the only door
to the SQLite file); :class:`MemoryHistory` here is filled by hand (tests, the sandbox's own
reports).  The rules in :mod:`nianbao.rules.history` are pure functions of a ``History``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal, Protocol

from nianbao.model import AgencyInfo, Removal, Report, StoredReport

__all__ = ["AgencyInfo", "History", "MemoryHistory", "Removal", "StoredReport"]


class History(Protocol):
    def agencies(self) -> list[AgencyInfo]:
        """Every agency known (watched or found issuing reports)."""
        ...

    def reports(self, year: int | None = None) -> list[StoredReport]:
        """The current report of each (agency, year), optionally of one year."""
        ...

    def report(self, agency: str, year: int) -> StoredReport | None:
        """The current report of ``agency`` for ``year``."""
        ...

    def versions(self) -> Iterable[list[StoredReport]]:
        """Per document read more than once with different bytes: its readings, oldest first."""
        ...

    def removals(self) -> list[Removal]:
        """Current reports whose document is gone or no longer listed."""
        ...


@dataclass
class MemoryHistory:
    """A History filled by hand: ``add_agency``, ``add_report`` (again for a new version), ``remove``."""

    _agencies: dict[str, AgencyInfo] = field(default_factory=dict)
    _docs: dict[str, list[StoredReport]] = field(default_factory=dict)
    _removed: dict[str, tuple[str, int | None]] = field(default_factory=dict)

    def add_agency(self, name: str, **info: object) -> AgencyInfo:
        a = AgencyInfo(name, **info)  # type: ignore[arg-type]
        self._agencies[name] = a
        return a

    def add_report(self, report: Report, *, document: str | None = None, agency: str | None = None,
                   fetched_at: str | None = None, report_id: int | None = None) -> StoredReport:
        """Add a reading; the same ``document`` again is its next version (and becomes current)."""
        agency = agency or report.agency
        if not agency or report.year is None:
            raise ValueError("a stored report needs an agency and a year")
        document = document or report.url or f"mem://{agency}/{report.year}"
        if agency not in self._agencies:
            self.add_agency(agency, watched=False)
        readings = self._docs.setdefault(document, [])
        s = StoredReport(report, agency, report.year, report_id=report_id, document=document,
                         version=len(readings) + 1, fetched_at=fetched_at)
        readings.append(s)
        return s

    def remove(self, document: str, how: Literal["gone", "unlisted"] = "gone", status: int | None = 404) -> None:
        self._removed[document] = (how, status)

    def agencies(self) -> list[AgencyInfo]:
        return list(self._agencies.values())

    def _current(self) -> dict[tuple[str, int], StoredReport]:
        out: dict[tuple[str, int], StoredReport] = {}
        for readings in self._docs.values():
            last = readings[-1]
            if last.report.is_report:
                out[(last.agency, last.year)] = last  # a later document beats an earlier one
        return out

    def reports(self, year: int | None = None) -> list[StoredReport]:
        return [s for (_, y), s in self._current().items() if year is None or y == year]

    def report(self, agency: str, year: int) -> StoredReport | None:
        return self._current().get((agency, year))

    def versions(self) -> Iterable[list[StoredReport]]:
        return [list(r) for r in self._docs.values() if len(r) > 1]

    def removals(self) -> list[Removal]:
        current = {s.document: s for s in self._current().values()}
        return [Removal(current[d], how, status) for d, (how, status) in self._removed.items() if d in current]


