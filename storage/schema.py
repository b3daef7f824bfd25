"""The store's schema as an ordered list of migrations, applied on open.

``PRAGMA user_version`` holds how many migrations a database file has had; ``schema_migrations``
records each one's name and when it ran (for people).  A migration is a function of the open
connection; add new ones at the END of :data:`MIGRATIONS`, never edit an applied one.  All
pending migrations run in one ``BEGIN IMMEDIATE`` transaction, so two processes opening the
same new file at once cannot both apply them.

Conventions:

* timestamps are ISO 8601 text in UTC (``2025-01-20T10:00:00+00:00``), dates ISO ``YYYY-MM-DD``;
* JSON columns end in ``_json`` or are named for what they hold (``headers``, ``stats``, ...);
* column names avoid SQL keywords: the cell's table/row/column are ``tbl``/``row_key``/``col_key``,
  a finding's ``where`` is ``location``;
* raw document bytes live on disk, content-addressed (``blobs``), next to the database file in
  ``<db file>.files/ab/cd/<sha256>``; an in-memory store keeps them in ``blobs.data``.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable

from nianbao import labels

Migration = Callable[[sqlite3.Connection], None]

REVIEW_STATUSES = labels.STATUSES  # the review states of the findings (nianbao.labels)


def _m001_initial(conn: sqlite3.Connection) -> None:
    """Agencies, sites, documents and versions, blobs, reports, cells, findings, reviews, runs."""
    _run_script(
        conn,
        """
        CREATE TABLE agencies (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,          -- full name as written, e.g. 鞍山市立山区人民政府
            kind TEXT,                          -- government | department | township (deadline kind)
            level TEXT,                         -- province | city | county | township | department
            region_code TEXT,                   -- 6-digit 行政区划代码
            region_name TEXT,
            parent_id INTEGER REFERENCES agencies(id),
            url TEXT,
            province TEXT,
            prefecture TEXT,
            county TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX idx_agencies_region ON agencies(region_code);
        CREATE INDEX idx_agencies_parent ON agencies(parent_id);

        CREATE TABLE sites (
            id INTEGER PRIMARY KEY,
            url TEXT NOT NULL UNIQUE,
            agency_id INTEGER REFERENCES agencies(id),
            template TEXT,                      -- CMS family (trs, hanweb, gkmlpt, ...) when known
            hints TEXT,                         -- JSON: list-page URL, selectors, quirks
            enabled INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );

        CREATE TABLE blobs (
            sha256 TEXT PRIMARY KEY,
            size INTEGER NOT NULL,
            path TEXT,                          -- relative to the files folder; NULL when inline
            data BLOB,                          -- only for in-memory stores
            created_at TEXT NOT NULL
        );

        CREATE TABLE documents (
            id INTEGER PRIMARY KEY,
            url TEXT NOT NULL UNIQUE,           -- canonical requested URL (file:// for local files)
            site TEXT,
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            last_status INTEGER,
            removed_at TEXT,                    -- set on 404/410, cleared when it comes back
            current_version_id INTEGER,         -- the version fetched most recently
            agency_hint TEXT,
            link_text TEXT,
            list_date TEXT,
            referrer TEXT,
            run_id INTEGER                      -- run that first saw it
        );
        CREATE INDEX idx_documents_site ON documents(site);

        CREATE TABLE document_versions (
            id INTEGER PRIMARY KEY,
            document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            sha256 TEXT NOT NULL REFERENCES blobs(sha256),
            size INTEGER NOT NULL,
            content_type TEXT,
            format TEXT,                        -- nianbao.magic.sniff of the bytes
            final_url TEXT,
            status INTEGER,
            headers TEXT,                       -- JSON
            fetched_at TEXT NOT NULL,           -- first time these bytes were fetched
            last_fetched_at TEXT NOT NULL,      -- latest time these bytes were fetched
            run_id INTEGER,
            UNIQUE (document_id, sha256)
        );
        CREATE INDEX idx_versions_sha ON document_versions(sha256);

        CREATE TABLE fetches (                  -- append-only log of every fetch (history, removal)
            id INTEGER PRIMARY KEY,
            document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            version_id INTEGER REFERENCES document_versions(id) ON DELETE CASCADE,
            run_id INTEGER,
            fetched_at TEXT NOT NULL,
            status INTEGER,
            final_url TEXT
        );
        CREATE INDEX idx_fetches_document ON fetches(document_id, fetched_at);
        CREATE INDEX idx_fetches_run ON fetches(run_id);

        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,                 -- crawl | ingest | reparse | monitor | ...
            status TEXT NOT NULL DEFAULT 'running',  -- running | finished | failed
            started_at TEXT NOT NULL,
            finished_at TEXT,
            params TEXT,                        -- JSON
            stats TEXT                          -- JSON
        );
        CREATE INDEX idx_runs_kind ON runs(kind, started_at);

        CREATE TABLE run_sites (
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            site TEXT NOT NULL,
            agency TEXT,
            stats TEXT,                         -- JSON: pages, documents, errors, seconds, ...
            health TEXT,                        -- ok | degraded | unreachable | blocked | ...
            updated_at TEXT NOT NULL,
            PRIMARY KEY (run_id, site)
        );

        CREATE TABLE reports (
            id INTEGER PRIMARY KEY,
            document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            version_id INTEGER REFERENCES document_versions(id) ON DELETE CASCADE,
            agency_id INTEGER REFERENCES agencies(id),
            agency TEXT,                        -- as attributed (report, else hint)
            agency_source TEXT,                 -- title | signature | meta | hint
            agency_kind TEXT,                   -- publisher kind used for the deadline
            level TEXT,
            region TEXT,
            province TEXT,
            year INTEGER,
            layout TEXT,
            is_report INTEGER NOT NULL,
            title TEXT,
            url TEXT,
            source TEXT,
            published TEXT,
            published_source TEXT,
            dates TEXT,                         -- JSON list of {date, source, text}
            first_seen TEXT,                    -- date the crawler first saw the document
            deadline TEXT,                      -- the deadline LATE_PUBLICATION uses
            days_late INTEGER,                  -- published - deadline (<= 0: on time)
            read_by TEXT,
            sections TEXT,                      -- JSON {"1": text, ...}
            text TEXT,
            notes TEXT,                         -- JSON list
            errors TEXT,                        -- JSON list
            n_cells INTEGER NOT NULL DEFAULT 0,
            n_findings INTEGER NOT NULL DEFAULT 0,
            parser_version TEXT,
            parsed_at TEXT NOT NULL,
            run_id INTEGER,
            current INTEGER NOT NULL DEFAULT 0  -- the one report that counts for (agency, year)
        );
        CREATE UNIQUE INDEX idx_reports_version ON reports(version_id) WHERE version_id IS NOT NULL;
        CREATE INDEX idx_reports_document ON reports(document_id);
        CREATE INDEX idx_reports_agency_year ON reports(agency, year);
        CREATE INDEX idx_reports_agency_id ON reports(agency_id, year);
        CREATE INDEX idx_reports_year ON reports(year, current);
        CREATE UNIQUE INDEX idx_reports_current ON reports(agency, year)
            WHERE current = 1 AND is_report = 1 AND agency IS NOT NULL AND year IS NOT NULL;

        CREATE TABLE cells (
            report_id INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
            tbl TEXT NOT NULL,                  -- disclosure | applications | appeals
            row_key TEXT NOT NULL,
            col_key TEXT NOT NULL,
            value NUMERIC,
            raw TEXT,
            status TEXT NOT NULL,               -- ok | blank | unreadable
            confidence REAL,
            note TEXT,
            PRIMARY KEY (report_id, tbl, row_key, col_key)
        ) WITHOUT ROWID;

        CREATE TABLE findings (
            id INTEGER PRIMARY KEY,
            report_id INTEGER REFERENCES reports(id) ON DELETE CASCADE,  -- NULL: MISSING_REPORT etc.
            document_id INTEGER REFERENCES documents(id) ON DELETE CASCADE,
            agency_id INTEGER REFERENCES agencies(id),
            agency TEXT,
            year INTEGER,
            fingerprint TEXT NOT NULL,          -- Finding.fingerprint(agency, year): reviews key
            rule TEXT NOT NULL,
            severity TEXT NOT NULL,             -- error | warning | info
            location TEXT,                      -- Finding.where
            expected TEXT,                      -- JSON
            actual TEXT,                        -- JSON
            message TEXT,
            evidence TEXT,
            created_at TEXT NOT NULL,           -- first time this fingerprint fired on this report
            updated_at TEXT NOT NULL,
            run_id INTEGER,
            active INTEGER NOT NULL DEFAULT 1   -- belongs to a current report (or is store-level)
        );
        CREATE INDEX idx_findings_report ON findings(report_id);
        CREATE INDEX idx_findings_rule ON findings(rule, severity, active);
        CREATE INDEX idx_findings_severity ON findings(severity, active);
        CREATE INDEX idx_findings_fingerprint ON findings(fingerprint);
        CREATE INDEX idx_findings_agency_year ON findings(agency, year);

        CREATE TABLE reviews (
            fingerprint TEXT PRIMARY KEY,
            status TEXT NOT NULL CHECK (status IN ('pending', 'confirmed', 'dismissed')),
            reviewer TEXT,
            note TEXT,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX idx_reviews_status ON reviews(status);

        CREATE TABLE review_history (          -- append-only
            id INTEGER PRIMARY KEY,
            fingerprint TEXT NOT NULL,
            status TEXT NOT NULL,
            previous_status TEXT,
            reviewer TEXT,
            note TEXT,
            at TEXT NOT NULL
        );
        CREATE INDEX idx_review_history_fp ON review_history(fingerprint, at);
        CREATE TRIGGER review_history_no_update BEFORE UPDATE ON review_history
            BEGIN SELECT RAISE(ABORT, 'review_history is append-only'); END;
        CREATE TRIGGER review_history_no_delete BEFORE DELETE ON review_history
            BEGIN SELECT RAISE(ABORT, 'review_history is append-only'); END;
        """,
    )


def _run_script(conn: sqlite3.Connection, script: str) -> None:
    """Execute ``;``-separated statements one by one (``executescript`` would COMMIT first)."""
    buf = ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            conn.execute(buf)
            buf = ""
    if buf.strip():
        raise ValueError(f"incomplete SQL statement in migration: {buf.strip()[:80]}")


def _m002_workbench(conn: sqlite3.Connection) -> None:
    """Workbench: user accounts (scrypt hashes), per-database secrets (session signing key)."""
    _run_script(
        conn,
        """
        CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            role TEXT NOT NULL CHECK (role IN ('reviewer', 'readonly')),
            password_hash TEXT NOT NULL,        -- scrypt$n$r$p$salt_hex$hash_hex
            disabled INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            last_login_at TEXT
        );

        CREATE TABLE app_secrets (
            name TEXT PRIMARY KEY,              -- e.g. session_key
            value TEXT NOT NULL,
            created_at TEXT NOT NULL
        );

        -- overview rollups: covering indexes for the per-agency and per-rule counts
        CREATE INDEX idx_findings_rollup ON findings(active, year, agency_id, severity, rule, fingerprint);
        CREATE INDEX idx_reports_rollup ON reports(current, is_report, agency_id, year, days_late);
        """,
    )


def _m003_monitor(conn: sqlite3.Connection) -> None:
    """Monitoring: each schedule plan's last run (catch-up after downtime), history-finding lookups."""
    _run_script(
        conn,
        """
        CREATE TABLE plan_state (
            plan TEXT PRIMARY KEY,              -- schedules/<plan>.toml name
            last_run_at TEXT,                   -- when the plan's last run started (UTC ISO)
            last_finished_at TEXT,
            last_status TEXT,                   -- running | finished | failed
            last_run_id INTEGER,                -- runs.id of its monitor run
            runs INTEGER NOT NULL DEFAULT 0,
            details TEXT,                       -- JSON: summary of the last run
            updated_at TEXT NOT NULL
        );
        CREATE INDEX idx_findings_rule_report ON findings(rule, report_id);
        CREATE INDEX idx_fetches_run_document ON fetches(run_id, document_id);
        """,
    )


def _m004_sessions(conn: sqlite3.Connection) -> None:
    """Workbench security: server-side sessions, login throttling, auth events; the signing key
    leaves the database (it is now a key file beside it, or ``NIANBAO_SECRET_KEY``)."""
    _run_script(
        conn,
        """
        CREATE TABLE sessions (
            id TEXT PRIMARY KEY,                -- HMAC(key, cookie token): the token itself is not stored
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            created REAL NOT NULL,              -- epoch seconds (UTC)
            last_seen REAL NOT NULL,
            user_agent TEXT,
            client TEXT,                        -- client address at login
            data TEXT NOT NULL DEFAULT '{}',    -- JSON: csrf token, flash messages
            ended REAL,                         -- set when the session ends (logout, timeout, ...)
            ended_reason TEXT                   -- logout | idle | expired | password | disabled | reset
        );
        CREATE INDEX idx_sessions_user ON sessions(user_id, ended);

        CREATE TABLE login_throttle (
            key TEXT PRIMARY KEY,               -- user:<name> | client:<address>
            failures INTEGER NOT NULL DEFAULT 0,
            last_failure REAL,                  -- epoch seconds
            locked_until REAL
        );

        CREATE TABLE auth_events (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,                   -- UTC ISO
            event TEXT NOT NULL,                -- login | login_failed | throttled | locked | logout | ...
            user_name TEXT,
            client TEXT,
            detail TEXT
        );
        CREATE INDEX idx_auth_events_at ON auth_events(at);
        """,
    )
    # the old in-database signing key: overwritten on delete (secure_delete), not just unlinked
    conn.execute("PRAGMA secure_delete = ON")
    conn.execute("DELETE FROM app_secrets WHERE name = 'session_key'")


def _m005_rectification(conn: sqlite3.Connection) -> None:
    """整改 tracking: a confirmed finding notified with a deadline, then rectified or overdue."""
    _run_script(
        conn,
        """
        CREATE TABLE rectifications (
            fingerprint TEXT PRIMARY KEY,       -- findings.fingerprint (as reviews)
            state TEXT NOT NULL CHECK (state IN ('notified', 'rectified', 'overdue')),
            deadline TEXT,                      -- YYYY-MM-DD (Beijing date)
            notified_to TEXT,                   -- who was told (e.g. the agency's office)
            notified_by TEXT,
            notified_at TEXT,
            report_id INTEGER,                  -- the report that had the defect when notified
            resolved_report_id INTEGER,         -- the corrected report (both kept)
            resolved_at TEXT,
            evidence TEXT,                      -- JSON: old/new report ids and values
            updated_at TEXT NOT NULL
        );
        CREATE INDEX idx_rectifications_state ON rectifications(state);

        CREATE TABLE rectification_history (    -- append-only
            id INTEGER PRIMARY KEY,
            fingerprint TEXT NOT NULL,
            state TEXT NOT NULL,
            previous_state TEXT,
            by TEXT,
            note TEXT,
            at TEXT NOT NULL
        );
        CREATE INDEX idx_rectification_history_fp ON rectification_history(fingerprint);
        """,
    )


def _m006_accounts(conn: sqlite3.Connection) -> None:
    """Accounts: the 管理员 role (``admin``) and an optional region scope (a division code).

    SQLite cannot widen a CHECK constraint in place, so ``users`` is rebuilt; ``sessions`` (whose
    foreign key cascades from ``users``) is set aside first so that no live session is lost.
    """
    _run_script(
        conn,
        """
        CREATE TABLE users_new (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            role TEXT NOT NULL CHECK (role IN ('admin', 'reviewer', 'readonly')),
            password_hash TEXT NOT NULL,        -- scrypt$n$r$p$salt_hex$hash_hex
            disabled INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            last_login_at TEXT,
            region_code TEXT                    -- scope: sees only agencies in/below this division (NULL: all)
        );
        INSERT INTO users_new (id, name, role, password_hash, disabled, created_at, updated_at, last_login_at)
            SELECT id, name, role, password_hash, disabled, created_at, updated_at, last_login_at FROM users;
        CREATE TABLE sessions_keep AS SELECT * FROM sessions;
        DROP TABLE sessions;
        DROP TABLE users;
        ALTER TABLE users_new RENAME TO users;
        CREATE TABLE sessions (
            id TEXT PRIMARY KEY,                -- HMAC(key, cookie token): the token itself is not stored
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            created REAL NOT NULL,              -- epoch seconds (UTC)
            last_seen REAL NOT NULL,
            user_agent TEXT,
            client TEXT,                        -- client address at login
            data TEXT NOT NULL DEFAULT '{}',    -- JSON: csrf token, flash messages
            ended REAL,                         -- set when the session ends (logout, timeout, ...)
            ended_reason TEXT                   -- logout | idle | expired | password | disabled | reset
        );
        CREATE INDEX idx_sessions_user ON sessions(user_id, ended);
        INSERT INTO sessions SELECT * FROM sessions_keep;
        DROP TABLE sessions_keep;
        """,
    )


MIGRATIONS: list[tuple[str, Migration]] = [
    ("initial", _m001_initial),
    ("workbench", _m002_workbench),
    ("monitor", _m003_monitor),
    ("sessions", _m004_sessions),
    ("rectification", _m005_rectification),
    ("accounts", _m006_accounts),
]


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def configure(conn: sqlite3.Connection, *, busy_timeout_ms: int = 30_000, wal: bool = True) -> None:
    """Per-connection settings: WAL, foreign keys, busy timeout."""
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    if wal:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, migrations: list[tuple[str, Migration]] | None = None) -> int:
    """Apply pending migrations (all in one IMMEDIATE transaction); return the new version.

    ``conn`` must be in autocommit mode (``isolation_level=None``).  A file that is newer than
    this code (more migrations applied than known) is refused rather than silently misread.
    """
    migrations = MIGRATIONS if migrations is None else migrations
    if schema_version(conn) == len(migrations):
        return len(migrations)
    conn.execute("BEGIN IMMEDIATE")
    try:
        current = schema_version(conn)  # re-read under the write lock
        if current > len(migrations):
            raise RuntimeError(
                f"database schema version {current} is newer than this nianbao ({len(migrations)})"
            )
        if current < len(migrations):
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations "
                "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
        for version, (name, func) in enumerate(migrations[current:], start=current + 1):
            func(conn)
            conn.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                (version, name, _now()),
            )
            conn.execute(f"PRAGMA user_version = {version}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return schema_version(conn)
