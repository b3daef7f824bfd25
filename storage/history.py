"""The history rules' view of the store: :class:`StoreHistory` (``nianbao.rules.histories.History``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from nianbao.model import AgencyInfo, Removal, Report, StoredReport
from nianbao.storage.store import Store, to_date

KindOf = Callable[[str, "str | None"], "str | None"]


class StoreHistory:
    """A History over a ``nianbao.storage.Store`` (read-only; reports loaded lazily and cached)."""

    def __init__(self, store: Store, kind_of: KindOf | None = None) -> None:
        """``kind_of(name, level)`` guesses the kind of an agency the store does not know the kind of
        (``nianbao.rules.deadlines.publisher_kind``; given by the caller: storage does not import rules)."""
        self.store = store
        self.kind_of = kind_of
        self._cache: dict[int, Report] = {}

    def _load(self, report_id: int) -> Report:
        if report_id not in self._cache:
            self._cache[report_id] = self.store.load_report(report_id)
        return self._cache[report_id]

    def _stored(self, row: dict) -> StoredReport:
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
            if kind is None and self.kind_of is not None:
                kind = self.kind_of(r["name"], r["level"])
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
