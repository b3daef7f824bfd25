"""One intake path: a crawl, a distributed crawl and ``nianbao ingest`` store the same reports and
findings for the same documents, and a rule setting reaches the rules in all three.

The setting is ``NIANBAO_RULE_LATE_GRACE_DAYS`` (days after the deadline still on time): with a
grace of ten years no report is late, so the LATE_PUBLICATION findings the same documents carry
without it disappear from every path alike.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from nianbao.distributed.compare import differences, snapshot
from nianbao.sandbox.harness import Cluster
from nianbao.sandbox.network import generate
from nianbao.sandbox.server import running
from nianbao.storage.store import Store

pytestmark = [pytest.mark.slow, pytest.mark.redis]

SEED, SIZE = 23, 2
GRACE = {"NIANBAO_RULE_LATE_GRACE_DAYS": "3650"}
FAST = {"AUTOTHROTTLE_ENABLED": "False", "NIANBAO_BROWSER": "False"}


def _late(db: Path) -> int:
    with Store(db) as s:
        return s.one("SELECT COUNT(*) AS n FROM findings WHERE rule = 'LATE_PUBLICATION'")["n"]


def _html_pages(db: Path) -> list[dict]:
    """The stored reports read from their own page (no attachment): what ``ingest`` can be given alone."""
    with Store(db) as s:
        rows = s.query(
            "SELECT d.url, v.sha256, a.name AS site_agency, a.level, a.region_code FROM reports r "
            "JOIN documents d ON d.id = r.document_id JOIN document_versions v ON v.id = r.version_id "
            "JOIN sites s ON s.url = d.site JOIN agencies a ON a.id = s.agency_id "
            "WHERE r.is_report = 1 AND r.read_by = 'html' AND r.agency = a.name"
        )
        return [{**r, "body": s.read_blob(r["sha256"])} for r in rows]


def _ingest(pages: list[dict], work: Path, db: Path, settings: dict[str, str]) -> None:
    for i, p in enumerate(pages):
        f = work / f"{i}.html"
        f.write_bytes(p["body"])
        cmd = [sys.executable, "-m", "nianbao.cli", "ingest", str(f), "--db", str(db), "--agency", p["site_agency"],
               "--level", p["level"], "--region", p["region_code"], "--url", p["url"]]  # fmt: skip
        for k, v in settings.items():
            cmd += ["-s", f"{k}={v}"]
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)


def _only(snap: dict, urls: set[str]) -> dict:
    keep = {k for k in snap["reports"] if k[2] in urls}
    return {"reports": keep, "cells": {k: snap["cells"][k] for k in keep},
            "findings": {k: snap["findings"][k] for k in keep}}  # fmt: skip


def test_crawl_distributed_and_ingest_store_the_same_and_obey_rule_settings(redis_url, tmp_path):
    net = generate(SEED, SIZE)
    sites = tmp_path / "sites.csv"
    sites.write_text(net.sites_csv(), encoding="utf-8")
    with running(net) as proxy:
        c = Cluster(redis_url, tmp_path, proxy=proxy, job="intake", env_extra=dict(GRACE))
        try:
            args = ["crawl", "--sites", str(sites), "--db", str(tmp_path / "crawl.db"), "--quiet"]
            for k, v in FAST.items():
                args += ["-s", f"{k}={v}"]
            c.wait([c.spawn("single", args)], 600)
            procs = [c.crawler("crawl0", sites, FAST), c.worker("worker0"), c.store(tmp_path / "dist.db")]
            c.wait(procs, 600)
        finally:
            c.stop()
    crawl, dist = snapshot(tmp_path / "crawl.db"), snapshot(tmp_path / "dist.db")
    assert len(crawl["reports"]) > 20
    assert differences(crawl, dist) == []

    pages = _html_pages(tmp_path / "crawl.db")
    assert len(pages) >= 10
    (tmp_path / "in").mkdir()
    _ingest(pages, tmp_path / "in", tmp_path / "ingest.db", GRACE)
    urls = {p["url"] for p in pages}
    assert differences(_only(crawl, urls), snapshot(tmp_path / "ingest.db")) == []

    # the setting changed findings: without it, the same documents carry LATE_PUBLICATION
    _ingest(pages, tmp_path / "in", tmp_path / "default.db", {})
    assert _late(tmp_path / "default.db") > 0
    assert _late(tmp_path / "crawl.db") == _late(tmp_path / "dist.db") == _late(tmp_path / "ingest.db") == 0
