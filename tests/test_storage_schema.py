"""Migrations, pragmas and reopening of a real SQLite file."""

from __future__ import annotations

import sqlite3

import pytest

from nianbao.storage import Store
from nianbao.storage.schema import MIGRATIONS, configure, migrate, schema_version

EXPECTED_TABLES = {
    "agencies",
    "sites",
    "blobs",
    "documents",
    "document_versions",
    "fetches",
    "runs",
    "run_sites",
    "reports",
    "cells",
    "findings",
    "reviews",
    "review_history",
    "schema_migrations",
}


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_new_file_is_migrated_with_wal_and_foreign_keys(tmp_path):
    path = tmp_path / "sub" / "n.db"
    store = Store(path)
    assert path.is_file()
    assert store.schema_version == len(MIGRATIONS)
    assert EXPECTED_TABLES <= _tables(store.conn)
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert store.conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
    names = [r["name"] for r in store.query("SELECT name FROM schema_migrations ORDER BY version")]
    assert names == [name for name, _ in MIGRATIONS]
    store.close()


def test_reopen_is_idempotent_and_keeps_data(tmp_path):
    path = tmp_path / "n.db"
    with Store(path) as s:
        s.upsert_agency("鞍山市人民政府", level="city", region="210300")
    with Store(path) as s:
        assert s.schema_version == len(MIGRATIONS)
        assert s.query("SELECT COUNT(*) AS n FROM schema_migrations")[0]["n"] == len(MIGRATIONS)
        assert s.agency("鞍山市人民政府")["province"] == "辽宁省"


def test_later_migration_applies_on_reopen_and_failed_one_rolls_back(tmp_path):
    path = tmp_path / "n.db"
    Store(path).close()
    conn = sqlite3.connect(path, isolation_level=None)
    configure(conn)

    def add_note(c):
        c.execute("ALTER TABLE reports ADD COLUMN reviewer_note TEXT")

    def broken(c):
        c.execute("CREATE TABLE half_done (x)")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        migrate(conn, [*MIGRATIONS, ("note", add_note), ("broken", broken)])
    assert schema_version(conn) == len(MIGRATIONS)  # all-or-nothing
    assert "half_done" not in _tables(conn)
    assert migrate(conn, [*MIGRATIONS, ("note", add_note)]) == len(MIGRATIONS) + 1
    cols = {r[1] for r in conn.execute("PRAGMA table_info(reports)")}
    assert "reviewer_note" in cols
    conn.close()
    with pytest.raises(RuntimeError, match="newer"):
        Store(path)  # this code knows fewer migrations than the file has


def test_foreign_keys_enforced(tmp_path):
    with Store(tmp_path / "n.db") as s, pytest.raises(sqlite3.IntegrityError):
        s.conn.execute(
            "INSERT INTO cells (report_id, tbl, row_key, col_key, value, status) "
            "VALUES (999, 'a', 'b', 'c', 1, 'ok')"
        )


def test_review_history_is_append_only(tmp_path):
    with Store(tmp_path / "n.db") as s:
        s.set_review("abc", "confirmed", reviewer="王")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            s.conn.execute("DELETE FROM review_history")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            s.conn.execute("UPDATE review_history SET status = 'dismissed'")
