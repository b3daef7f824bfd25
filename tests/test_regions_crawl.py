"""Regions in the crawl: agencies placed in the registry, per-site access hints, HIERARCHY_MISMATCH.

The slow test crawls a sandbox network whose site list names only the county governments and
checks that every department's and township's report is stored under its county's code and
kind, with its place in the export.
"""

from __future__ import annotations

import datetime as dt
import random

import pytest
from scrapy import Request

from nianbao.crawler.access import (
    DIRECT,
    Access,
    SiteAccessMiddleware,
    access_settings,
    portal_access,
    switch_scheme,
)
from nianbao.intake.attribution import Places
from nianbao.intake.sites import Portal, Site, parse_sites
from nianbao.regions.registry import MOBILE_USER_AGENT, hints_for, registry
from nianbao.rules.deadlines import publisher_kind

# ---------------------------------------------------------------- one name -> kind


@pytest.mark.parametrize("name", [
    "榆中县人民政府", "阿克苏地区行政公署", "榆中县人民政府办公室", "榆中县政府办", "甘肃省教育厅",
    "城关镇人民政府", "乌兰苏木人民政府", "东岗街道办事处", "镇江市人民政府", "兰州新区管理委员会",
    "某某县财政局2024年政府信息公开工作年度报告", "榆中县城关镇人民政府（本级）", "中共榆中县委办公室",
])
def test_infer_kind_and_publisher_kind_agree(name):
    """One implementation: where the deadline's kind is known the registry's kind is the same."""
    kind = publisher_kind(name)
    assert registry().infer_kind(name) == (kind or "department")


# ---------------------------------------------------------------- access hints -> request settings


@pytest.mark.parametrize("code, render, expect", [
    ("ua-mobile", "auto", Access("ua-mobile", user_agent=MOBILE_USER_AGENT)),
    ("protocol-switch", "auto", Access("protocol-switch", switch_scheme=True)),
    ("none", "auto", Access("none", browser_first=True)),
    ("none", "always", Access("none", browser_first=True)),
    ("none", "never", Access("none")),  # the site list's render column wins
    ("direct", "auto", Access("direct")),
    ("unknown", "auto", Access("unknown")),  # unverified: nothing guessed
])
def test_access_settings_from_hints(code, render, expect):
    got = access_settings(hints_for(code, "http://www.example.gov.cn/"), render)
    assert (got.access_method_code, got.user_agent, got.switch_scheme, got.browser_first) == (
        expect.access_method_code, expect.user_agent, expect.switch_scheme, expect.browser_first)
    assert got.special == (code in ("ua-mobile", "protocol-switch") or (code == "none" and render != "never"))


def test_access_settings_without_hints_and_scheme_switch():
    assert access_settings(None) is DIRECT and not DIRECT.special
    assert switch_scheme("http://a.gov.cn/x?y=1") == "https://a.gov.cn/x?y=1"
    assert switch_scheme("https://a.gov.cn/") == "http://a.gov.cn/"
    assert switch_scheme("ftp://a.gov.cn/") == "ftp://a.gov.cn/"


@pytest.mark.parametrize("site, code", [
    (Site("秦皇岛市人民政府", "http://www.qhd.gov.cn/", region="130300"), "ua-mobile"),
    (Site("邢台市人民政府", "http://www.xingtai.gov.cn/", region="邢台市"), "protocol-switch"),  # a region name
    (Site("唐山市人民政府", "https://www.tangshan.gov.cn/"), "none"),  # no region: by host
    (Site("榆中县人民政府", "http://www.yuzhong.gov.cn/", region="620123"), "direct"),
])
def test_portal_access_finds_the_registry_row(site, code):
    assert portal_access(Portal(site.url, (site,)), registry()).access_method_code == code


def test_portal_access_of_an_unknown_site_is_direct():
    site = Site("某县人民政府", "http://www.nowhere.example/")
    assert portal_access(Portal(site.url, (site,)), registry()) is DIRECT
    assert portal_access(Portal(site.url, (site,)), None) is DIRECT


@pytest.fixture
def middleware():
    from scrapy.utils.test import get_crawler

    from nianbao.crawler.spiders.portal import PortalSpider

    sites = [Site("秦皇岛市人民政府", "http://www.qhd.gov.cn/", region="130300"),
             Site("邢台市人民政府", "http://www.xingtai.gov.cn/", region="130500"),
             Site("唐山市人民政府", "https://www.tangshan.gov.cn/", region="130200"),
             Site("迁安市人民政府", "http://www.qianan.gov.cn/", region="130283", render="never")]
    crawler = get_crawler(PortalSpider, {"TELNETCONSOLE_ENABLED": False})
    crawler.spider = PortalSpider.from_crawler(crawler, sites=sites)
    return SiteAccessMiddleware.from_crawler(crawler)


