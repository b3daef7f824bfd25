"""``Store``: the one door to the SQLite file (documents, versions, reports, cells, findings, reviews, runs).

Write paths use plain ``executemany`` on the connection inside :meth:`Store.transaction` (one
``BEGIN IMMEDIATE`` per document + report); :attr:`Store.db` is a ``sqlite_utils.Database`` over the
same connection for ad-hoc reads and tools.

Identity rules (see ``storage/schema.py`` for the tables):

* a document is its canonical URL; a version is (document, sha256 of the bytes): the same bytes
  twice are one version, the bytes themselves are stored once per hash however many documents
  share them;
* a report belongs to one document version; saving it again (a re-parse) updates that report in
  place (same id) and replaces its cells and findings;
* a finding's ``fingerprint`` (rule, where, agency, year) keys its review, so review decisions
  survive re-parses and re-crawls;
* one report per (agency, year) is ``current``: among reports read from their document's latest
  version, the one from the most recently discovered document (a corrected re-publication beats
  the original; an attachment found from its article page beats the page).  Reports lacking an
  agency or year are grouped per document instead.  Findings of non-current reports are kept with
  ``active = 0``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import itertools
import json
import os
import sqlite3
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import sqlite_utils

from nianbao import __version__
from nianbao.magic import sniff
from nianbao.model import Cell, DateEvidence, Finding, Report
from nianbao.storage import rectify
from nianbao.storage.places import is_region_code, province_of
from nianbao.storage.schema import REVIEW_STATUSES, configure, migrate

_LABEL_TO_STATUS = {label: key for key, label in REVIEW_STATUSES.items()}


@dataclass(frozen=True)
class DocumentRef:
    """What :meth:`Store.add_document` did: ``version_id`` is None for a failed fetch (4xx/5xx)."""

    document_id: int
    version_id: int | None
    sha256: str | None
    new_version: bool
    new_document: bool = False


# ---------------------------------------------------------------- pure helpers


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def to_iso(value: dt.datetime | dt.date | str | None) -> str | None:
    """Timestamps to UTC ISO text (naive datetimes are taken as UTC); strings pass through."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC).isoformat(timespec="seconds")
    return value.isoformat()


