"""The browser path (real Chromium) and resuming a crawl killed with SIGKILL."""

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

from nianbao.sandbox.demo import DEMO_SETTINGS, crawl_subprocess, proxy_env
from nianbao.sandbox.truth import compare
from nianbao.storage import exports

SEED = 11


@pytest.fixture(scope="module")
def network():
    from nianbao.sandbox.network import generate

    return generate(SEED, 3)  # static, trs, jscolumn


def _report_set(db: Path) -> set[tuple]:
    from nianbao.storage.store import Store

    with Store(db) as store:
        return {(r["agency"], r["year"], r["url"], r["published"]) for r in exports.export_reports(store)}


@pytest.mark.browser
def test_js_only_column_through_chromium(network, proxy, tmp_path):
    """The JS-only template rendered by Chromium (site policy render=always) yields every report."""
    site = next(s for s in network.ground_truth()["sites"] if s["template"] == "jscolumn")
    sites = tmp_path / "sites.csv"
    sites.write_text(f"agency,url,level,render\n{site['agency']},{site['url']},county,always\n", encoding="utf-8")
    db = tmp_path / "n.db"
    done = crawl_subprocess(sites, db, proxy, quiet=True, timeout=600)
    assert done.returncode == 0, done.stdout
    rendered = int(done.stdout.split("浏览器渲染 ")[1].split(" 页")[0])
    assert rendered > 0
    truth = network.ground_truth()
    truth["reports"] = [r for r in truth["reports"] if r["county"] == site["agency"]]
    from nianbao.storage.store import Store

    with Store(db) as store:
        cmp = compare(truth, exports.export_reports(store))
    assert cmp.recall >= 0.99, [m["url"] for m in cmp.missed]
    assert not cmp.decoys_stored and cmp.agency_accuracy == 1.0
    assert not [p for p in _chromium_children()], "every browser is closed at the end"


def _chromium_children() -> list[int]:
    """Chromium processes whose parent chain leads to this test process (none may survive a crawl)."""
    me = os.getpid()
    out = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
            stat = Path(f"/proc/{pid}/stat").read_text().split()
        except OSError:
            continue
        if b"chromium" in cmd and int(stat[3]) == me:
            out.append(int(pid))
    return out


def _stored_reports(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            return conn.execute("SELECT COUNT(*) FROM reports WHERE is_report = 1").fetchone()[0]
    except sqlite3.Error:
        return 0


@pytest.mark.slow
def test_sigkill_midway_then_resume_gives_the_same_reports(network, proxy, tmp_path):
    sites = tmp_path / "sites.csv"
    sites.write_text(network.sites_csv(), encoding="utf-8")

    full_db = tmp_path / "full.db"
    done = crawl_subprocess(sites, full_db, proxy, quiet=True, timeout=600)
    assert done.returncode == 0, done.stdout
    expected = _report_set(full_db)
    assert len(expected) > 30

    db = tmp_path / "killed.db"
    cmd = [sys.executable, "-m", "nianbao.cli", "crawl", "--sites", str(sites), "--db", str(db), "--quiet"]
    for s in DEMO_SETTINGS:
        cmd += ["-s", s]
    proc = subprocess.Popen(cmd, env=proxy_env(proxy), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        while _stored_reports(db) < len(expected) // 3 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert proc.poll() is None, "the crawl ended before it could be killed"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # the crawler, its parse workers and Chromium: no orphans
        proc.wait(timeout=30)
    partial = _report_set(db)
    assert 0 < len(partial) < len(expected)

    resumed = subprocess.run(cmd + ["--resume"], env=proxy_env(proxy), stdout=subprocess.PIPE, text=True,
                             timeout=600, check=False)  # fmt: skip
    assert resumed.returncode == 0
    assert "已从上次中断处继续" in resumed.stdout
    assert _report_set(db) == expected
