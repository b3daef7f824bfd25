"""SIGKILL a real crawl at seeded random moments, ``--resume`` it, and end with the uninterrupted store.

A reference crawl runs to the end; a second crawl of the same network is killed (SIGKILL, no
chance to clean up) at least five times at random points and resumed each time, then resumed
to completion.  Both stores must hold the same documents, reports, cells and findings, and
``PRAGMA integrity_check`` must be clean.
"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nianbao.sandbox.demo import proxy_env
from nianbao.sandbox.network import generate
from nianbao.sandbox.server import running

pytestmark = pytest.mark.slow

SEED, SIZE = 11, 2
KILLS = 6
CRAWL = {"NIANBAO_BROWSER": "False", "AUTOTHROTTLE_ENABLED": "False", "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
         "NIANBAO_CRAWL_DELAY_ENABLED": "False", "RETRY_BACKOFF_BASE": "0.1", "LOG_LEVEL": "ERROR"}


def _cmd(sites: Path, db: Path, resume: bool) -> list[str]:
    cmd = [sys.executable, "-m", "nianbao.cli", "crawl", "--sites", str(sites), "--db", str(db), "--quiet"]
    for k, v in CRAWL.items():
        cmd += ["-s", f"{k}={v}"]
    return cmd + (["--resume"] if resume else [])


def snapshot(db: Path) -> dict[str, object]:
    """What a crawl leaves that matters: documents and their bytes, reports, cells, active findings."""
    con = sqlite3.connect(db)
    try:
        docs = sorted(con.execute(
            "SELECT d.url, v.sha256 FROM document_versions v JOIN documents d ON d.id = v.document_id"))
        reports = sorted(con.execute(
            """SELECT d.url, v.sha256, r.agency, r.year, r.is_report, r.current, r.n_cells, r.published
               FROM reports r JOIN documents d ON d.id = r.document_id
               JOIN document_versions v ON v.id = r.version_id"""))
        cells = hashlib.sha256(repr(sorted(con.execute(
            """SELECT d.url, c.tbl, c.row_key, c.col_key, c.value, c.status FROM cells c
               JOIN reports r ON r.id = c.report_id JOIN documents d ON d.id = r.document_id"""))).encode()).hexdigest()
        findings = sorted(con.execute("SELECT fingerprint, rule FROM findings WHERE active = 1"))
        integrity = con.execute("PRAGMA integrity_check").fetchone()[0]
        fk = con.execute("PRAGMA foreign_key_check").fetchall()
    finally:
        con.close()
    return {"documents": docs, "reports": reports, "cells": cells, "findings": findings,
            "integrity": integrity, "foreign_keys": fk}


def _count_reports(db: Path) -> int:
    if not db.exists():
        return 0
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT COUNT(*) FROM reports").fetchone()[0]
    except sqlite3.OperationalError:  # killed before the schema was written
        return 0
    finally:
        con.close()


@pytest.fixture(scope="module")
def crawls(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("resume")
    net = generate(SEED, SIZE)
    sites = tmp / "sites.csv"
    sites.write_text(net.sites_csv(departments=True), encoding="utf-8")
    ref, killed = tmp / "ref.db", tmp / "killed.db"
    rng = random.Random(f"reliability/kill/{SEED}")
    kills: list[float] = []
    stored: list[int] = []  # reports in the store right after each kill
    with running(net) as proxy:
        env = proxy_env(proxy)
        t0 = time.monotonic()
        done = subprocess.run(_cmd(sites, ref, False), env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        full = time.monotonic() - t0
        t0 = time.monotonic()
        total = _count_reports(ref)
        # kill points: seeded random numbers of stored reports, reached one after another
        targets = sorted(rng.sample(range(1, total), KILLS))
        for i, target in enumerate(targets):
            proc = subprocess.Popen(_cmd(sites, killed, i > 0), env=env, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL, start_new_session=True)
            deadline = time.monotonic() + 120
            while proc.poll() is None and time.monotonic() < deadline and _count_reports(killed) < target:
                time.sleep(0.02)
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)  # the crawler and its parsing workers, no cleanup
                proc.wait(timeout=30)
                kills.append(round(time.monotonic() - t0, 2))
                stored.append(_count_reports(killed))
        final = subprocess.run(_cmd(sites, killed, True), env=env, capture_output=True, text=True, timeout=300)
    return {"ref": snapshot(ref), "killed": snapshot(killed), "kills": kills, "final": final, "full": full,
            "stored": stored}


@pytest.mark.timeout(900)
def test_killed_five_times_at_random_points(crawls):
    assert len(crawls["kills"]) >= KILLS, crawls["kills"]
    total = len(crawls["ref"]["reports"])
    # every kill landed in the middle of storing (some reports in, not all)
    assert all(0 < n < total for n in crawls["stored"]), (crawls["stored"], total)
    assert crawls["final"].returncode == 0, crawls["final"].stderr[-2000:]


@pytest.mark.timeout(900)
def test_resumed_store_is_the_uninterrupted_store(crawls):
    ref, got = crawls["ref"], crawls["killed"]
    assert ref["reports"], "the reference crawl found reports"
    for key in ("documents", "reports", "cells", "findings"):
        assert got[key] == ref[key], key


@pytest.mark.timeout(900)
def test_integrity_check_is_clean(crawls):
    for name in ("ref", "killed"):
        assert crawls[name]["integrity"] == "ok", name
        assert crawls[name]["foreign_keys"] == [], name