def test_middleware_applies_the_hints(middleware):
    ua = Request("http://www.qhd.gov.cn/xxgk/", meta={"nb_portal": 0})
    middleware.process_request(ua)
    assert ua.headers[b"User-Agent"].decode() == MOBILE_USER_AGENT
    robots = Request("http://www.qhd.gov.cn/robots.txt")  # no portal in meta: by host
    middleware.process_request(robots)
    assert robots.headers[b"User-Agent"].decode() == MOBILE_USER_AGENT

    failed = Request("http://www.xingtai.gov.cn/zwgk/", meta={"nb_portal": 1})
    retry = middleware.process_exception(failed, ConnectionRefusedError())
    assert retry.url == "https://www.xingtai.gov.cn/zwgk/" and retry.meta["nb_scheme_switched"]
    assert middleware.process_exception(retry, ConnectionRefusedError()) is None  # once only
    assert middleware.process_exception(Request("http://www.qhd.gov.cn/", meta={"nb_portal": 0}),
                                        ConnectionRefusedError()) is None  # not a protocol-switch site

    start = Request("https://www.tangshan.gov.cn/", meta={"nb_portal": 2, "nb_kind": "start"})
    middleware.process_request(start)
    assert start.meta["playwright"] and start.meta["playwright_include_page"] and start.meta["nb_challenge"]
    page = Request("https://www.tangshan.gov.cn/xxgk/", meta={"nb_portal": 2, "nb_kind": "column"})
    middleware.process_request(page)
    assert not page.meta.get("playwright")  # only the start page: plain requests reuse the cookie
    never = Request("http://www.qianan.gov.cn/", meta={"nb_portal": 3, "nb_kind": "start", "nb_render": "never"})
    middleware.process_request(never)
    assert not never.meta.get("playwright")  # render=never in the site list overrides


def test_middleware_sends_gateway_answers_to_the_browser(middleware):
    from scrapy.http import HtmlResponse

    req = Request("https://www.tangshan.gov.cn/xxgk/", meta={"nb_portal": 2, "nb_kind": "column"})
    blocked = HtmlResponse(req.url, status=468, body=b"<html>blocked</html>", request=req)
    again = middleware.process_response(req, blocked)
    assert isinstance(again, Request) and again.meta["playwright"]
    ok = HtmlResponse(req.url, status=200, body=b"<html></html>", request=req)
    assert middleware.process_response(req, ok) is ok
    plain = Request("http://www.qhd.gov.cn/", meta={"nb_portal": 0})
    resp = HtmlResponse(plain.url, status=468, body=b"x", request=plain)
    assert middleware.process_response(plain, resp) is resp  # not a gateway site


# ---------------------------------------------------------------- placing agencies


def test_places_a_countys_bodies_found_on_its_portal():
    county = Site("榆中县人民政府", "http://www.yuzhong.gov.cn/", level="county", region="620123",
                  parent="兰州市人民政府")
    places = Places([county])
    for name, kind in (("榆中县教育局", "department"), ("城关镇人民政府", "township"),
                       ("县人民政府办公室", "department"), ("和平镇", "township")):
        p = places.place(name, hint=county, portal_sites=(county,))
        assert (p.region, p.kind, p.level, p.parent, p.prefecture, p.county) == (
            "620123", kind, kind, "榆中县人民政府", "兰州市", "榆中县"), name
    own = places.place("榆中县人民政府", site=county, hint=county, portal_sites=(county,))
    assert (own.region, own.kind, own.level, own.parent) == ("620123", "government", "county", "兰州市人民政府")
    # another county's body found on this portal: its name wins; parent from the registry
    other = places.place("兰州市城关区财政局", hint=county, portal_sites=(county,))
    assert (other.region, other.kind, other.parent) == ("620102", "department", "兰州市城关区人民政府")
    # a government not in the list: its parent is the registry's parent government
    gov = places.place("兰州市城关区人民政府", hint=county, portal_sites=(county,))
    assert (gov.region, gov.kind, gov.level, gov.parent) == ("620102", "government", "county", "兰州市人民政府")


def test_places_without_a_registry_or_with_unknown_codes():
    county = Site("某县人民政府", "http://www.mou.gov.cn/", level="county", region="999901")
    bare = Places([county], None, load_registry=False)
    p = bare.place("某县教育局", hint=county, portal_sites=(county,))
    assert (p.region, p.kind, p.parent, p.prefecture) == ("999901", "department", "某县人民政府", None)
    unknown = Places([county]).place("某县城关镇人民政府", hint=county, portal_sites=(county,))
    assert (unknown.region, unknown.kind, unknown.parent, unknown.county) == (
        "999901", "township", "某县人民政府", None)


# ---------------------------------------------------------------- HIERARCHY_MISMATCH over a store


