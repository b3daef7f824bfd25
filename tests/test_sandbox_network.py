"""Simulated portal network: reproducibility, coverage of CMS templates, discoverability, mutations."""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from urllib.parse import urljoin, urlsplit

import pytest

from nianbao.sandbox.network import DEFAULT_SIZE, Network, generate
from nianbao.sandbox.plan import TEMPLATES


@pytest.fixture(scope="module")
def net() -> Network:
    return generate(11, DEFAULT_SIZE)


def test_same_seed_same_truth_other_seed_other_truth():
    a, b, c = generate(5, 12), generate(5, 12), generate(6, 12)
    assert json.dumps(a.ground_truth()) == json.dumps(b.ground_truth())
    assert a.ground_truth()["reports"] != c.ground_truth()["reports"]
    r = a.ground_truth()["reports"][3]
    assert a.report(r["agency"], r["year"]).to_contract() == b.report(r["agency"], r["year"]).to_contract()


def test_default_network_covers_the_publishing_patterns(net):
    t = net.ground_truth()
    assert len(t["sites"]) == DEFAULT_SIZE >= 30
    assert set(TEMPLATES) <= {s["template"] for s in t["sites"]} and len(TEMPLATES) >= 6
    assert {"gbk", "gbk-undeclared", "gbk-mislabeled"} <= {s["charset"] for s in t["sites"]}
    kinds = Counter(r["agency_kind"] for r in t["reports"])
    assert kinds["government"] and kinds["department"] and kinds["township"]
    defects = {d for r in t["reports"] for d in r["defects"]}
    assert {"ROW_TOTAL_MISMATCH", "RESULT_TOTAL_MISMATCH", "BALANCE_MISMATCH", "APPEAL_TOTAL_MISMATCH",
            "NARRATIVE_MISMATCH", "MISSING_SECTION", "MISSING_FEE_STATEMENT", "OUTDATED_LAYOUT"} <= defects
    assert any(r["late"] for r in t["reports"]) and t["missing"] and t["transient"] and t["errors"]
    assert {r["published_source"] for r in t["reports"]} >= {"meta", "visible", "url", "signature"}
    assert {r["format"] for r in t["reports"]} >= {"html", "docx", "pdf", "html+docx", "direct-pdf"}
    assert {d["kind"] for d in t["decoys"]} >= {"notice", "guide", "broken"}
    for r in t["reports"]:
        assert r["layout"] == ("2019" if r["year"] <= 2020 or "OUTDATED_LAYOUT" in r["defects"] else "2021")
        assert r["late"] == (r["published"] > r["deadline"])
        if r["published_source"] == "meta":
            assert r["dates"]["meta"] == r["published"]
    csv_text = net.sites_csv()
    assert csv_text.splitlines()[0] == "agency,url,level,region,parent"
    assert len(csv_text.splitlines()) == DEFAULT_SIZE + 1


def test_generating_thousands_of_portals_takes_seconds():
    t0 = time.perf_counter()
    big = generate(3, 3000)
    assert len(big.plans) == 3000 and len(big.hosts()) >= 3000
    assert time.perf_counter() - t0 < 60


def _fetch(net: Network, url: str):
    r = net.respond("GET", url)
    if r is not None and r.status == 503:  # transient: retry once
        r = net.respond("GET", url)
    return r


def mini_crawl(net: Network, starts: list[str]) -> dict[str, int]:
    """A plain (no-browser) crawler: links, TRS createPageHTML pagers, inline JSON endpoints."""
    hosts, seen, queue, status = net.hosts(), set(), list(starts), {}
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        seen.add(url)
        r = _fetch(net, url)
        status[url] = r.status if r else 502
        if r is None or r.status != 200:
            continue
        ctype = r.headers.get("Content-Type", "")
        if "json" in ctype:
            d = json.loads(r.body)
            queue += [urljoin(url, it["url"]) for it in d["data"]]
            page = int(re.search(r"page=(\d+)", url).group(1))
            if page < d["pageCount"]:
                queue.append(re.sub(r"page=\d+", f"page={page + 1}", url))
            continue
        if "html" not in ctype and ctype:
            continue
        try:
            text = r.body.decode("utf-8")
        except UnicodeDecodeError:
            text = r.body.decode("gbk")
        for h in re.findall(r'href="([^"#]+)"', text):
            full = urljoin(url, h)
            if urlsplit(full).hostname in hosts and not full.endswith(".css"):
                queue.append(full)
        m = re.search(r"countPage = (\d+)", text)
        if m and "createPageHTML(" in text:
            queue += [urljoin(url, f"index_{i}.html") for i in range(1, int(m.group(1)))]
        m = re.search(r'var api = "([^"]+)"', text)
        if m:
            queue.append(urljoin(url, m.group(1)) + "?page=1")
    return status


def test_every_report_and_attachment_is_discoverable_from_the_site_list():
    net = generate(2, 10)
    truth = net.ground_truth()
    status = mini_crawl(net, [s["url"] for s in truth["sites"]])
    for r in truth["reports"]:
        assert status.get(r["url"]) == 200, r["url"]
        for a in r["attachments"]:
            assert status.get(a) == 200, a
    bad = {u for u, s in status.items() if s != 200}
    allowed = {d["url"] for d in truth["decoys"] if d["kind"] == "broken"} | set(truth["errors"])
    assert bad <= allowed
    assert not any(net.requests[u] > 2 for u in status)  # the sandbox counts every request


