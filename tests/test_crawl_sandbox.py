"""Real crawls over HTTP through the sandbox proxy: recall, precision, dates, attribution, exports.

The crawl runs as a user runs it (``python -m nianbao.cli crawl`` with ``http_proxy`` set) against
a generated network served by ``nianbao.sandbox.server.running`` in this process.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from nianbao.sandbox.demo import crawl_subprocess, proxy_env
from nianbao.sandbox.truth import compare
from nianbao.storage import exports

SEED, SIZE = 11, 6  # the first six portals cover every template (static, trs, jscolumn, guide, subsites, attachments)


@pytest.fixture(scope="module")
def network():
    from nianbao.sandbox.network import generate

    return generate(SEED, SIZE)


@pytest.fixture(scope="module")
def crawled(network, proxy, tmp_path_factory):
    """One full crawl of the network; the tests below read what it stored."""
    out = tmp_path_factory.mktemp("crawl")
    sites = out / "sites.csv"
    sites.write_text(network.sites_csv(), encoding="utf-8")
    db = out / "n.db"
    done = crawl_subprocess(sites, db, proxy, quiet=True, timeout=900)
    assert done.returncode == 0, done.stdout
    return db, done.stdout


def _reports(db: Path) -> list[dict]:
    from nianbao.storage.store import Store

    with Store(db) as store:
        return exports.export_reports(store)


def test_finds_the_reports_and_no_decoys(network, crawled):
    db, out = crawled
    truth = network.ground_truth()
    cmp = compare(truth, _reports(db))
    assert "抓取完成" in out
    assert cmp.recall >= 0.99, [m["url"] for m in cmp.missed]
    assert not cmp.decoys_stored
    assert not cmp.extra, [(r["agency"], r["year"], r["url"]) for r in cmp.extra]
    assert cmp.date_accuracy >= 0.98, cmp.date_wrong
    assert cmp.agency_accuracy == 1.0, cmp.agency_wrong
    assert not cmp.year_wrong


def test_decoys_are_never_stored_as_reports(network, crawled):
    """Decoy pages may be fetched as navigation, but no report row (of any kind) is theirs."""
    from nianbao.storage.store import Store

    db, _ = crawled
    decoys = {d["url"] for d in network.ground_truth()["decoys"]}
    with Store(db) as store:
        urls = {r["url"] for r in store.query("SELECT url FROM reports WHERE is_report = 1")}
    assert not urls & decoys


def test_every_template_and_format_was_reached(network, crawled):
    db, _ = crawled
    truth = network.ground_truth()
    found = {r["url"] for r in _reports(db)}
    by_template: dict[str, list[bool]] = {}
    for t in truth["reports"]:
        hit = bool({t["url"], t.get("page"), *t["attachments"]} & found)
        by_template.setdefault(t["template"], []).append(hit)
    assert set(by_template) == {"static", "trs", "jscolumn", "guide", "subsites", "attachments"}
    for template, hits in by_template.items():
        assert sum(hits) / len(hits) >= 0.97, template


def test_robots_and_errors_are_respected(network, crawled):
    """No request to a robots.txt-disallowed path; broken links and 500s do not stop the crawl."""
    truth = network.ground_truth()
    requested = set(network.requests)
    for site in truth["sites"]:
        for path in site["disallow"]:
            assert not any(u.startswith(f"http://{site['host']}{path}") for u in requested), path


def test_export_json_has_the_contract_fields(crawled):
    db, _ = crawled
    done = subprocess.run(
        [sys.executable, "-m", "nianbao.cli", "export", "reports", "--db", str(db), "--format", "json"],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert rows
    for key in ("agency", "year", "url", "published", "published_source", "first_seen", "deadline",
                "days_late", "layout", "findings"):  # fmt: skip
        assert key in rows[0], key
    assert all(r["agency"] and r["year"] and r["url"].startswith("http://") for r in rows)
    late = [r for r in rows if r["days_late"] is not None and r["days_late"] > 0]
    assert late and all("LATE_PUBLICATION" in r["findings"] for r in late)


def test_site_list_problems_are_reported_and_the_crawl_goes_on(network, proxy, tmp_path):
    site = network.sites[0]
    sites = tmp_path / "sites.csv"
    sites.write_text(
        "agency,url,level\n"
        f"{site['agency']},{site['url']},county\n"
        ",http://www.nobody.gov.cn/,county\n"  # no agency: skipped with a message
        "无网站县人民政府,http://www.not-simulated.gov.cn/,county\n",  # answers 502: an error, not a stop
        encoding="utf-8",
    )
    db = tmp_path / "n.db"
    done = crawl_subprocess(sites, db, proxy, quiet=True, timeout=600, extra=("NIANBAO_MAX_REPORTS=3",))
    assert done.returncode == 0
    assert "第3行" in done.stdout
    rows = _reports(db)
    assert 1 <= len(rows) <= 3  # NIANBAO_MAX_REPORTS caps candidate reports per portal
    assert "无网站县人民政府" in done.stdout  # the unreachable portal is listed in the summary


def test_a_bad_site_list_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("name,link\nx,y\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "nianbao.cli", "crawl", "--sites", str(bad), "--db", str(tmp_path / "n.db")],
        capture_output=True, text=True, env=proxy_env("http://127.0.0.1:9"), check=False, timeout=60,
    )  # fmt: skip
    assert done.returncode != 0
    assert "bad.csv" in done.stderr and "agency" in done.stderr
