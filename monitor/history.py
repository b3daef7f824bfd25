"""What the history rules may know about earlier crawls: the :class:`History` interface.

Two implementations: :class:`StoreHistory` reads a ``nianbao.storage.Store`` (the only door to the
SQLite file); :class:`MemoryHistory` is filled by hand (tests, the sandbox's own reports).
The rules in ``nianbao.rules.history`` are pure functions of a ``History``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal, Protocol

from nianbao.model import Report


@dataclass(frozen=True)
class AgencyInfo:
    """An agency as the store knows it; ``watched``: it has a portal in the site list."""

    name: str
    kind: str | None = None  # government | department | township
    level: str | None = None
    province: str | None = None
    parent: str | None = None
    region: str | None = None
    watched: bool = True


@dataclass
class StoredReport:
    """One reading of one version of a document, with where it came from."""

    report: Report
    agency: str
    year: int
    report_id: int | None = None
    document: str | None = None  # canonical URL of the document read
    version: int = 1  # 1 = first version of that document
    fetched_at: str | None = None  # when this version was first fetched
    first_seen: dt.date | None = None


@dataclass(frozen=True)
class Removal:
    """A report seen before that is gone: ``gone`` (404/410) or ``unlisted`` (no longer linked)."""

    stored: StoredReport
    how: Literal["gone", "unlisted"]
    status: int | None = None
    since: str | None = None


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


# ---------------------------------------------------------------- in memory


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


# ---------------------------------------------------------------- over the store


class StoreHistory:
    """A History over a ``nianbao.storage.Store`` (read-only; reports loaded lazily and cached)."""

    def __init__(self, store) -> None:  # nianbao.storage.Store (not imported: keeps this module light)
        self.store = store
        self._cache: dict[int, Report] = {}

    def _load(self, report_id: int) -> Report:
        if report_id not in self._cache:
            self._cache[report_id] = self.store.load_report(report_id)
        return self._cache[report_id]

    def _stored(self, row: dict) -> StoredReport:
        from nianbao.storage.store import to_date

        return StoredReport(self._load(row["id"]), row["agency"], row["year"], report_id=row["id"],
                            document=row.get("url"), version=row.get("version") or 1,
                            fetched_at=row.get("fetched_at"), first_seen=to_date(row.get("first_seen")))

    def agencies(self) -> list[AgencyInfo]:
        rows = self.store.query(
            """SELECT a.name, a.kind, a.level, a.province, a.region_code, a.region_name, p.name AS parent,
                      EXISTS (SELECT 1 FROM sites s WHERE s.agency_id = a.id) AS watched,
                      (SELECT r.agency_kind FROM reports r WHERE r.agency_id = a.id AND r.agency_kind IS NOT NULL
                       LIMIT 1) AS report_kind
               FROM agencies a LEFT JOIN agencies p ON p.id = a.parent_id ORDER BY a.id"""
        )
        out = []
        governments = {}
        for r in rows:
            kind = r["kind"] or r["report_kind"]
            if kind is None:
                from nianbao.rules.deadlines import publisher_kind

                kind = publisher_kind(r["name"], r["level"])
            r["kind"] = kind
            if kind == "government" and r["region_code"]:
                governments.setdefault(r["region_code"], r["name"])
        for r in rows:
            parent = r["parent"]
            if parent is None and r["kind"] != "government" and r["region_code"]:
                parent = governments.get(r["region_code"])  # same region code: the county's government
            out.append(AgencyInfo(r["name"], r["kind"], r["level"], r["province"], parent,
                                  r["region_code"] or r["region_name"], bool(r["watched"])))
        return out

    _CURRENT = """SELECT r.id, r.agency, r.year, r.first_seen, d.url, v.fetched_at,
                  (SELECT COUNT(*) FROM document_versions v2 WHERE v2.document_id = r.document_id
                   AND v2.id <= r.version_id) AS version FROM reports r
                  JOIN documents d ON d.id = r.document_id LEFT JOIN document_versions v ON v.id = r.version_id
                  WHERE r.current = 1 AND r.is_report = 1 AND r.agency IS NOT NULL AND r.year IS NOT NULL"""

    def reports(self, year: int | None = None) -> list[StoredReport]:
        if year is None:
            rows = self.store.query(self._CURRENT + " ORDER BY r.id")
        else:
            rows = self.store.query(self._CURRENT + " AND r.year = ? ORDER BY r.id", (year,))
        return [self._stored(r) for r in rows]

    def report(self, agency: str, year: int) -> StoredReport | None:
        rows = self.store.query(self._CURRENT + " AND r.agency = ? AND r.year = ?", (agency, year))
        return self._stored(rows[0]) if rows else None

    def versions(self) -> Iterable[list[StoredReport]]:
        rows = self.store.query(
            """SELECT r.id, r.agency, r.year, r.first_seen, d.url, v.fetched_at, r.document_id FROM reports r
               JOIN documents d ON d.id = r.document_id JOIN document_versions v ON v.id = r.version_id
               WHERE r.is_report = 1 AND r.agency IS NOT NULL AND r.year IS NOT NULL AND r.document_id IN (
                   SELECT document_id FROM reports WHERE version_id IS NOT NULL
                   GROUP BY document_id HAVING COUNT(*) > 1)
               ORDER BY r.document_id, v.fetched_at, v.id"""
        )
        groups: dict[int, list[dict]] = {}
        for r in rows:
            groups.setdefault(r["document_id"], []).append(r)
        for readings in groups.values():
            if len(readings) > 1:
                for i, r in enumerate(readings, start=1):
                    r["version"] = i
                yield [self._stored(r) for r in readings]

    def removals(self) -> list[Removal]:
        gone = self.store.query(
            self._CURRENT.replace("SELECT r.id,", "SELECT d.last_status, d.removed_at, r.id,")
            + " AND d.removed_at IS NOT NULL"
        )
        out = [Removal(self._stored(r), "gone", r["last_status"], r["removed_at"]) for r in gone]
        # not fetched by the latest finished crawl that fetched anything from the document's site, nor by
        # the killed runs it resumed (a resumed crawl skips the reports they stored)
        unlisted = self.store.query(
            """WITH last AS (
                   SELECT d.site, MAX(f.run_id) AS run_id FROM fetches f JOIN documents d ON d.id = f.document_id
                   JOIN runs ru ON ru.id = f.run_id
                   WHERE ru.kind = 'crawl' AND ru.status = 'finished' AND d.site IS NOT NULL GROUP BY d.site)
               SELECT r.id, r.agency, r.year, r.first_seen, d.url, v.fetched_at, d.last_seen FROM reports r
               JOIN documents d ON d.id = r.document_id LEFT JOIN document_versions v ON v.id = r.version_id
               JOIN last ON last.site = d.site JOIN runs lr ON lr.id = last.run_id
               WHERE r.current = 1 AND r.is_report = 1 AND r.agency IS NOT NULL AND r.year IS NOT NULL
                 AND d.removed_at IS NULL
                 AND NOT EXISTS (SELECT 1 FROM fetches f WHERE f.document_id = d.id AND (f.run_id = last.run_id
                     OR f.run_id IN (SELECT value FROM json_each(COALESCE(lr.params, '{}'), '$.resumes'))))
                 AND EXISTS (SELECT 1 FROM fetches f WHERE f.document_id = d.id AND f.run_id < last.run_id)"""
        )
        out += [Removal(self._stored(r), "unlisted", None, r["last_seen"]) for r in unlisted]
        return out