def test_served_pages_carry_dates_encodings_and_decoys(net):
    truth = net.ground_truth()
    gbk = next(r for r in truth["reports"] if r["charset"] == "gbk" and r["format"] == "html")
    body = net.respond("GET", gbk["url"]).body
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    text = body.decode("gbk")
    assert "charset=gbk" in text and gbk["title"] in text
    meta = next(r for r in truth["reports"] if r["published_source"] == "meta" and r["format"] == "html")
    page = net.respond("GET", meta["url"]).body.decode("utf-8", "replace")
    assert f'name="PubDate" content="{meta["published"]}' in page
    assert 'name="SiteIDCode"' in page and 'name="ArticleTitle"' in page
    sig = next(r for r in truth["reports"] if r["published_source"] == "signature")
    page = net.respond("GET", sig["url"]).body.decode("gbk" if sig["charset"].startswith("gbk") else "utf-8", "replace")
    assert "PubDate" not in page
    notice = next(d for d in truth["decoys"] if d["kind"] == "notice")
    assert net.respond("GET", notice["url"]).status == 200
    robots = net.respond("GET", f"http://{truth['sites'][1]['host']}/robots.txt")
    assert b"Disallow: /hdjl/" in robots.body


def test_mutations_change_what_is_served():
    net = generate(4, 6)
    t = net.ground_truth()
    r = next(x for x in t["reports"] if x["format"] == "html" and x["charset"] == "utf-8" and not x["defects"])
    first = net.respond("GET", r["url"])
    etag = first.headers["ETag"]
    assert net.respond("GET", r["url"], {"If-None-Match": etag}).status == 304
    net.edit_report(r["agency"], r["year"], cells={"applications.new.natural_person": 999})
    edited = net.respond("GET", r["url"], {"If-None-Match": etag})
    assert edited.status == 200 and edited.headers["ETag"] != etag and b"999" in edited.body
    assert net.report(r["agency"], r["year"]).applications["new"]["natural_person"].value == 999
    net.remove_report(r["agency"], r["year"])
    assert net.respond("GET", r["url"]).status == 404
    assert r["url"] not in {x["url"] for x in net.ground_truth()["reports"]}
    added = net.add_report(r["agency"], 2025)
    assert net.respond("GET", added.url).status == 200
    assert any(x["year"] == 2025 for x in net.ground_truth()["reports"])
    assert net.report(r["agency"], 2025).year == 2025


def test_consolidated_government_report_covers_its_departments(net):
    plan = net.plans[2]
    gov = plan.government
    for year in (2022, 2024):
        g = net.report(gov, year)
        kids = [a.name for a in plan.agencies if a.kind != "government"]
        total = sum(net.generated(k, year).true_applications["new"]["total"].value
                    for k in kids if (k, year) in net._county_content(plan))
        assert g.applications["new"]["total"].value >= total


def test_counties_evicted_from_the_content_cache_serve_the_same_reports(monkeypatch):
    """A crawl interleaves many counties: evicted ones are kept packed, never regenerated differently."""
    import nianbao.sandbox.network as network

    fresh = generate(8, 5)
    monkeypatch.setattr(network, "CONTENT_CACHE", 1)
    net = generate(8, 5)
    keys = [(r["agency"], r["year"]) for r in net.ground_truth()["reports"]]
    for key in keys:  # each county pushes the previous one out of the one-county cache
        net.report(*key)
    assert len(net._content) == 1 and len(net._packed) == len(net.plans) - 1
    for key in keys:
        assert net.report(*key).to_contract() == fresh.report(*key).to_contract()
    # an edit of a packed county is served too
    agency, year = next(k for k in keys if net.plan_of(k[0]).index in net._packed)
    net.edit_report(agency, year, cells={"applications.new.natural_person": 4321})
    assert net.report(agency, year).applications["new"]["natural_person"].value == 4321
    other = next(k for k in keys if net.plan_of(k[0]).index != net.plan_of(agency).index)
    net._county_content(net.plan_of(other[0]))  # evicts (packs) the edited county
    assert net.plan_of(agency).index in net._packed
    assert net.report(agency, year).applications["new"]["natural_person"].value == 4321


def test_published_series_carry_over_from_year_to_year(net):
    """上年结转 equals last year's 结转下年度 in every consecutive pair (late starters included)."""
    from nianbao.rules.history import carry_over

    have = {(r["agency"], r["year"]) for r in net.ground_truth()["reports"]}
    pairs = [(a, y) for a, y in sorted(have) if (a, y - 1) in have]
    assert len(pairs) > 300
    late_starters = {a.name for p in net.plans for a in p.agencies if a.kind != "government"
                     and min(r.year for r in p.reports if r.agency == a.name) > 2019}
    assert late_starters
    wrong = [(a, y) for a, y in pairs if carry_over(net.report(a, y), net.report(a, y - 1))]
    assert wrong == []
