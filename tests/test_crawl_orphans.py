"""SIGKILL of the crawler's main process alone: no helper process outlives it, and ``--resume`` recovers.

The OOM killer or an operator kills one pid, not the process group.  The crawl's forkserver,
resource tracker and parse workers must notice and exit; the resumed crawl must end with the
store of an uninterrupted crawl, close the killed run as interrupted, count what the killed run
saw and raise no REPORT_REMOVED that the uninterrupted crawl does not.
"""

from __future__ import annotations

import contextlib
import os
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
from tests.test_reliability_resume import snapshot

pytestmark = pytest.mark.slow

SEED, SIZE = 11, 2
CRAWL = {"NIANBAO_BROWSER": "False", "AUTOTHROTTLE_ENABLED": "False", "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
         "NIANBAO_CRAWL_DELAY_ENABLED": "False", "RETRY_BACKOFF_BASE": "0.1", "LOG_LEVEL": "ERROR",
         "NIANBAO_PARSE_WORKERS": "2"}


def _cmd(sites: Path, db: Path, resume: bool) -> list[str]:
    cmd = [sys.executable, "-m", "nianbao.cli", "crawl", "--sites", str(sites), "--db", str(db), "--quiet"]
    for k, v in CRAWL.items():
        cmd += ["-s", f"{k}={v}"]
    return cmd + (["--resume"] if resume else [])


def _count_reports(db: Path) -> int:
    if not db.exists():
        return 0
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT COUNT(*) FROM reports").fetchone()[0]
    except sqlite3.OperationalError:
        return 0
    finally:
        con.close()


def group_members(pgid: int) -> list[tuple[int, str]]:
    """Live (not zombie) processes of process group ``pgid``, with their command lines."""
    out = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if int(stat[2]) == pgid and stat[0] != "Z":
            out.append((int(pid), cmd[:120]))
    return out


def _audit(db: Path) -> list[tuple[str, str]]:
    from nianbao.monitor.audit import audit_store
    from nianbao.storage.store import Store

    with Store(db) as store:
        found = audit_store(store)
    return sorted((f.finding.rule, f.finding.expected or "") for f in found.findings
                  if f.finding.rule == "REPORT_REMOVED")


@pytest.fixture(scope="module")
def crawls(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("orphans")
    net = generate(SEED, SIZE)
    sites = tmp / "sites.csv"
    sites.write_text(net.sites_csv(departments=True), encoding="utf-8")
    ref, killed = tmp / "ref.db", tmp / "killed.db"
    with running(net) as proxy:
        env = proxy_env(proxy)
        done = subprocess.run(_cmd(sites, ref, False), env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        total = _count_reports(ref)
        proc = subprocess.Popen(_cmd(sites, killed, False), env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            deadline = time.monotonic() + 120
            while proc.poll() is None and time.monotonic() < deadline and _count_reports(killed) < total // 3:
                time.sleep(0.02)
            assert proc.poll() is None, "the crawl ended before the kill point"
            before = group_members(proc.pid)
            os.kill(proc.pid, signal.SIGKILL)  # the main pid only, as the OOM killer does
            proc.wait(timeout=30)
            time.sleep(10)
            left = group_members(proc.pid)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # whatever is left, so the test leaves nothing
        stored = _count_reports(killed)
        final = subprocess.run(_cmd(sites, killed, True), env=env, capture_output=True, text=True, timeout=300)
    con = sqlite3.connect(killed)
    runs = con.execute("SELECT id, status FROM runs WHERE kind = 'crawl' ORDER BY id").fetchall()
    con.close()
    return {"ref": ref, "killed": killed, "before": before, "left": left, "final": final, "runs": runs,
            "stored": stored, "total": total}


@pytest.mark.timeout(900)
def test_no_helper_process_outlives_the_main_pid(crawls):
    assert len(crawls["before"]) > 1, crawls["before"]  # there were helpers (forkserver, workers)
    assert crawls["left"] == [], crawls["left"]
    assert 0 < crawls["stored"] < crawls["total"]


@pytest.mark.timeout(900)
def test_resume_after_main_pid_kill_gives_the_uninterrupted_store(crawls):
    assert crawls["final"].returncode == 0, crawls["final"].stderr[-2000:]
    ref, got = snapshot(crawls["ref"]), snapshot(crawls["killed"])
    for key in ("documents", "reports", "cells", "findings"):
        assert got[key] == ref[key], key
    assert got["integrity"] == "ok"


@pytest.mark.timeout(900)
def test_killed_run_closed_as_interrupted_and_resume_counts_it(crawls):
    assert [s for _, s in crawls["runs"]] == ["interrupted", "finished"], crawls["runs"]
    con = sqlite3.connect(crawls["killed"])
    health = dict(con.execute("SELECT site, health FROM run_sites WHERE run_id = ?", (crawls["runs"][-1][0],)))
    ref = sqlite3.connect(crawls["ref"])
    want = dict(ref.execute("SELECT site, health FROM run_sites WHERE run_id = (SELECT MAX(id) FROM runs)"))
    con.close()
    ref.close()
    assert health == want  # a resumed run's healthy portals are not 「栏目为空」
    assert _audit(crawls["killed"]) == _audit(crawls["ref"])  # no REPORT_REMOVED from the resume


def descendants(root: int) -> set[int]:
    """Live processes whose parent chain leads to ``root`` (Chromium runs in its own process group)."""
    parent = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if stat[0] != "Z":
            parent[int(pid)] = int(stat[1])
    out = set()
    for pid in parent:
        q = pid
        while q in parent and q > 1:
            if q == root:
                out.add(pid)
                break
            q = parent[q]
    return out


def _alive(pids: set[int]) -> list[tuple[int, str]]:
    out = []
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if stat[0] != "Z":
            out.append((pid, cmd[:120]))
    return out


@pytest.mark.browser
@pytest.mark.timeout(600)
def test_chromium_goes_with_the_main_pid(tmp_path):
    net = generate(SEED, 3)
    site = next(s for s in net.ground_truth()["sites"] if s["template"] == "jscolumn")
    sites = tmp_path / "sites.csv"
    sites.write_text(f"agency,url,level,render\n{site['agency']},{site['url']},county,always\n", encoding="utf-8")
    db = tmp_path / "b.db"
    cmd = [a.replace("NIANBAO_BROWSER=False", "NIANBAO_BROWSER=True") for a in _cmd(sites, db, False)]
    with running(net) as proxy:
        proc = subprocess.Popen(cmd, env=proxy_env(proxy), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        helpers: set[int] = set()
        try:
            deadline = time.monotonic() + 300
            while proc.poll() is None and time.monotonic() < deadline and _count_reports(db) < 2:
                time.sleep(0.05)
            assert proc.poll() is None, "the crawl ended before the kill point"
            helpers = descendants(proc.pid)
            chromium = [p for p, c in _alive(helpers) if "chromium" in c]
            assert chromium, "Chromium was running"
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
            time.sleep(10)
            left = _alive(helpers)
        finally:
            for pid in helpers:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
    assert left == [], left