def to_ts(value: dt.datetime | str | None) -> str | None:
    """A fetch time as comparable UTC ISO text; ISO strings are normalised (naive = UTC)."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            return value
    return to_iso(value)


def to_date(value: dt.date | dt.datetime | str | None) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _json_default(obj: Any) -> Any:
    if isinstance(obj, bytes):
        return obj.decode("utf-8", "replace")
    if isinstance(obj, (dt.date, dt.datetime)):
        return obj.isoformat()
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    if hasattr(obj, "items"):
        return dict(obj.items())
    return str(obj)


def dumps(value: Any) -> str | None:
    """JSON text for a column (None stays NULL); Chinese kept readable."""
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, default=_json_default, sort_keys=False)


def loads(text: str | None, default: Any = None) -> Any:
    return default if text is None else json.loads(text)


def canonical_url(url: str) -> str:
    """Requested URL as a document key: no fragment, lower-case scheme/host, no default port.

    A bare path (no scheme) is a local file: ``file://`` + its absolute path.
    """
    url = url.strip()
    parts = urlsplit(url)
    if not parts.scheme or len(parts.scheme) == 1:  # "C:\..." is a path too
        return "file://" + str(Path(url).expanduser().resolve())
    scheme = parts.scheme.lower()
    netloc = parts.netloc.lower()
    if (scheme, netloc.rsplit(":", 1)[-1]) in {("http", "80"), ("https", "443")}:
        netloc = netloc.rsplit(":", 1)[0]
    path = parts.path or ("/" if netloc else "")
    return urlunsplit((scheme, netloc, path, parts.query, ""))


def _content_type(headers: dict | None) -> str | None:
    for key, value in (headers or {}).items():
        k = key.decode() if isinstance(key, bytes) else str(key)
        if k.lower() == "content-type":
            if isinstance(value, (list, tuple)):
                value = value[0] if value else None
            return value.decode("latin-1") if isinstance(value, bytes) else value
    return None


def _sniff(body: bytes) -> str | None:
    try:
        return sniff(body)
    except Exception:  # noqa: BLE001 - a sniffing bug must not lose a fetched document
        return None


# ---------------------------------------------------------------- the store


class Store:
    """Open (create, migrate) a nianbao SQLite file.  ``":memory:"`` gives a throwaway store."""

    def __init__(self, path: str | os.PathLike, *, busy_timeout_ms: int = 30_000) -> None:
        self.path = str(path)
        self.memory = self.path == ":memory:"
        if not self.memory:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        configure(self.conn, busy_timeout_ms=busy_timeout_ms, wal=not self.memory)
        self.schema_version = migrate(self.conn)
        self.db = sqlite_utils.Database(self.conn)
        self.files_dir: Path | None = None if self.memory else Path(self.path + ".files")
        self._lock = threading.RLock()
        self._savepoints = itertools.count()
        self._new_blobs: list[tuple[str, Path]] = []  # files written in the open transaction (sha, path)

    # -- plumbing ---------------------------------------------------------

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Store]:
        """One write transaction (``BEGIN IMMEDIATE``); nested calls become savepoints."""
        with self._lock:
            if self.conn.in_transaction:
                name = f"sp_{next(self._savepoints)}"
                self.conn.execute(f"SAVEPOINT {name}")
                try:
                    yield self
                except BaseException:
                    if self.conn.in_transaction:
                        self.conn.execute(f"ROLLBACK TO {name}")
                        self.conn.execute(f"RELEASE {name}")
                    raise
                self.conn.execute(f"RELEASE {name}")
                return
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                self._drop_orphan_blobs()
                raise
            self.conn.execute("COMMIT")
            self._drop_orphan_blobs()

    def _drop_orphan_blobs(self) -> None:
        """Remove blob files this transaction wrote whose row did not survive it (rolled back)."""
        written, self._new_blobs = self._new_blobs, []
        for sha, path in written:
            try:
                kept = self.conn.execute("SELECT 1 FROM blobs WHERE sha256 = ?", (sha,)).fetchone()
            except sqlite3.Error:
                kept = None
            if kept is None:
                with contextlib.suppress(OSError):
                    path.unlink()

    def query(self, sql: str, params: Any = ()) -> list[dict[str, Any]]:
        """Rows of a SELECT as dicts."""
        cur = self.conn.execute(sql, params)
        keys = [d[0] for d in cur.description]
        return [dict(zip(keys, row, strict=True)) for row in cur.fetchall()]

    def one(self, sql: str, params: Any = ()) -> dict[str, Any] | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    def counts(self) -> dict[str, int]:
        """Row count of every table (for summaries and tests)."""
        names = [r[0] for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {n: self.conn.execute(f'SELECT COUNT(*) FROM "{n}"').fetchone()[0] for n in sorted(names)}

    # -- agencies and sites ----------------------------------------------

    def upsert_agency(
        self,
        name: str,
        *,
        level: str | None = None,
        region: str | None = None,
        parent: str | None = None,
        url: str | None = None,
        kind: str | None = None,
        prefecture: str | None = None,
        county: str | None = None,
    ) -> int:
        """Id of the agency named ``name``, created if new; given fields overwrite, None keeps."""
        name = name.strip()
        if not name:
            raise ValueError("agency name is empty")
        region_code = region.strip() if region and is_region_code(region) else None
        region_name = region.strip() if region and not region_code else None
        province = province_of(region, name) if (region or name) else None
        with self.transaction():
            parent_id = self.upsert_agency(parent) if parent and parent.strip() != name else None
            now = now_iso()
            self.conn.execute(
                """INSERT INTO agencies (name, kind, level, region_code, region_name, parent_id, url,
                       province, prefecture, county, created_at, updated_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (name) DO UPDATE SET
                       kind = COALESCE(excluded.kind, kind),
                       level = COALESCE(excluded.level, level),
                       region_code = COALESCE(excluded.region_code, region_code),
                       region_name = COALESCE(excluded.region_name, region_name),
                       parent_id = COALESCE(excluded.parent_id, parent_id),
                       url = COALESCE(excluded.url, url),
                       province = COALESCE(excluded.province, province),
                       prefecture = COALESCE(excluded.prefecture, prefecture),
                       county = COALESCE(excluded.county, county),
                       updated_at = CASE WHEN excluded.kind IS NOT NULL OR excluded.level IS NOT NULL
                           OR excluded.region_code IS NOT NULL OR excluded.region_name IS NOT NULL
                           OR excluded.parent_id IS NOT NULL OR excluded.url IS NOT NULL
                           THEN excluded.updated_at ELSE updated_at END""",
                (
                    name,
                    kind,
                    level,
                    region_code,
                    region_name,
                    parent_id,
                    url,
                    province,
                    prefecture,
                    county,
                    now,
                    now,
                ),
            )
            return self.conn.execute("SELECT id FROM agencies WHERE name = ?", (name,)).fetchone()[0]

    def agency(self, name_or_id: str | int) -> dict[str, Any] | None:
        col = "id" if isinstance(name_or_id, int) else "name"
        return self.one(f"SELECT * FROM agencies WHERE {col} = ?", (name_or_id,))

    def upsert_site(
        self,
        url: str,
        *,
        agency: str | None = None,
        template: str | None = None,
        hints: dict | None = None,
        level: str | None = None,
        region: str | None = None,
        parent: str | None = None,
    ) -> int:
        """Register a portal from the site list (and its agency); returns the site id."""
        with self.transaction():
            agency_id = (
                self.upsert_agency(agency, level=level, region=region, parent=parent, url=url)
                if agency
                else None
            )
            now = now_iso()
            self.conn.execute(
                """INSERT INTO sites (url, agency_id, template, hints, created_at, updated_at)
                   VALUES (?, ?, ?, ?, ?, ?)
                   ON CONFLICT (url) DO UPDATE SET agency_id = COALESCE(excluded.agency_id, agency_id),
                       template = COALESCE(excluded.template, template),
                       hints = COALESCE(excluded.hints, hints), updated_at = excluded.updated_at""",
                (url, agency_id, template, dumps(hints), now, now),
            )
            return self.conn.execute("SELECT id FROM sites WHERE url = ?", (url,)).fetchone()[0]

    # -- documents and bytes -----------------------------------------------

    def _blob_path(self, sha256: str) -> str:
        return f"{sha256[:2]}/{sha256[2:4]}/{sha256}"

    def _put_blob(self, body: bytes, sha256: str) -> None:
        """Store bytes once per hash: a file under ``files_dir`` (atomic rename), or inline."""
        rel = None
        if self.files_dir is not None:
            rel = self._blob_path(sha256)
            target = self.files_dir / rel
            if not target.is_file() or target.stat().st_size != len(body):
                target.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
                try:
                    with os.fdopen(fd, "wb") as fh:
                        fh.write(body)
                    os.replace(tmp, target)
                    self._new_blobs.append((sha256, target))
                except BaseException:
                    with contextlib.suppress(OSError):
                        os.unlink(tmp)
                    raise
        self.conn.execute(
            "INSERT OR IGNORE INTO blobs (sha256, size, path, data, created_at) VALUES (?, ?, ?, ?, ?)",
            (sha256, len(body), rel, None if rel else body, now_iso()),
        )

    def read_blob(self, sha256: str) -> bytes:
        row = self.one("SELECT path, data FROM blobs WHERE sha256 = ?", (sha256,))
        if row is None:
            raise KeyError(f"no blob {sha256}")
        if row["path"] is None:
            return row["data"]
        assert self.files_dir is not None
        return (self.files_dir / row["path"]).read_bytes()

    def version_body(self, version_id: int) -> bytes:
        row = self.one("SELECT sha256 FROM document_versions WHERE id = ?", (version_id,))
        if row is None:
            raise KeyError(f"no document version {version_id}")
        return self.read_blob(row["sha256"])

    def _ensure_document(self, url: str, *, seen_at: str, **fields: Any) -> tuple[int, bool, str]:
        """(id, created, first_seen) of the document for a canonical URL; updates hints and last_seen."""
        row = self.conn.execute("SELECT id, first_seen FROM documents WHERE url = ?", (url,)).fetchone()
        cols = ("site", "agency_hint", "link_text", "list_date", "referrer", "run_id")
        values = [fields.get(c) for c in cols]
        if row is None:
            cur = self.conn.execute(
                f"INSERT INTO documents (url, first_seen, last_seen, {', '.join(cols)}) "
                f"VALUES (?, ?, ?, {', '.join('?' * len(cols))})",
                (url, seen_at, seen_at, *values),
            )
            return cur.lastrowid, True, seen_at
        sets = ", ".join(
            f"{c} = COALESCE({c}, ?)" if c == "run_id" else f"{c} = COALESCE(?, {c})" for c in cols
        )
        self.conn.execute(
            f"UPDATE documents SET first_seen = MIN(first_seen, ?), last_seen = MAX(last_seen, ?), {sets} "
            "WHERE id = ?",
            (seen_at, seen_at, *values, row[0]),
        )
        return row[0], False, min(row[1], seen_at)

    def add_document(
        self,
        url: str,
        body: bytes | None,
        *,
        final_url: str | None = None,
        status: int | None = 200,
        headers: dict | None = None,
        content_type: str | None = None,
        fetched_at: dt.datetime | str | None = None,
        referrer: str | None = None,
        link_text: str | None = None,
        list_date: dt.date | str | None = None,
        agency_hint: str | None = None,
        site: str | None = None,
        run_id: int | None = None,
    ) -> DocumentRef:
        """Record one fetch of ``url``.  Same bytes again = same version (``new_version`` False).

        A 404/410 (or any fetch without a body) records the fetch and, for 404/410, marks the
        document removed; it creates no version.  A later successful fetch clears the removal.
        """
        key = canonical_url(url)
        at = to_ts(fetched_at) or now_iso()
        with self.transaction():
            doc_id, created, _ = self._ensure_document(
                key,
                seen_at=at,
                site=site,
                agency_hint=agency_hint,
                link_text=link_text,
                list_date=to_iso(list_date),
                referrer=referrer,
                run_id=run_id,
            )
            failed = body is None or (status is not None and status >= 400)
            if failed:
                removed = status in (404, 410)
                self.conn.execute(
                    "UPDATE documents SET last_status = ?, "
                    "removed_at = CASE WHEN ? THEN COALESCE(removed_at, ?) ELSE removed_at END WHERE id = ?",
                    (status, removed, at, doc_id),
                )
                self.conn.execute(
                    "INSERT INTO fetches (document_id, version_id, run_id, fetched_at, status, final_url) "
                    "VALUES (?, NULL, ?, ?, ?, ?)",
                    (doc_id, run_id, at, status, final_url),
                )
                return DocumentRef(doc_id, None, None, False, created)
            sha = hashlib.sha256(body).hexdigest()
            self._put_blob(body, sha)
            row = self.conn.execute(
                "SELECT id FROM document_versions WHERE document_id = ? AND sha256 = ?", (doc_id, sha)
            ).fetchone()
            if row is None:
                cur = self.conn.execute(
                    """INSERT INTO document_versions (document_id, sha256, size, content_type, format,
                           final_url, status, headers, fetched_at, last_fetched_at, run_id)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    (
                        doc_id,
                        sha,
                        len(body),
                        content_type or _content_type(headers),
                        _sniff(body),
                        final_url,
                        status,
                        dumps(headers),
                        at,
                        at,
                        run_id,
                    ),
                )
                version_id, new_version = cur.lastrowid, True
            else:
                version_id, new_version = row[0], False
                self.conn.execute(
                    "UPDATE document_versions SET fetched_at = MIN(fetched_at, ?), "
                    "last_fetched_at = MAX(last_fetched_at, ?) WHERE id = ?",
                    (at, at, version_id),
                )
            self.conn.execute(
                """UPDATE documents SET last_status = ?, removed_at = NULL,
                       current_version_id = (SELECT id FROM document_versions WHERE document_id = ?
                                             ORDER BY last_fetched_at DESC, id DESC LIMIT 1)
                   WHERE id = ?""",
                (status, doc_id, doc_id),
            )
            self.conn.execute(
                "INSERT INTO fetches (document_id, version_id, run_id, fetched_at, status, final_url) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (doc_id, version_id, run_id, at, status, final_url),
            )
            if not new_version and not created:
                # an older version fetched again is the current one now: re-pick current reports
                for r in self.query(
                    "SELECT agency, year, is_report, document_id FROM reports WHERE document_id = ?",
                    (doc_id,),
                ):
                    self._refresh_current(r["agency"], r["year"], r["is_report"], r["document_id"])
        return DocumentRef(doc_id, version_id, sha, new_version, created)

    # -- reports -------------------------------------------------------------

    def save_report(
        self,
        report: Report,
        *,
        version_id: int | None = None,
        agency_hint: str | None = None,
        first_seen: dt.date | dt.datetime | str | None = None,
        run_id: int | None = None,
        level: str | None = None,
        region: str | None = None,
        kind: str | None = None,
        province: str | None = None,
        deadline: dt.date | None = None,
    ) -> int:
        """Store a report, one row per cell and its findings; returns the report id.

        ``kind``, ``province`` and ``deadline`` are the intake's (``nianbao.intake.filing``): the store
        records them and the days late, it does not work them out.

        Idempotent per document version: saving again replaces that report's cells and findings
        (reviews, keyed by fingerprint, are untouched).  Without ``version_id`` the report is
        keyed by its URL (or source) as a document without stored bytes.
        """
        agency = (report.agency or agency_hint or "").strip() or None
        agency_source = report.agency_source or ("hint" if agency and not report.agency else None)
        year = report.year
        parsed_at = now_iso()
        with self.transaction():
            if version_id is not None:
                doc = self.one(
                    "SELECT d.id, d.first_seen, d.agency_hint FROM document_versions v "
                    "JOIN documents d ON d.id = v.document_id WHERE v.id = ?",
                    (version_id,),
                )
                if doc is None:
                    raise ValueError(f"no document version {version_id}")
                doc_id, doc_first_seen = doc["id"], doc["first_seen"]
                if agency is None and doc["agency_hint"]:
                    agency, agency_source = doc["agency_hint"], "hint"
            else:
                doc_id, _, doc_first_seen = self._ensure_document(
                    canonical_url(report.url or report.source),
                    seen_at=parsed_at,
                    agency_hint=agency_hint,
                    run_id=run_id,
                )

            # level/region describe the report's (attributed) agency, e.g. from its site-list row
            agency_row: dict[str, Any] = {}
            agency_id = None
            if agency:
                agency_id = self.upsert_agency(agency, level=level, region=region)
                agency_row = self.agency(agency_id) or {}
            level = level or agency_row.get("level")
            region = region or agency_row.get("region_code") or agency_row.get("region_name")
            province = province or agency_row.get("province") or province_of(region, agency)
            kind = kind or agency_row.get("kind") or report.agency_kind
            days_late = (report.published - deadline).days if (deadline and report.published) else None
            seen = to_date(first_seen) or to_date(doc_first_seen)

            if version_id is not None:
                old = self.one(
                    "SELECT id, agency, year, is_report FROM reports WHERE version_id = ?", (version_id,)
                )
            else:
                old = self.one(
                    "SELECT id, agency, year, is_report FROM reports "
                    "WHERE document_id = ? AND version_id IS NULL",
                    (doc_id,),
                )
            row = {
                "document_id": doc_id,
                "version_id": version_id,
                "agency_id": agency_id,
                "agency": agency,
                "agency_source": agency_source,
                "agency_kind": kind,
                "level": level,
                "region": region,
                "province": province,
                "year": year,
                "layout": report.layout,
                "is_report": int(report.is_report),
                "title": report.title,
                "url": report.url,
                "source": report.source,
                "published": to_iso(report.published),
                "published_source": report.published_source,
                "dates": dumps(
                    [{"date": d.date.isoformat(), "source": d.source, "text": d.text} for d in report.dates]
                ),
                "first_seen": to_iso(seen),
                "deadline": to_iso(deadline),
                "days_late": days_late,
                "read_by": report.read_by,
                "sections": dumps(report.sections),
                "text": report.text,
                "notes": dumps(report.notes),
                "errors": dumps(report.errors),
                "n_cells": sum(1 for _ in report.cells()),
                "n_findings": len(report.findings),
                "parser_version": __version__,
                "parsed_at": parsed_at,
                "run_id": run_id,
            }
            first_flagged: dict[str, str] = {}
            fps = [f.fingerprint(agency, year) for f in report.findings]
            if fps:
                marks = ",".join("?" * len(set(fps)))
                first_flagged = dict(
                    self.conn.execute(
                        f"SELECT fingerprint, MIN(created_at) FROM findings WHERE fingerprint IN ({marks}) "
                        "GROUP BY fingerprint",
                        sorted(set(fps)),
                    ).fetchall()
                )
            if old is None:
                cols = ", ".join(row)
                cur = self.conn.execute(
                    f"INSERT INTO reports ({cols}, current) VALUES ({', '.join('?' * len(row))}, 0)",
                    tuple(row.values()),
                )
                report_id = cur.lastrowid
            else:
                report_id = old["id"]
                self.conn.execute(
                    f"UPDATE reports SET current = 0, {', '.join(f'{c} = ?' for c in row)} WHERE id = ?",
                    (*row.values(), report_id),
                )
                self.conn.execute("DELETE FROM cells WHERE report_id = ?", (report_id,))
                self.conn.execute("DELETE FROM findings WHERE report_id = ?", (report_id,))

            self.conn.executemany(
                "INSERT OR REPLACE INTO cells (report_id, tbl, row_key, col_key, value, raw, status, "
                "confidence, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (report_id, t, r, c, cell.value, cell.raw, cell.status, cell.confidence, cell.note)
                    for t, r, c, cell in report.cells()
                ],
            )
            self.conn.executemany(
                """INSERT INTO findings (report_id, document_id, agency_id, agency, year, fingerprint, rule,
                       severity, location, expected, actual, message, evidence, created_at, updated_at,
                       run_id, active) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)""",
                [
                    (
                        report_id,
                        doc_id,
                        agency_id,
                        agency,
                        year,
                        fp,
                        f.rule,
                        f.severity,
                        f.where,
                        dumps(f.expected),
                        dumps(f.actual),
                        f.message,
                        f.evidence,
                        first_flagged.get(fp, parsed_at),
                        parsed_at,
                        run_id,
                    )
                    for f, fp in zip(report.findings, fps, strict=True)
                ],
            )
            if old is not None and (old["agency"], old["year"], old["is_report"]) != (
                agency,
                year,
                row["is_report"],
            ):
                self._refresh_current(old["agency"], old["year"], old["is_report"], doc_id)
            self._refresh_current(agency, year, row["is_report"], doc_id)
            if agency_id is not None and year is not None and self.one("SELECT 1 AS x FROM rectifications LIMIT 1"):
                rectify.reassess(self, agency_id=agency_id, year=year)  # a corrected version: 已整改 by itself
        return report_id

    def _refresh_current(
        self, agency: str | None, year: int | None, is_report: int, document_id: int
    ) -> None:
        """Re-pick the one current report of a group: (agency, year), or a document's stray reports."""
        order = """ORDER BY (r.version_id IS NULL OR r.version_id = d.current_version_id) DESC,
                        d.first_seen DESC, COALESCE(v.last_fetched_at, r.parsed_at) DESC, r.id DESC"""
        base = """SELECT r.id FROM reports r JOIN documents d ON d.id = r.document_id
                  LEFT JOIN document_versions v ON v.id = r.version_id"""
        if is_report and agency is not None and year is not None:
            ids = [
                i
                for (i,) in self.conn.execute(
                    f"{base} WHERE r.agency = ? AND r.year = ? AND r.is_report = 1 {order}", (agency, year)
                )
            ]
        else:
            ids = [
                i
                for (i,) in self.conn.execute(
                    f"{base} WHERE r.document_id = ? AND NOT (r.is_report = 1 AND r.agency IS NOT NULL "
                    f"AND r.year IS NOT NULL) {order}",
                    (document_id,),
                )
            ]
        if not ids:
            return
        marks = ",".join("?" * len(ids))
        self.conn.execute(f"UPDATE reports SET current = 0 WHERE id IN ({marks}) AND id != ?", (*ids, ids[0]))
        self.conn.execute("UPDATE reports SET current = 1 WHERE id = ?", (ids[0],))
        self.conn.execute(
            "UPDATE findings SET active = "
            "(SELECT current FROM reports WHERE reports.id = findings.report_id) "
            f"WHERE report_id IN ({marks})",
            ids,
        )

    # -- reading reports back ----------------------------------------------------

    def load_report(self, report_id: int) -> Report:
        """Rebuild a :class:`Report` (cells, findings, metadata) from the store."""
        r = self.one("SELECT * FROM reports WHERE id = ?", (report_id,))
        if r is None:
            raise KeyError(f"no report {report_id}")
        report = Report(
            source=r["source"] or "",
            is_report=bool(r["is_report"]),
            agency=r["agency"],
            agency_source=r["agency_source"],
            agency_kind=r["agency_kind"],
            title=r["title"],
            year=r["year"],
            layout=r["layout"],
            published=to_date(r["published"]),
            published_source=r["published_source"],
            dates=[
                DateEvidence(to_date(d["date"]), d["source"], d.get("text", ""))
                for d in loads(r["dates"], [])
            ],
            url=r["url"],
            sections=loads(r["sections"], {}),
            text=r["text"] or "",
            read_by=r["read_by"] or "text",
            notes=loads(r["notes"], []),
            errors=loads(r["errors"], []),
        )
        for c in self.query(
            "SELECT tbl, row_key, col_key, value, raw, status, confidence, note "
            "FROM cells WHERE report_id = ?",
            (report_id,),
        ):
            report.table(c["tbl"]).setdefault(c["row_key"], {})[c["col_key"]] = Cell(
                c["value"], c["raw"] or "", c["status"], c["confidence"], c["note"]
            )
        report.findings = [
            Finding(
                f["rule"],
                f["severity"],
                f["location"],
                f["message"],
                loads(f["expected"]),
                loads(f["actual"]),
                f["evidence"] or "",
            )
            for f in self.query("SELECT * FROM findings WHERE report_id = ? ORDER BY id", (report_id,))
        ]
        return report

    def current_report_id(self, agency: str, year: int) -> int | None:
        row = self.one(
            "SELECT id FROM reports WHERE agency = ? AND year = ? AND is_report = 1 AND current = 1",
            (agency, year),
        )
        return row["id"] if row else None

    def previous_report(self, agency: str, year: int) -> Report | None:
        """The agency's current report for ``year - 1`` (carry-over, stock and copy rules)."""
        rid = self.current_report_id(agency, year - 1)
        return self.load_report(rid) if rid is not None else None

    def reports_of_year(self, year: int, *, exclude_agency: str | None = None) -> list[dict[str, Any]]:
        """Current reports of a year (id, agency, document sha) for cross-agency comparisons."""
        return self.query(
            """SELECT r.id, r.agency, r.level, v.sha256 FROM reports r
               LEFT JOIN document_versions v ON v.id = r.version_id
               WHERE r.year = ? AND r.current = 1 AND r.is_report = 1 AND r.agency IS NOT ?""",
            (year, exclude_agency),
        )

    # -- reviews -----------------------------------------------------------------

    def set_review(
        self, fingerprint: str, status: str, *, reviewer: str | None = None, note: str | None = None
    ) -> None:
        """Record a decision on a finding (``pending``/``confirmed``/``dismissed`` or 待审核/已确认/已驳回)."""
        status = _LABEL_TO_STATUS.get(status, status)
        if status not in REVIEW_STATUSES:
            raise ValueError(f"unknown review status {status!r}; use one of {', '.join(REVIEW_STATUSES)}")
        at = now_iso()
        with self.transaction():
            prev = self.one("SELECT status FROM reviews WHERE fingerprint = ?", (fingerprint,))
            self.conn.execute(
                """INSERT INTO reviews (fingerprint, status, reviewer, note, updated_at)
                   VALUES (?, ?, ?, ?, ?)
                   ON CONFLICT (fingerprint) DO UPDATE SET status = excluded.status,
                       reviewer = excluded.reviewer,
                       note = excluded.note, updated_at = excluded.updated_at""",
                (fingerprint, status, reviewer, note, at),
            )
            self.conn.execute(
                "INSERT INTO review_history (fingerprint, status, previous_status, reviewer, note, at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (fingerprint, status, prev["status"] if prev else None, reviewer, note, at),
            )

    def review(self, fingerprint: str) -> dict[str, Any]:
        """The decision on a fingerprint; ``pending`` when nobody has decided."""
        row = self.one("SELECT * FROM reviews WHERE fingerprint = ?", (fingerprint,))
        return row or {
            "fingerprint": fingerprint,
            "status": "pending",
            "reviewer": None,
            "note": None,
            "updated_at": None,
        }

    # -- runs ----------------------------------------------------------------------

    def start_run(self, kind: str, params: dict | None = None) -> int:
        with self.transaction():
            cur = self.conn.execute(
                "INSERT INTO runs (kind, status, started_at, params) VALUES (?, 'running', ?, ?)",
                (kind, now_iso(), dumps(params or {})),
            )
            return cur.lastrowid

    def finish_run(self, run_id: int, stats: dict | None = None, *, status: str = "finished") -> None:
        with self.transaction():
            self.conn.execute(
                "UPDATE runs SET finished_at = ?, stats = ?, status = ? WHERE id = ?",
                (now_iso(), dumps(stats or {}), status, run_id),
            )

    def record_run_site(
        self,
        run_id: int,
        site: str,
        *,
        stats: dict | None = None,
        health: str | None = None,
        agency: str | None = None,
    ) -> None:
        """Per-site outcome of a run (upsert: call it as often as the site's figures change)."""
        with self.transaction():
            self.conn.execute(
                """INSERT INTO run_sites (run_id, site, agency, stats, health, updated_at)
                   VALUES (?, ?, ?, ?, ?, ?)
                   ON CONFLICT (run_id, site) DO UPDATE SET agency = COALESCE(excluded.agency, agency),
                       stats = COALESCE(excluded.stats, stats), health = COALESCE(excluded.health, health),
                       updated_at = excluded.updated_at""",
                (run_id, site, agency, dumps(stats), health, now_iso()),
            )

    def run(self, run_id: int) -> dict[str, Any] | None:
        row = self.one("SELECT * FROM runs WHERE id = ?", (run_id,))
        if row:
            row["params"], row["stats"] = loads(row["params"], {}), loads(row["stats"], {})
        return row

    # -- monitoring (history findings, plan state, conditional requests) ------------

    def save_history_findings(
        self, items: list[Any], *, rules: Any, run_id: int | None = None
    ) -> dict[str, list[str]]:
        """Replace the stored findings of the history ``rules`` with ``items``; say what is new.

        ``items`` are ``nianbao.rules.history.HistoryFinding``-like (``finding``, ``agency``, ``year``,
        ``report_id``, ``document``).  Fingerprints keep their first ``created_at`` and their
        reviews; a finding on a non-current report is stored inactive.  Returns
        ``{"new": [...], "kept": [...], "resolved": [...]}`` fingerprints.
        """
        rules = sorted(set(rules))
        marks = ",".join("?" * len(rules))
        now = now_iso()
        with self.transaction():
            before = dict(
                self.conn.execute(
                    f"SELECT fingerprint, MIN(created_at) FROM findings WHERE rule IN ({marks}) GROUP BY fingerprint",
                    rules,
                ).fetchall()
            )
            self.conn.execute(f"DELETE FROM findings WHERE rule IN ({marks})", rules)
            rows, seen = [], set()
            for it in items:
                f = it.finding
                fp = f.fingerprint(it.agency, it.year)
                key = (fp, it.report_id)
                if key in seen:
                    continue
                seen.add(key)
                doc_id, active = None, 1
                if it.report_id is not None:
                    r = self.one("SELECT document_id, current FROM reports WHERE id = ?", (it.report_id,))
                    if r is None:
                        continue
                    doc_id, active = r["document_id"], r["current"]
                elif it.document:
                    d = self.one("SELECT id FROM documents WHERE url = ?", (canonical_url(it.document),))
                    doc_id = d["id"] if d else None
                agency_id = None
                if it.agency:
                    a = self.one("SELECT id FROM agencies WHERE name = ?", (it.agency,))
                    agency_id = a["id"] if a else None
                rows.append((it.report_id, doc_id, agency_id, it.agency, it.year, fp, f.rule, f.severity, f.where,
                             dumps(f.expected), dumps(f.actual), f.message, f.evidence, before.get(fp, now), now,
                             run_id, active))  # fmt: skip
            self.conn.executemany(
                """INSERT INTO findings (report_id, document_id, agency_id, agency, year, fingerprint, rule,
                       severity, location, expected, actual, message, evidence, created_at, updated_at,
                       run_id, active) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                rows,
            )
            for rid in {r[0] for r in rows if r[0] is not None}:
                self.conn.execute(
                    "UPDATE reports SET n_findings = (SELECT COUNT(*) FROM findings WHERE report_id = ?) WHERE id = ?",
                    (rid, rid),
                )
        now_fps = {r[5] for r in rows}
        return {
            "new": sorted(now_fps - set(before)),
            "kept": sorted(now_fps & set(before)),
            "resolved": sorted(set(before) - now_fps),
        }

    def plan_state(self, plan: str) -> dict[str, Any] | None:
        """The scheduler's record of a plan (last run start/end/status), or None if it never ran."""
        row = self.one("SELECT * FROM plan_state WHERE plan = ?", (plan,))
        if row:
            row["details"] = loads(row["details"], {})
        return row

    def set_plan_state(self, plan: str, **fields: Any) -> None:
        """Upsert a plan's state; ``runs`` is incremented when ``last_run_at`` is given."""
        allowed = {"last_run_at", "last_finished_at", "last_status", "last_run_id", "details"}
        bad = set(fields) - allowed
        if bad:
            raise ValueError(f"unknown plan_state fields: {', '.join(sorted(bad))}")
        values = {k: (dumps(v) if k == "details" else to_iso(v) if k.endswith("_at") else v) for k, v in fields.items()}
        with self.transaction():
            self.conn.execute(
                "INSERT INTO plan_state (plan, updated_at) VALUES (?, ?) ON CONFLICT (plan) DO NOTHING",
                (plan, now_iso()),
            )
            sets = ", ".join(f"{k} = ?" for k in values)
            bump = ", runs = runs + 1" if "last_run_at" in values else ""
            self.conn.execute(
                f"UPDATE plan_state SET updated_at = ?{', ' + sets if sets else ''}{bump} WHERE plan = ?",
                (now_iso(), *values.values(), plan),
            )

    def last_fetch(self, url: str) -> dict[str, Any] | None:
        """The current version of ``url``'s document: id, sha256, headers (dict), content type, final URL."""
        row = self.one(
            """SELECT d.id AS document_id, v.id AS version_id, v.sha256, v.headers, v.content_type, v.final_url,
                      v.status, d.removed_at,
                      EXISTS (SELECT 1 FROM reports r WHERE r.version_id = v.id) AS has_report
               FROM documents d JOIN document_versions v ON v.id = d.current_version_id WHERE d.url = ?""",
            (canonical_url(url),),
        )
        if row:
            row["headers"] = loads(row["headers"], {}) or {}
        return row
