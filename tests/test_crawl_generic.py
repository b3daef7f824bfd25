"""Generic discovery on pages no template of ours describes: each mechanism on a small page.

Static mechanisms are pure (``parse_page``/``script_links``); the browser mechanisms run a real
crawl (``nianbao crawl`` through the sandbox proxy, real Chromium) of a tiny portal whose reports
can only be reached by rendering and acting in the page, with the CMS hints switched off.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nianbao.crawler.extract import parse_page, script_links
from nianbao.sandbox.harness import PagesPortal, crawl_portal

HOST = "http://www.kaifa.gov.cn"


def test_frames_handlers_menus_and_script_lists_are_read_without_a_browser() -> None:
    html = """<html><head><title>政府信息公开</title><script>
      var list = [{title: '开发县2023年政府信息公开工作年度报告', url: '/nb/2023.html', time: '2024-01-20'}];
      document.write("<li><a href='/nb/2022.html'>开发县2022年政府信息公开工作年度报告</a><span>2023-01-18</span></li>");
    </script></head><body>
      <iframe src="/xxgk/frame.html" title="信息公开目录"></iframe>
      <span onclick="window.location.href='/xxgk/nb/'">政府信息公开年报</span>
      <a href="javascript:void(0)" onclick="openWin('/nb/2021.html')">2021年度报告</a>
      <select onchange="location=this.value"><option value="">请选择</option><option value="/xxgk/gknb/">公开年报</option></select>
      <div class="pager"><span id="nx">下一页</span><a href="/about.html">下一页</a></div>
    </body></html>"""
    page = parse_page(html.encode(), HOST + "/")
    got = {(link.how, link.url.removeprefix(HOST), link.text) for link in page.links}
    assert ("frame", "/xxgk/frame.html", "信息公开目录") in got
    assert ("handler", "/xxgk/nb/", "政府信息公开年报") in got
    assert ("handler", "/nb/2021.html", "2021年度报告") in got
    assert ("option", "/xxgk/gknb/", "公开年报") in got
    assert page.interactive and page.frames == 1
    assert page.unresolved.count("下一页") == 1  # the span a listener wires (the real link is read as a link)
    scripted = {(link.url.removeprefix(HOST), link.text, link.list_date) for link in script_links(page.scripts, page.url)}
    assert ("/nb/2023.html", "开发县2023年政府信息公开工作年度报告", "2024-01-20") in scripted
    assert ("/nb/2022.html", "开发县2022年政府信息公开工作年度报告", "2023-01-18") in scripted


def test_a_handler_calling_the_pages_own_function_is_read_without_a_browser() -> None:
    # old JSP lists: items open by onclick, the pager calls a function that builds the URL by concatenation
    html = """<html><head><title>政府信息公开年报</title></head><body><ul>
      <li><a href="javascript:void(0);" onclick="openDoc('/nb/c1.html')">开发县2024年政府信息公开工作年度报告</a></li></ul>
      <div class="page"><a href="javascript:goPage(2)">2</a> <a href="#" onclick="jump('nb', 3);return false;">3</a>
      <a href="javascript:other(4)">4</a></div>
      <script>function openDoc(u){window.open(u);}
      function goPage(p){location.href="/xxgk/nb/list.jsp?pageNo="+p;}
      var jump = function(c, n) { window.location = '/xxgk/' + c + '/list.asp?cid=' + 18 + '&page=' + n; };
      function other(n){ location.href = base + n; }</script></body></html>"""
    page = parse_page(html.encode(), HOST + "/xxgk/nb/index.html")
    got = {(link.how, link.url.removeprefix(HOST), link.text) for link in page.links}
    assert ("handler", "/nb/c1.html", "开发县2024年政府信息公开工作年度报告") in got
    assert ("handler", "/xxgk/nb/list.jsp?pageNo=2", "2") in got
    assert ("handler", "/xxgk/nb/list.asp?cid=18&page=3", "3") in got
    assert page.unresolved == ["4"]  # a URL built from what the page does not show: the browser's job


def test_a_script_record_split_into_folder_and_file_name_is_joined() -> None:
    scripts = ('var docs=[["http://www.kaifa.gov.cn/xxgk/nb/zf/", "c_74333.html", "开发县2024年政府信息公开工作年度报告",'
               ' "2025-01-20"],["http://www.kaifa.gov.cn/xxgk/nb/bm/", "c_72561.html", "开发县2023年政府信息公开工作年度报告",'
               ' "2024-01-25"]];')
    got = {(link.url.removeprefix(HOST), link.text, link.list_date)
           for link in script_links(scripts, HOST + "/xxgk/nb/index.html")}
    assert ("/xxgk/nb/zf/c_74333.html", "开发县2024年政府信息公开工作年度报告", "2025-01-20") in got
    assert ("/xxgk/nb/bm/c_72561.html", "开发县2023年政府信息公开工作年度报告", "2024-01-25") in got
    assert not any(u.startswith("/xxgk/nb/c_") for u, _, _ in got)  # not joined to the list's own folder


def _page(title: str, body: str, script: str = "") -> bytes:
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head><body>{body}"
            f"<script>{script}</script></body></html>").encode()


def _report(year: int) -> bytes:
    return _page(f"开发县{year}年政府信息公开工作年度报告",
                 f"<h1>开发县人民政府{year}年政府信息公开工作年度报告</h1><p>一、总体情况</p><p>开发县人民政府</p>")


class TinyPortal(PagesPortal):
    """A portal whose reports hide behind script: a menu built by script, a list fetched by XHR from
    a URL assembled in script, a pager that navigates from an onclick handler, a list that loads
    more on scroll, and a report list inside an iframe on a sister host of the same government."""

    REPORTS = {2024: "/art/a2024.html", 2023: "/art/a2023.html", 2022: "/art/p2/a2022.html",
               2021: "/art/lazy/a2021.html", 2020: "http://xxgk.kaifa.gov.cn/gk/a2020.html"}  # fmt: skip

    def __init__(self) -> None:
        self.pages: dict[str, tuple[str, bytes]] = {
            "/": ("text/html", _page("开发县人民政府门户网站", "<div id='menu'></div>", """
                var m = document.getElementById('menu'); var parts = ['xx', 'gk'];
                m.innerHTML = '<a href="/' + parts.join('') + '/index.html">信息公开</a>';""")),
            "/xxgk/index.html": ("text/html", _page("信息公开", """
                <ul><li><span class='tab' onclick="go('nb')">政府信息公开年报</span></li></ul>
                <iframe src='http://xxgk.kaifa.gov.cn/gk/list.html' title='公开目录'></iframe>""",
                "function go(c){ location.href = ['', 'xxgk', c, 'list.html'].join('/'); }")),
            "/xxgk/nb/list.html": ("text/html", _page("政府信息公开年报", """
                <ul id='list'></ul><span class='pager' onclick="turn(2)">下一页</span>
                <div id='more' style='height:3000px'></div>""", """
                fetch('/api/' + 'columns/' + 7 + '?size=20').then(r => r.json()).then(d => {
                  document.getElementById('list').innerHTML = d.rows.map(
                    x => '<li><a href="' + x.link + '">' + x.name + '</a></li>').join(''); });
                function turn(n){ location.href = '/xxgk/nb/list_{n}.html'.replace('{n}', n); }
                window.addEventListener('scroll', function once(){
                  window.removeEventListener('scroll', once);
                  fetch('/api/lazy').then(r => r.text()).then(t => { document.getElementById('more').innerHTML = t; });
                });""")),
            "/api/columns/7": ("application/json", (
                '{"rows":[{"name":"开发县2024年政府信息公开工作年度报告","link":"/art/a2024.html"},'
                '{"name":"开发县2023年政府信息公开工作年度报告","link":"/art/a2023.html"},'
                '{"name":"开发县2024年统计年报","link":"/art/tj2024.html"}]}').encode()),
            "/api/lazy": ("text/html", "<a href='/art/lazy/a2021.html'>开发县2021年政府信息公开工作年度报告</a>".encode()),
            "/xxgk/nb/list_2.html": ("text/html", _page("政府信息公开年报 第2页",
                "<ul><li><a href='/art/p2/a2022.html'>开发县2022年政府信息公开工作年度报告</a></li></ul>")),
            "/art/tj2024.html": ("text/html", _page("开发县2024年统计年报", "<h1>开发县2024年统计年报</h1>")),
        }
        for year, path in self.REPORTS.items():
            if path.startswith("/"):
                self.pages[path] = ("text/html", _report(year))
        sister = {
            "/gk/list.html": ("text/html", _page("公开年报", "<ul><li><a href='/gk/a2020.html'>"
                                                  "开发县2020年政府信息公开工作年度报告</a></li></ul>")),
            "/gk/a2020.html": ("text/html", _report(2020)),
        }
        super().__init__({"www.kaifa.gov.cn": self.pages, "xxgk.kaifa.gov.cn": sister})


@pytest.mark.browser
@pytest.mark.slow
def test_the_browser_finds_what_only_script_and_clicks_show(tmp_path: Path) -> None:
    portal = TinyPortal()
    got = crawl_portal(portal, tmp_path, "开发县人民政府", HOST + "/")
    want = {u if u.startswith("http") else HOST + u for u in TinyPortal.REPORTS.values()}
    assert want <= got.fetched, sorted(want - got.fetched)
    assert HOST + "/art/tj2024.html" not in got.fetched  # the 统计年报 stays a decoy
    assert got.stats.get("nianbao/clicks", 0) >= 1 and got.stats.get("nianbao/xhr_answers", 0) >= 1
    assert got.stats.get("nianbao/render_requested", 0) <= 8  # the portal's render budget
    assert not [u for u in portal.requests if "kaifa.gov.cn" not in u]  # nothing outside the government


@pytest.mark.slow
def test_a_portal_without_reports_says_why_and_what_to_do(tmp_path: Path) -> None:
    empty = PagesPortal({"www.kaifa.gov.cn": {
        "/": ("text/html", _page("空门户", "<a href='/news/'>新闻动态</a><a href='/about.html'>关于我们</a>")),
        "/news/": ("text/html", _page("新闻动态", "<a href='/news/1.html'>县长调研</a>")),
        "/about.html": ("text/html", _page("关于我们", "<p>简介</p>")),
        "/news/1.html": ("text/html", _page("县长调研", "<p>新闻</p>"))}})
    out = crawl_portal(empty, tmp_path, "开发县人民政府", HOST + "/", "NIANBAO_BROWSER=False").runs
    assert ("未找到报告" in out or "栏目为空" in out) and "诊断：走过的页面 空门户" in out
    assert "没有任何像报告、年报栏目或信息公开的链接" in out and "浏览器渲染 0 页" in out
    assert "建议：" in out and "render=always" in out
