"""Discovery is pure: link scoring, candidate reports, script pagers, JSON lists, list dates."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from nianbao.crawler import discovery as d
from nianbao.crawler.dates import find_dates, list_date
from nianbao.crawler.extract import decode_html, parse_page
from nianbao.intake.attribution import attribute, issuer_in_title, site_for_url
from nianbao.intake.sites import Site, SiteListError, group_portals, parse_sites

CORPUS = Path(__file__).parent / "data" / "corpus"


@pytest.mark.parametrize(
    "text",
    [
        "平潭综合实验区2024年度政府信息公开工作年度报告",
        "鞍山市立山区人民政府2023年政府信息公开工作年度报告",
        "某县财政局 2022 年政府信息公开年报",
        "2021年度政务公开工作年度报告",
        "XX镇2019年信息公开年度报告",
        "2010年政府信息公开工作报告",
    ],
)
def test_report_titles_are_candidates(text):
    assert d.is_candidate_report(text, "http://www.x.gov.cn/xxgk/a.html")
    assert d.score_link(text, "http://www.x.gov.cn/xxgk/a.html").kind == d.REPORT


@pytest.mark.parametrize(
    "text",
    [
        "关于做好2023年度政府信息公开工作年度报告编制发布工作的通知",
        "某县2024年政务公开工作要点",
        "某县人民政府2023年工作总结",
        "2024年某县政府工作报告",
        "某县城市建设投资有限公司2023年度报告",
        "政府信息公开指南",
        "《某县2023年政府信息公开工作年度报告》解读",
        "关于报送2022年政府信息公开年报的通知",
    ],
)
def test_decoys_are_not_candidates(text):
    assert not d.is_candidate_report(text, "http://www.x.gov.cn/xxgk/a.html", "政府信息公开年报")
    assert d.score_link(text, "http://www.x.gov.cn/xxgk/a.html").kind != d.REPORT


def test_year_plus_nianbao_needs_a_report_column():
    assert d.is_candidate_report("2023年年报", "http://x.gov.cn/zfxxgknb/t1.html", "")
    assert d.is_candidate_report("2023年度报告", "http://x.gov.cn/a/t1.html", "政府信息公开年报_某县")
    assert not d.is_candidate_report("2023年度报告", "http://x.gov.cn/gqxx/t1.html", "国有企业信息")


@pytest.mark.parametrize(
    ("text", "url", "kind"),
    [
        ("政府信息公开年报", "http://x.gov.cn/xxgk/zfxxgknb/", d.COLUMN),
        ("年度报告", "http://x.gov.cn/zfxxgk/ndbg/", d.COLUMN),
        ("更多", "http://x.gov.cn/xxgk/xxgknb/index.html", d.COLUMN),
        ("政府信息公开", "http://x.gov.cn/zwgk/", d.PATH),
        ("法定主动公开内容", "http://x.gov.cn/zfxxgk/fdzdgknr/", d.PATH),
        ("政府信息公开指南", "http://x.gov.cn/zfxxgk/zfxxgkzn/index.html", d.PATH),
        ("首页", "http://x.gov.cn/zwgk/index.html", d.PATH),
        ("部门信息公开", "http://x.gov.cn/bmxxgk/", d.SUBSITE),
        ("下一页", "http://x.gov.cn/xxgk/zfxxgknb/index_1.html", d.PAGER),
        ("附件：报告全文.pdf", "http://x.gov.cn/up/a.pdf", d.ATTACHMENT),
        ("召开全县安全生产工作会议", "http://x.gov.cn/xwzx/202501/t20250101_1.html", d.OTHER),
    ],
)
def test_link_kinds(text, url, kind):
    assert d.score_link(text, url).kind == kind


def test_pager_on_a_column_page():
    s = d.score_link("下一页", "http://x.gov.cn/news/index_1.html", title="政府信息公开年报_某县")
    assert s.kind == d.PAGER and s.follow
    assert d.score_link("2", "http://x.gov.cn/news/index_2.html", title="年度报告").kind == d.PAGER


def test_scores_order_and_depth():
    report = d.score_link("某县2024年政府信息公开工作年度报告", "http://x.gov.cn/a.html", depth=5)
    column = d.score_link("政府信息公开年报", "http://x.gov.cn/nb/", depth=1)
    path = d.score_link("政务公开", "http://x.gov.cn/zwgk/", depth=1)
    news = d.score_link("新闻中心", "http://x.gov.cn/xwzx/", depth=1)
    assert report.score > column.score > path.score > news.score
    assert not news.follow and path.follow
    assert d.score_link("政务公开", "http://x.gov.cn/zwgk/", depth=1).score > d.score_link(
        "政务公开", "http://x.gov.cn/zwgk/", depth=4
    ).score
    decoy = d.score_link("某县2024年政务公开工作要点", "http://x.gov.cn/a.html")
    assert decoy.kind == d.DECOY and decoy.score < 0 and not decoy.follow


def test_department_names_on_a_subsite_index():
    s = d.score_link("某县财政局", "http://x.gov.cn/zwgk/bm/czj/", title="部门信息公开")
    assert s.kind in (d.SUBSITE, d.PATH) and s.follow
    assert d.score_link("城关镇", "http://cgz.x.gov.cn/", title="乡镇信息公开").follow


def test_trs_pager():
    script = 'var currentPage = 0; createPageHTML(4, 0, "index", "html");'
    urls = d.trs_pager_urls(script, "http://x.gov.cn/zwgk/zfxxgknb/index.html")
    assert urls == [
        "http://x.gov.cn/zwgk/zfxxgknb/index.html",
        "http://x.gov.cn/zwgk/zfxxgknb/index_1.html",
        "http://x.gov.cn/zwgk/zfxxgknb/index_2.html",
        "http://x.gov.cn/zwgk/zfxxgknb/index_3.html",
    ]
    assert d.trs_pager_urls("createPageHTML('2','1','index','shtml')", "http://x.gov.cn/a/index_1.shtml") == [
        "http://x.gov.cn/a/index.shtml",
        "http://x.gov.cn/a/index_1.shtml",
    ]
    assert d.trs_pager_urls("no pager here", "http://x.gov.cn/") == []
    script = 'var currentPage = 1;\n  var countPage = 3;\n  createPageHTML(countPage, currentPage, "index", "html");'
    assert len(d.trs_pager_urls(script, "http://x.gov.cn/a/index_1.html")) == 3
    assert d.page_count_urls("var countPage = 3;", "http://x.gov.cn/a/index.html")[-1] == "http://x.gov.cn/a/index_2.html"


def test_endpoints_in_scripts():
    script = """
      $.getJSON('/zfxxgk/ndbg/data/list.json', function (d) {});
      fetch("/api/article/list?chnl=12").then(r => r.json());
      var x = {url: '/zfxxgk/ndbg/query.do', type: 'post'};
      var css = '/static/main.css'; var lib = '/js/jquery.js';
    """
    eps = d.find_endpoints(script, "http://x.gov.cn/zfxxgk/ndbg/")
    assert "http://x.gov.cn/zfxxgk/ndbg/data/list.json" in eps
    assert "http://x.gov.cn/api/article/list?chnl=12" in eps
    assert "http://x.gov.cn/zfxxgk/ndbg/query.do" in eps
    assert not any(e.endswith((".css", ".js")) for e in eps)


def test_links_from_json_and_jsonp():
    body = (
        '{"total": 2, "data": {"list": [{"title": "某县2024年政府信息公开工作年度报告", "url": "art/2025/1.html",'
        ' "pubDate": "2025-01-20"}, {"title": "某县2023年政府信息公开工作年度报告", "docpuburl": "/a/2.html"}]}}'
    )
    links = d.links_from_json_text(body, "http://x.gov.cn/zfxxgk/ndbg/data/list.json")
    assert [link.url for link in links] == [
        "http://x.gov.cn/zfxxgk/ndbg/data/art/2025/1.html",
        "http://x.gov.cn/a/2.html",
    ]
    assert links[0].date == "2025-01-20"
    assert d.links_from_json_text("cb(" + body + ");", "http://x.gov.cn/")[0].title.startswith("某县2024")
    assert d.links_from_json_text("<html>not json</html>", "http://x.gov.cn/") == []
    xml = "<list><record><title>某县2022年政府信息公开年报</title><url>/b/3.html</url></record></list>"
    assert d.links_from_xml_text(xml, "http://x.gov.cn/")[0].url == "http://x.gov.cn/b/3.html"


def test_js_only_suspect():
    kwargs = dict(title="政府信息公开年报_某县", url="http://x.gov.cn/ndbg/", scripts="$.getJSON('d.json')")
    assert d.js_only_suspect(n_candidate_links=0, n_pager_links=0, **kwargs)
    assert not d.js_only_suspect(n_candidate_links=3, n_pager_links=0, **kwargs)
    assert not d.js_only_suspect(n_candidate_links=0, n_pager_links=0, title="新闻", url="http://x.gov.cn/xw/",
                                 scripts="$.getJSON('d.json')")  # fmt: skip


def test_challenge_pages():
    body = b"<html><script>document.cookie='__jsl=abc';location.reload();</script></html>"
    assert d.is_challenge(521, body)
    assert d.is_challenge(412, body)
    assert not d.is_challenge(200, body)
    assert not d.is_challenge(521, b"<html>Server down</html>")
    assert not d.is_challenge(412, body + b" " * 20000)


def test_budget_and_scope():
    b = d.Budget(max_pages=2, max_depth=3)
    assert b.allows(1, d.PATH)
    b.spend()
    b.spend()
    assert not b.allows(1, d.PATH) and b.allows(9, d.REPORT)
    assert not d.Budget(max_depth=3).allows(4, d.COLUMN)
    assert d.same_site("http://cgz.abc.gov.cn/x", "http://www.abc.gov.cn/")
    assert d.same_site("http://www.abc.gov.cn/x", "http://www.abc.gov.cn/")
    assert not d.same_site("http://www.other.gov.cn/x", "http://www.abc.gov.cn/")


def test_list_dates():
    assert list_date("平潭综合实验区2024年度政府信息公开工作年度报告 2025-03-10", "平潭综合实验区2024年度政府信息公开工作年度报告") == dt.date(2025, 3, 10)
    assert list_date("某县2024年度报告 [2025/01/20]", "某县2024年度报告") == dt.date(2025, 1, 20)
    assert list_date("某县2024年度报告 发布日期：2025年2月3日", "某县2024年度报告") == dt.date(2025, 2, 3)
    assert list_date("某县2024年度政府信息公开工作年度报告", "某县2024年度政府信息公开工作年度报告") is None
    assert find_dates("２０２５－０１－２０") == [dt.date(2025, 1, 20)]
    assert find_dates("2025-02-30") == []


def test_real_list_page_of_the_corpus():
    html = (CORPUS / "L001_pingtan_zfxxgknb_index_head.html").read_bytes() + (
        CORPUS / "L001_pingtan_zfxxgknb_index_listblock.html"
    ).read_bytes()
    url = "https://www.pingtan.gov.cn/zwgk/zfxxgk/zfxxgknb/"
    page = parse_page(html, url)
    assert page.column == "政府信息公开年报"
    reports = [link for link in page.links if d.is_candidate_report(link.text, link.url, page.title)]
    assert len(reports) == 10
    first = reports[0]
    assert first.url == "https://www.pingtan.gov.cn/zwgk/zfxxgk/zfxxgknb/202603/t20260313_105587.htm"
    assert first.list_date == "2026-03-10"  # the listed date, not the URL's
    assert {link.list_date[:4] for link in reports} >= {"2020", "2025", "2026"}


def test_decode_mislabelled_pages():
    text = "<html><head><meta charset='utf-8'><title>政府信息公开年报</title></head></html>"
    assert "政府信息公开年报" in decode_html(text.encode("gbk"), "utf-8")
    assert "政府信息公开年报" in decode_html(text.encode("utf-8"), "gbk")
    page = parse_page(text.replace("utf-8", "gb2312").encode("gbk"), "http://x.gov.cn/")
    assert page.title == "政府信息公开年报"


def test_attribution():
    county = Site("某县人民政府", "http://www.x.gov.cn/", level="county")
    office = Site("某县人民政府办公室", "http://www.x.gov.cn/", level="department")
    finance = Site("某县财政局", "http://www.x.gov.cn/zwgk/bm/czj/", level="department")
    sites = [county, office, finance]
    assert issuer_in_title("某县财政局2024年政府信息公开工作年度报告") == "某县财政局"
    assert attribute(title="某县财政局2024年政府信息公开工作年度报告", parsed_agency=None, candidates=sites,
                     hint=county) == ("某县财政局", finance)  # fmt: skip
    assert attribute(title="某县2024年政府信息公开工作年度报告", parsed_agency="某县人民政府", candidates=sites,
                     hint=finance) == ("某县人民政府", county)  # fmt: skip
    assert attribute(title="某县人民政府办公室2023年政府信息公开工作年度报告", parsed_agency=None,
                     candidates=sites, hint=county)[1] is office  # fmt: skip
    # not in the list: kept as written
    name, site = attribute(title="某县教育局2024年政府信息公开工作年度报告", parsed_agency=None, candidates=sites,
                           hint=county)  # fmt: skip
    assert (name, site) == ("某县教育局", None)
    assert site_for_url("http://www.x.gov.cn/zwgk/bm/czj/xxgknb/t1.html", sites) is finance
    assert site_for_url("http://www.x.gov.cn/zwgk/xxgknb/t1.html", sites) in (county, office)


def test_site_list():
    text = "\ufeffagency,url,level,render\n某县人民政府,www.x.gov.cn,county,\n某县财政局,http://www.x.gov.cn/,department,always\n,http://y.gov.cn/,,\n"
    sites, problems = parse_sites(text, "s.csv")
    assert [s.url for s in sites] == ["http://www.x.gov.cn", "http://www.x.gov.cn/"]
    assert len(problems) == 1 and "第4行" in problems[0]
    portals = group_portals(sites)
    assert len(portals) == 1 and portals[0].render == "always"
    with pytest.raises(SiteListError, match="agency"):
        parse_sites("name,link\n", "bad.csv")


def test_json_pages():
    body = '{"total": 23, "pageCount": 3, "page": 1, "pageSize": 10, "data": []}'
    script = 'x.open("GET", api + "?page=" + p);'
    assert d.json_page_urls("http://x.gov.cn/api/channel/7/list.json", body, script) == [
        "http://x.gov.cn/api/channel/7/list.json?page=2",
        "http://x.gov.cn/api/channel/7/list.json?page=3",
    ]
    assert d.json_page_urls("http://x.gov.cn/l.json?pageNo=1", '{"total": 5, "pageSize": 2}', "?pageNo=") == [
        "http://x.gov.cn/l.json?pageNo=2",
        "http://x.gov.cn/l.json?pageNo=3",
    ]
    assert d.json_page_urls("http://x.gov.cn/l.json", '{"pageCount": 1}') == []
