"""Each discovery mechanism on its own small portal, crawled in real Chromium with the CMS hints off.

One test per mechanism (embedded documents, XHR mining, in-page exploration, sister hosts, budgets,
the diagnosis): the portal is built so that only that mechanism reaches its reports, and the test
checks both the reports and the run's own account of how they were reached (its stats).
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import pytest

from nianbao.sandbox.harness import PagesPortal, crawl_portal
from nianbao.sandbox.response import Response
from nianbao.storage import users
from nianbao.storage.store import Store
from nianbao.storage.views import diagnosis_reasons

warnings.filterwarnings("ignore", message=".*httpx.*", category=DeprecationWarning)
from starlette.testclient import TestClient  # noqa: E402

from nianbao.workbench.app import create_app  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.slow]

AGENCY = "开发县人民政府"
WWW = "www.kaifa.gov.cn"
HOME = f"http://{WWW}/"


def page(title: str, body: str, script: str = "") -> tuple[str, bytes]:
    return "text/html", (f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head>"
                         f"<body>{body}<script>{script}</script></body></html>").encode()


def report(year: int) -> tuple[str, bytes]:
    return page(f"开发县{year}年政府信息公开工作年度报告",
                f"<h1>开发县人民政府{year}年政府信息公开工作年度报告</h1><p>一、总体情况</p><p>开发县人民政府</p>")


def home(body: str, script: str = "") -> tuple[str, bytes]:
    return page("开发县人民政府门户网站", body, script)


def url(path: str, host: str = WWW) -> str:
    return f"http://{host}{path}"


def test_embedded_documents_a_frame_only_script_creates(tmp_path: Path) -> None:
    portal = PagesPortal({WWW: {
        "/": home("<a href='/xxgk/'>政府信息公开</a><a href='/news/'>新闻</a>"),
        "/xxgk/": page("政府信息公开", "<div id='box'></div>", """
            var f = document.createElement('iframe'); f.src = '/xx' + 'gk/' + 'nb_' + 'frame.html';
            document.getElementById('box').appendChild(f);"""),
        "/xxgk/nb_frame.html": page("政府信息公开年报", "<ul><li><a href='/nb/a2024.html' target='_top'>"
                                    "开发县2024年政府信息公开工作年度报告</a></li></ul><iframe src='/xxgk/nb_old.html'></iframe>"),
        "/xxgk/nb_old.html": page("往年年报", "<a href='/nb/a2023.html'>开发县2023年政府信息公开工作年度报告</a>"),
        "/nb/a2024.html": report(2024), "/nb/a2023.html": report(2023),
    }})
    got = crawl_portal(portal, tmp_path, AGENCY, HOME)
    assert {url("/nb/a2024.html"), url("/nb/a2023.html")} <= got.fetched
    assert url("/xxgk/nb_frame.html") in portal.requests  # the browser saw the frame the script made
    assert got.stats.get("nianbao/render_requested", 0) >= 1


def test_xhr_answers_are_mined_when_the_page_shows_no_link(tmp_path: Path) -> None:
    # the list's endpoint comes from a configuration the page fetches first, and the list is drawn
    # without any href: only the answers hold the links
    script = """
        fetch('/conf/site.json').then(r => r.json()).then(conf => fetch(conf.base + conf.lists.nb))
          .then(r => r.json()).then(d => {
            var ul = document.getElementById('list');
            d.data.forEach(x => { var li = document.createElement('li'); li.textContent = x.name;
                                  li.onclick = function () { location.href = x.href; }; ul.appendChild(li); });
          });"""
    answer = ('{"data":[{"name":"开发县2024年政府信息公开工作年度报告","href":"/nb/a2024.html","time":"2025-01-20"},'
              '{"name":"开发县2023年政府信息公开工作年度报告","href":"/nb/a2023.html","time":"2024-01-18"},'
              '{"name":"开发县2024年统计年报","href":"/nb/tj2024.html","time":"2025-03-01"}]}')
    portal = PagesPortal({WWW: {
        "/": home("<a href='/xxgk/nb/'>政府信息公开年报</a>"),
        "/xxgk/nb/": page("政府信息公开年报", "<ul id='list'></ul>", script),
        "/conf/site.json": ("application/json", b'{"base": "/api/v2/", "lists": {"nb": "doc?c=21"}}'),
        "/api/v2/doc": ("application/json", answer.encode()),
        "/nb/a2024.html": report(2024), "/nb/a2023.html": report(2023),
        "/nb/tj2024.html": page("开发县2024年统计年报", "<h1>开发县2024年统计年报</h1>"),
    }})
    got = crawl_portal(portal, tmp_path, AGENCY, HOME, "NIANBAO_CLICK_BUDGET=0")
    assert {url("/nb/a2024.html"), url("/nb/a2023.html")} <= got.fetched
    assert url("/nb/tj2024.html") not in got.fetched  # the 统计年报 in the same answer stays a decoy
    assert got.stats.get("nianbao/xhr_answers", 0) >= 1 and got.stats.get("nianbao/clicks", 0) == 0


def _pager_portal() -> PagesPortal:
    """A tab that changes the hub in place, then a list whose 下一页 is wired by ``addEventListener``."""
    pager = """
        document.getElementById('next').addEventListener('click', function () {
          location.href = '/xxgk/nb/' + 'p' + (%d + 1) + '.html'; });"""
    pages = {
        "/": home("<a href='/xxgk/'>信息公开</a>"),
        "/xxgk/": page("信息公开", "<div class='tab' id='tab'>政府信息公开年报</div><div id='pane'></div>", """
            document.getElementById('tab').addEventListener('click', function () {
              document.getElementById('pane').innerHTML = '<a href="' + ['', 'xxgk', 'nb', 'p1.html'].join('/') +
                '">年报列表</a>'; });"""),
    }
    for n, year in enumerate((2024, 2023, 2022), start=1):
        more = "<span id='next' class='pg'>下一页</span>" if n < 3 else ""
        pages[f"/xxgk/nb/p{n}.html"] = page(f"政府信息公开年报 第{n}页", f"<ul><li><a href='/nb/a{year}.html'>"
                                            f"开发县{year}年政府信息公开工作年度报告</a></li></ul>{more}",
                                            pager % n if more else "")
        pages[f"/nb/a{year}.html"] = report(year)
    return PagesPortal({WWW: pages})


def test_in_page_exploration_clicks_a_tab_and_a_script_pager(tmp_path: Path) -> None:
    got = crawl_portal(_pager_portal(), tmp_path, AGENCY, HOME)
    assert {url(f"/nb/a{y}.html") for y in (2024, 2023, 2022)} <= got.fetched
    assert got.stats.get("nianbao/clicks", 0) >= 2


def test_clicks_keep_the_hosts_crawl_delay(tmp_path: Path) -> None:
    portal = _pager_portal()
    portal.hosts[WWW]["/robots.txt"] = ("text/plain", b"User-agent: *\nCrawl-delay: 1.5\n")
    got = crawl_portal(portal, tmp_path, AGENCY, HOME)
    assert {url(f"/nb/a{y}.html") for y in (2024, 2023, 2022)} <= got.fetched and got.stats["nianbao/clicks"] >= 2
    times = [t for u, t in zip(portal.requests, portal.times, strict=True) if not u.endswith("/robots.txt")]
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert len(times) >= 8 and min(gaps) >= 1.4, [round(g, 2) for g in gaps]  # Scrapy's requests and the browser's


def test_a_page_in_another_charset_than_it_declares_renders_its_real_text(tmp_path: Path) -> None:
    # UTF-8 bytes sent as gb2312 (header and meta): a browser shows mojibake, every title the list's
    # script writes is garbled, and no report is recognised unless the browser gets the real text
    script = """
        var rows = [['开发县2024年政府信息公开工作年度报告', 2024], ['开发县2023年政府信息公开工作年度报告', 2023]];
        document.getElementById('list').innerHTML = rows.map(r =>
          '<li><a href="/nb/' + 'a' + r[1] + '.html">' + r[0] + '</a></li>').join('');"""
    list_page = page("政府信息公开年报", "<ul id='list'></ul>", script)[1].replace(b"charset='utf-8'", b"charset='gb2312'")
    portal = PagesPortal({WWW: {
        "/": home("<a href='/xxgk/nb/'>政府信息公开年报</a>"),
        "/xxgk/nb/": ("text/html; charset=gb2312", list_page),
        "/nb/a2024.html": report(2024), "/nb/a2023.html": report(2023),
    }})
    got = crawl_portal(portal, tmp_path, AGENCY, HOME)
    assert {url("/nb/a2024.html"), url("/nb/a2023.html")} <= got.reports
    assert got.stats.get("nianbao/render_charset_fixed", 0) >= 1


def test_a_list_loaded_on_scroll_is_read_to_its_last_page(tmp_path: Path) -> None:
    # each scroll loads one more page of a JSON list; the browser scrolls once, the answer says how
    # many pages there are: the rest are fetched as data, not scrolled for
    script = """
        var p = 0, busy = false;
        window.addEventListener('scroll', function () {
          if (busy) return; busy = true;
          fetch('/api/nb.json?page=' + (p + 1)).then(r => r.json()).then(d => { p = d.page; busy = false;
            d.items.forEach(x => { var li = document.createElement('li'); li.textContent = x.title;
              li.onclick = function () { location.href = x.url; }; document.getElementById('list').appendChild(li); });
          }); });"""
    pages = {"/": home("<a href='/xxgk/nb/'>政府信息公开年报</a>"),
             "/xxgk/nb/": page("政府信息公开年报", "<ul id='list'></ul><div style='height:3000px'></div>", script)}
    for year in (2024, 2023, 2022, 2021):
        pages[f"/nb/a{year}.html"] = report(year)
    answers = {n: {"page": n, "pages": 4, "items": [{"title": f"开发县{y}年政府信息公开工作年度报告", "url": f"/nb/a{y}.html"}]}
               for n, y in enumerate((2024, 2023, 2022, 2021), start=1)}

    class Lazy(PagesPortal):
        def respond(self, method: str, u: str, headers: dict | None = None):
            answer = super().respond(method, u, headers)  # kept in requests and times like any request
            if "/api/nb.json" in u:
                n = int(u.rsplit("page=", 1)[1]) if "page=" in u else 1
                return Response(200, json.dumps(answers.get(n, {"items": []}), ensure_ascii=False).encode(),
                                {"Content-Type": "application/json; charset=utf-8"})
            return answer

    got = crawl_portal(Lazy({WWW: pages}), tmp_path, AGENCY, HOME)
    assert {url(f"/nb/a{y}.html") for y in (2024, 2023, 2022, 2021)} <= got.reports
    assert got.stats.get("nianbao/rendered", 0) <= 2


def test_a_button_that_never_stands_still_is_still_pressed_and_not_pressed_again_for_nothing(tmp_path: Path) -> None:
    # 「加载更多」 in a scrolling band (a marquee, common on portals): never stable, so a person-like
    # click waits for ever; the click event is dispatched to it instead.  Its second press loads
    # nothing new, so there is no third
    script = """
        document.getElementById('more').addEventListener('click', function () {
          fetch('/api/more.json').then(r => r.json()).then(d => { d.forEach(x => {
            var li = document.createElement('li'); li.innerHTML = '<a href="' + x.u + '">' + x.t + '</a>';
            document.getElementById('list').appendChild(li); }); }); });"""
    band = ("<style>@keyframes band { from { transform: translateX(0) } to { transform: translateX(300px) } }"
            "#more { display: inline-block; animation: band 0.5s linear infinite }</style>")
    pages = {"/": home("<a href='/xxgk/nb/'>政府信息公开年报</a>"),
             "/xxgk/nb/": page("政府信息公开年报", band + "<ul id='list'><li><a href='/nb/a2024.html'>"
                               "开发县2024年政府信息公开工作年度报告</a></li></ul><span id='more'>加载更多</span>", script),
             "/api/more.json": ("application/json", json.dumps(
                 [{"t": f"开发县{y}年政府信息公开工作年度报告", "u": f"/nb/a{y}.html"} for y in (2023, 2022)],
                 ensure_ascii=False).encode())}
    for year in (2024, 2023, 2022):
        pages[f"/nb/a{year}.html"] = report(year)
    portal = PagesPortal({WWW: pages})
    got = crawl_portal(portal, tmp_path, AGENCY, HOME)
    assert {url(f"/nb/a{y}.html") for y in (2024, 2023, 2022)} <= got.reports
    assert got.stats.get("nianbao/clicks", 0) == 2 and portal.requests.count(url("/api/more.json")) == 2


def test_a_page_reached_again_is_not_rendered_again(tmp_path: Path) -> None:
    # the start page needs the browser twice over (a menu written by script, whose folder '/xxgk/'
    # pieced out of the script is a failing guess) and the column links back to it as 首页: it is
    # fetched again, and rendered once
    menu = """var MENU = [{n: '首页', h: '/'}, {n: '信息公开', h: '/xxgk/'}];
        document.getElementById('menu').innerHTML = MENU.map(m => '<a href="#' + m.h + '" data-h="' + m.h +
          '" onclick="location.href=this.dataset.h + \\'index.html\\'; return false;">' + m.n + '</a>').join(' ');"""
    portal = PagesPortal({WWW: {
        "/": home("<div id='menu'></div>", menu),
        "/xxgk/index.html": page("政府信息公开", "<a href='/'>首页</a><ul><li><a href='/nb/a2024.html'>"
                                 "开发县2024年政府信息公开工作年度报告</a></li></ul>"),
        "/nb/a2024.html": report(2024),
    }})
    got = crawl_portal(portal, tmp_path, AGENCY, HOME)
    assert url("/nb/a2024.html") in got.reports
    assert portal.requests.count(HOME) >= 2 and url("/xxgk/") in portal.requests  # reached again; the guess failed
    assert got.stats.get("nianbao/rendered", 0) == 1, got.stats.get("nianbao/rendered")


def test_sister_hosts_are_the_governments_and_no_one_elses(tmp_path: Path) -> None:
    # the county's disclosure column lives on the prefecture's platform, linked from a menu written by script
    portal = PagesPortal({
        WWW: {"/": home("<div id='menu'></div>", """
            document.getElementById('menu').innerHTML =
              '<a href="http://zwgk.shangji.gov.cn/990101/">开发县政府信息公开</a>' +
              '<a href="http://www.linxian.gov.cn/nb/a2024.html">邻县2024年政府信息公开工作年度报告</a>' +
              '<a href="http://www.example.com/nb.html">政府信息公开年度报告汇编</a>';""")},
        "zwgk.shangji.gov.cn": {
            "/990101/": page("开发县 政府信息公开", "<a href='/990101/nb/'>政府信息公开年报</a>"),
            "/990101/nb/": page("政府信息公开年报", "<a href='/990101/nb/a2024.html'>开发县2024年政府信息公开工作年度报告</a>"),
            "/990101/nb/a2024.html": report(2024),
        },
        "www.linxian.gov.cn": {"/nb/a2024.html": report(2024)},
        "www.example.com": {"/nb.html": report(2024)},
    })
    got = crawl_portal(portal, tmp_path, AGENCY, HOME)
    assert url("/990101/nb/a2024.html", "zwgk.shangji.gov.cn") in got.fetched
    assert not [u for u in portal.requests if "linxian" in u or "example.com" in u]
    assert got.stats.get("nianbao/sister_hosts", 0) >= 1


def test_budgets_bound_renders_and_clicks(tmp_path: Path) -> None:
    (tmp_path / "clicks").mkdir(), (tmp_path / "renders").mkdir()
    got = crawl_portal(_pager_portal(), tmp_path / "clicks", AGENCY, HOME, "NIANBAO_CLICK_BUDGET=2")
    assert got.stats.get("nianbao/clicks", 0) <= 2
    assert url("/nb/a2023.html") in got.fetched and url("/nb/a2022.html") not in got.fetched  # 3 clicks away
    got = crawl_portal(_pager_portal(), tmp_path / "renders", AGENCY, HOME, "NIANBAO_RENDER_BUDGET=1")
    assert got.stats.get("nianbao/render_requested", 0) == 1 and got.stats.get("nianbao/render_budget_out", 0) >= 1
    assert url("/nb/a2024.html") in got.fetched and url("/nb/a2023.html") not in got.fetched


def test_the_diagnosis_tells_what_the_browser_did(tmp_path: Path) -> None:
    portal = PagesPortal({WWW: {
        "/": home("<div id='menu'></div>", """
            document.getElementById('menu').innerHTML = '<a href="/news/">新闻动态</a><a href="/about.html">关于我们</a>';"""),
        "/news/": page("新闻动态", "<a href='/news/1.html'>县长调研</a>"),
        "/about.html": page("关于我们", "<p>简介</p>"),
        "/news/1.html": page("县长调研", "<p>新闻</p>"),
    }})
    got = crawl_portal(portal, tmp_path, AGENCY, HOME)
    assert not got.reports
    assert "诊断：走过的页面 开发县人民政府门户网站 → 开发县人民政府门户网站（浏览器）" in got.runs
    assert "浏览器渲染 1 页" in got.runs and "render=always" in got.runs


def test_diagnosis_reasons_are_pure() -> None:
    assert diagnosis_reasons(0, None, []) == {"none": True}
    assert diagnosis_reasons(3, 3, [2022, 2023, 2024]) == {}
    assert diagnosis_reasons(2, 3, [2021, 2024]) == {"fewer": [2, 3], "missing_years": [2022, 2023]}


def test_the_diagnosis_when_reports_vanish_or_years_are_missing(tmp_path: Path) -> None:
    def portal(years: tuple[int, ...]) -> PagesPortal:
        items = "".join(f"<li><a href='/nb/a{y}.html'>开发县{y}年政府信息公开工作年度报告</a></li>" for y in years)
        return PagesPortal({WWW: {"/": home("<a href='/xxgk/nb/'>政府信息公开年报</a>"),
                                  "/xxgk/nb/": page("政府信息公开年报", f"<ul>{items}</ul>"),
                                  **{f"/nb/a{y}.html": report(y) for y in years}}})

    first = crawl_portal(portal((2024, 2022)), tmp_path, AGENCY, HOME, "NIANBAO_BROWSER=False")
    assert len(first.reports) == 2 and "诊断：缺少年度 2023（首末年度之间没有报告）" in first.runs
    second = crawl_portal(portal((2022,)), tmp_path, AGENCY, HOME, "NIANBAO_BROWSER=False")
    assert "诊断：本次找到 1 份报告，上次 2 份" in second.runs.split("#1 crawl")[0]  # the newest run first
    with Store(tmp_path / "n.db") as store:
        users.add_user(store, "bob", "secret-pass-2", "readonly")
    app = create_app(tmp_path / "n.db")
    try:
        client = TestClient(app)
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
        client.post("/login", data={"username": "bob", "password": "secret-pass-2", "csrf_token": token})
        html = client.get("/runs/2").text
    finally:
        app.state.store.close()
    assert '<tr class="diagnosis">' in html and "本次找到 1 份报告，上次 2 份" in html and "建议：" in html