def _report(agency: str, kind: str, new: int, url: str):
    from nianbao.model import Cell
    from nianbao.sandbox.reports import AgencyState, build_report

    rep = build_report(agency, kind, 2024, random.Random(f"h/{agency}"), county="榆中县",
                       portal="www.yuzhong.gov.cn", state=AgencyState()).report
    rep.published, rep.url = dt.date(2025, 1, 20), url
    rep.table("applications")["new"]["total"] = Cell(new, str(new))
    rep.table("applications")["total"]["total"] = Cell(0, "0")
    for g in ("review", "litigation_direct", "litigation_after_review"):
        rep.table("appeals")[g]["total"] = Cell(0, "0")
    return rep


def test_hierarchy_mismatch_uses_store_parents_and_the_registry(tmp_path):
    from nianbao.rules import history as H
    from nianbao.rules.deadlines import publisher_kind
    from nianbao.storage.history import StoreHistory
    from nianbao.storage.store import Store

    with Store(tmp_path / "h.db") as store:
        store.upsert_agency("兰州市人民政府", level="city", region="620100", kind="government")
        store.upsert_agency("榆中县人民政府", kind="government", parent="兰州市人民政府")  # no region code
        store.upsert_agency("榆中县财政局", kind="department", parent="榆中县人民政府")  # parent_id
        store.upsert_agency("榆中县教育局", kind="department")  # neither: the registry places it in 620123
        store.upsert_agency("某乡人民政府", kind="township")  # nowhere to be placed
        for i, (name, kind, n) in enumerate([("兰州市人民政府", "government", 1), ("榆中县人民政府", "government", 10),
                                             ("榆中县财政局", "department", 6), ("榆中县教育局", "department", 7),
                                             ("某乡人民政府", "township", 50)]):
            store.save_report(_report(name, kind, n, f"http://www.yuzhong.gov.cn/{i}.html"))
        links = H.parent_links(StoreHistory(store, publisher_kind).agencies())
        assert links == {"榆中县财政局": "榆中县人民政府", "榆中县教育局": "榆中县人民政府"}
        found = [f for f in H.hierarchy(StoreHistory(store, publisher_kind)) if f.finding.where == "applications.new.total"]
    # the county's 10 < 6 + 7; the city is not summed over its county (a county is not its department)
    assert [(f.agency, f.finding.expected, f.finding.actual) for f in found] == [("榆中县人民政府", 13, 10)]


# ---------------------------------------------------------------- a crawl with counties only


@pytest.fixture(scope="module")
def county_crawl(tmp_path_factory):
    from nianbao.sandbox.demo import crawl_subprocess
    from nianbao.sandbox.network import generate
    from nianbao.sandbox.server import running

    network = generate(11, 5)  # static, trs, jscolumn, guide, subsites (departments on their own hosts)
    out = tmp_path_factory.mktemp("regions_crawl")
    sites = out / "sites.csv"
    rows = ["agency,url,level,region"] + [f"{s['agency']},{s['url']},county,{s['region']}" for s in network.sites]
    sites.write_text("\n".join(rows) + "\n", encoding="utf-8")
    listed, _ = parse_sites(sites.read_text(encoding="utf-8"))
    assert {s.agency for s in listed} == {s["agency"] for s in network.sites} and not any(s.parent for s in listed)
    db = out / "n.db"
    with running(network) as proxy:
        done = crawl_subprocess(sites, db, proxy, quiet=True, timeout=900)
    assert done.returncode == 0, done.stdout
    return network, db


@pytest.mark.slow
def test_county_only_crawl_places_every_department_and_township(county_crawl):
    from nianbao.storage.exports import export_reports
    from nianbao.storage.store import Store

    network, db = county_crawl
    truth = network.ground_truth()
    code_of = {s["agency"]: s["region"] for s in truth["sites"]}
    bodies = [t for t in truth["reports"] if t["agency_kind"] in ("department", "township")]
    assert {t["agency_kind"] for t in bodies} == {"department", "township"}
    with Store(db) as store:
        exported = export_reports(store)
        by_url = {r["url"]: r for r in exported}
        agencies = {a["name"]: a for a in store.query("SELECT * FROM agencies")}
        names = {a["id"]: a["name"] for a in agencies.values()}
    wrong = []
    for t in bodies:
        row = next((by_url[u] for u in (t["url"], t.get("page"), *t["attachments"]) if u in by_url), None)
        if row is None:
            wrong.append((t["agency"], t["year"], "not stored"))
            continue
        code = code_of[t["county"]]
        agency = agencies.get(row["agency"])
        got = (row["agency"], row["region"], row["region_code"], agency and agency["kind"],
               agency and names.get(agency["parent_id"]))
        if got != (t["agency"], code, code, t["agency_kind"], t["county"]):
            wrong.append((t["agency"], t["year"], got))
            continue
        province, prefecture, county = registry().lineage(code)
        place = (row["province"], row["prefecture"], row["county"])
        if place != (province.name, prefecture.name if prefecture else None, county.name):
            wrong.append((t["agency"], t["year"], place))
    assert not wrong, wrong[:10]
    assert len(bodies) >= 50  # the network is big enough to mean something

