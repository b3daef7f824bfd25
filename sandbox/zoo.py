"""The zoo: county portals in CMS styles the main sandbox does not have, for measuring generalisation.

Each family imitates a kind of site real governments run, with the quirks that defeat a crawler
written for other templates (none of them exotic):

- ``hanweb``: 大汉 jcms style. The column's list is an XML data island
  (``<script type="text/xml"><datastore><recordset><record><![CDATA[<li>…</li>]]>``) that a script
  turns into the list; later pages come from a pager the same script writes (``?pageNum=2``).
- ``gkmlpt``: 数字广东 style disclosure platform on a sister host (``xxgk.<base>``), reached from the
  portal's 信息公开 menu; an empty single-page app whose script assembles an API URL
  (``/gkmlpt/api/all/`` + column id) and renders the JSON it returns.
- ``aspframes``: an old ASP site: the home page is a frameset, columns are chosen in a
  ``<select>`` jump menu, and the list's pager is ``onclick="goPage(2)"`` building the URL in script.
- ``lazyspa``: a new SPA-style portal: menu written by script from a JS array, the report list
  fetched by XHR only when the reader scrolls, a 「加载更多」 button for the older years.
- ``terse``: a plain static site with terse or odd texts: the column is named 「年报」 under a
  numbered 信息公开 tree (``/0203/``), and the list mixes reports with 统计年报, 工作要点,
  法治政府建设年度报告 and a notice about compiling the report (decoys).

Ground truth as the main sandbox's (``ground_truth()``: sites, reports with URL, agency, year and
publication date, decoys), so :func:`nianbao.sandbox.truth.compare` scores a crawl of it.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import random
from dataclasses import dataclass, field
from typing import Any

from nianbao.sandbox.names import County, real_counties
from nianbao.sandbox.render import render_page
from nianbao.sandbox.reports import build_report, report_title
from nianbao.sandbox.response import Response

FAMILIES = ("hanweb", "gkmlpt", "aspframes", "lazyspa", "terse")
YEARS = tuple(range(2019, 2025))
DECOY_TITLES = ("{c}{y}年统计年报", "{c}{y}年政务公开工作要点", "{c}{y}年法治政府建设年度报告",
                "关于做好{y}年政府信息公开工作年度报告编制工作的通知")  # fmt: skip


def _page(title: str, body: str, *, head: str = "", script: str = "") -> bytes:
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title>{head}</head>'
            f"<body>{body}<script>{script}</script></body></html>").encode()


@dataclass
class ZooPortal:
    family: str
    agency: str
    short: str
    host: str
    region: str
    parent: str = ""
    pages: dict[str, dict[str, tuple[str, bytes]]] = field(default_factory=dict)  # host -> path -> (type, body)
    reports: list[dict[str, Any]] = field(default_factory=list)
    decoys: list[dict[str, Any]] = field(default_factory=list)

    @property
    def base(self) -> str:
        return self.host.removeprefix("www.")

    def put(self, path: str, body: bytes | str, ctype: str = "text/html", host: str | None = None) -> None:
        data = body.encode() if isinstance(body, str) else body
        self.pages.setdefault(host or self.host, {})[path] = (ctype, data)


class Zoo:
    """A network of ``per_family`` portals of each family (deterministic in ``seed``)."""

    def __init__(self, seed: int = 1, per_family: int = 2, families: tuple[str, ...] = FAMILIES,
                 assign: list[tuple[str, County]] | None = None) -> None:
        """``assign`` (family, county) pairs instead of ``per_family`` counties drawn for each family
        (the main network's ``generate(..., families=...)`` hands its zoo portals their counties)."""
        self.seed = seed
        if assign is None:
            rng = random.Random(f"zoo-{seed}")
            counties = list(real_counties())
            rng.shuffle(counties)
            assign = [(family, counties[f_i * per_family + k]) for f_i, family in enumerate(families)
                      for k in range(per_family)]  # fmt: skip
        self.portals: list[ZooPortal] = []
        built: dict[str, int] = {}
        for family, c in assign:
            if family not in FAMILIES:
                raise ValueError(f"unknown zoo family: {family}")
            k = built[family] = built.get(family, -1) + 1
            p = ZooPortal(family, c.government, c.name, c.host, c.adcode, c.parent_government)
            getattr(self, f"_build_{family}")(p, random.Random(f"{seed}-{family}-{k}"))
            self.portals.append(p)
        self._hosts = {h: p for p in self.portals for h in p.pages}
        self.requests: list[str] = []

    # ---------------------------------------------------------------- shared pieces

    def _reports(self, p: ZooPortal, rng: random.Random, path_of) -> list[tuple[int, str, str, dt.date]]:
        """Generate the portal's reports; put each at ``path_of(year, i)``; returns (year, path, title, date)."""
        out = []
        for i, year in enumerate(YEARS):
            published = dt.date(year + 1, 1, 10) + dt.timedelta(days=rng.randrange(0, 60))
            gen = build_report(p.agency, "government", year, rng, county=p.agency, portal=f"http://{p.host}/",
                               signed=published)  # fmt: skip
            title = report_title(p.agency, year)
            gen.report.title = title
            body = render_page(gen.report, rng.choice(("official", "word")))
            meta = f'<meta name="PubDate" content="{published.isoformat()} 09:30">'
            body = body.replace("</head>", meta + "</head>", 1).replace(
                "<body>", f"<body><div class='info'>发布时间：{published.isoformat()}</div>", 1)
            path = path_of(year, i)
            p.put(path, body)
            out.append((year, path, title, published))
            p.reports.append({"agency": p.agency, "year": year, "url": f"http://{p.host}{path}",
                              "page": f"http://{p.host}{path}", "attachments": [],
                              "published": published.isoformat(), "template": p.family, "host": p.host})  # fmt: skip
        return out

    def _decoys(self, p: ZooPortal, rng: random.Random, path_of) -> list[tuple[str, str, dt.date]]:
        out = []
        for i, pattern in enumerate(DECOY_TITLES):
            y = rng.choice(YEARS)
            title = pattern.format(c=p.short, y=y)
            path = path_of(i)
            p.put(path, _page(title, f"<h1>{html.escape(title)}</h1><p>（本文不是年度报告）</p>"))
            out.append((path, title, dt.date(y + 1, 2, 1)))
            p.decoys.append({"url": f"http://{p.host}{path}", "title": title})
        return out

    def _home(self, p: ZooPortal, menu: str, *, script: str = "", head: str = "") -> None:
        p.put("/", _page(f"{p.agency}门户网站", f"<div class='top'>{p.agency}</div>{menu}"
                         "<div class='news'><a href='/news/1.html'>县长调研农业生产</a></div>",
                         script=script, head=head))  # fmt: skip
        p.put("/news/1.html", _page("县长调研农业生产", "<p>新闻</p>"))
        p.put("/robots.txt", "User-agent: *\nDisallow: /admin/\n", "text/plain")

    # ---------------------------------------------------------------- families

    def _build_hanweb(self, p: ZooPortal, rng: random.Random) -> None:
        self._home(p, "<ul class='nav'><li><a href='/col/col1/index.html'>首页</a></li>"
                      "<li><a href='/col/col3012/index.html'>政府信息公开</a></li></ul>")
        reps = self._reports(p, rng, lambda y, i: f"/art/{y + 1}/{rng.randrange(1, 12)}/{i + 100}/art_3015_{i + 5000}.html")
        decs = self._decoys(p, rng, lambda i: f"/art/2024/1/{i + 300}/art_3015_{i + 7000}.html")
        p.put("/col/col3012/index.html", _page("政府信息公开", "<ul><li><a href='/col/col3015/index.html'>"
                                                 "政府信息公开年度报告</a></li><li><a href='/col/col3016/index.html'>"
                                                 "政策文件</a></li></ul>"))
        items = [(t, pa, d) for _, pa, t, d in reps] + decs
        rng.shuffle(items)
        per = 5
        chunks = [items[i:i + per] for i in range(0, len(items), per)]
        for n, chunk in enumerate(chunks, start=1):
            records = "".join(
                f"<record><![CDATA[<li><a href='{pa}' target='_blank' title='{html.escape(t)}'>{html.escape(t)}"
                f"</a><span>{d.isoformat()}</span></li>]]></record>" for t, pa, d in chunk)  # fmt: skip
            island = (f'<script type="text/xml"><datastore><nextgroup><![CDATA[]]></nextgroup>'
                      f"<recordset>{records}</recordset></datastore></script>")
            script = (f"var totalRecord = {len(items)}, perPage = {per}, pageNum = {n};"
                      "var ds = document.querySelector('script[type=\"text/xml\"]').textContent;"
                      "var out = ''; ds.replace(/<!\\[CDATA\\[([\\s\\S]*?)\\]\\]>/g, function(m, x){ out += x; });"
                      "document.getElementById('div3015').innerHTML = '<ul>' + out + '</ul>';"
                      "var pages = Math.ceil(totalRecord / perPage), pg = '';"
                      "for (var k = 1; k <= pages; k++) { pg += k == pageNum ? '<b>' + k + '</b> ' :"
                      " '<a href=\"?uid=3015&pageNum=' + k + '\">' + k + '</a> '; }"
                      "document.getElementById('pager').innerHTML = pg;")
            body = _page("政府信息公开年度报告", f"<div id='div3015'></div>{island}<div id='pager'></div>",
                         script=script)
            p.put("/col/col3015/index.html" + ("" if n == 1 else f"?uid=3015&pageNum={n}"), body)

    def _build_gkmlpt(self, p: ZooPortal, rng: random.Random) -> None:
        xxgk = f"xxgk.{p.base}"
        self._home(p, f"<ul class='nav'><li><a href='http://{xxgk}/gkmlpt/index'>政府信息公开</a></li>"
                      "<li><a href='/zwdt/'>政务动态</a></li></ul>")
        reps = self._reports(p, rng, lambda y, i: f"/gkmlpt/content/{y}/{y + 1}{i:02d}/post_{rng.randrange(10**6, 10**7)}.html")
        decs = self._decoys(p, rng, lambda i: f"/gkmlpt/content/2024/2024{i:02d}/post_{900 + i}.html")
        # the reports live on the platform host: move them there
        for h in list(p.pages[p.host]):
            if h.startswith("/gkmlpt/"):
                p.pages.setdefault(xxgk, {})[h] = p.pages[p.host].pop(h)
        for r in p.reports:
            r["url"] = r["page"] = r["url"].replace(f"http://{p.host}", f"http://{xxgk}")
            r["host"] = xxgk
        for d in p.decoys:
            d["url"] = d["url"].replace(f"http://{p.host}", f"http://{xxgk}")
        app = _page("政府信息公开", "<div id='app'><div class='loading'>加载中…</div></div>", script=(
            "var base = location.protocol + '//' + location.host; var col = [2, 4, 1].join('');"
            "function load(id){ fetch(base + '/gkmlpt/api/all/' + id + '?page=1&sid=' + 7).then(r => r.json())"
            ".then(d => { document.getElementById('app').innerHTML = '<ul>' + d.articles.map(a =>"
            " '<li><a href=\"' + a.url + '\">' + a.title + '</a><span>' + a.date + '</span></li>').join('') + '</ul>'; }); }"
            "function route(){ if ((location.hash || '#').indexOf('ndbg') >= 0) load(col); else"
            " document.getElementById('app').innerHTML = '<a href=\"#/ndbg\">政府信息公开年度报告</a>"
            " <a href=\"#/zcwj\">政策文件</a>'; }"
            "window.addEventListener('hashchange', route); route();"))
        p.put("/gkmlpt/index", app, host=xxgk)
        arts = [{"title": t, "url": f"http://{xxgk}{pa}", "date": d.isoformat()} for _, pa, t, d in reps]
        arts += [{"title": t, "url": f"http://{xxgk}{pa}", "date": d.isoformat()} for pa, t, d in decs]
        p.put("/gkmlpt/api/all/241", json.dumps({"total": len(arts), "articles": arts}, ensure_ascii=False),
              "application/json", host=xxgk)
        p.put("/robots.txt", "User-agent: *\nDisallow:\n", "text/plain", host=xxgk)

    def _build_aspframes(self, p: ZooPortal, rng: random.Random) -> None:
        p.put("/", f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{p.agency}</title></head>'
                   "<frameset rows='120,*'><frame src='top.asp' name='top'><frame src='main.asp' name='main'>"
                   "</frameset></html>")
        p.put("/top.asp", _page("top", f"<b>{p.agency}</b>"))
        p.put("/main.asp", _page("main", "<p>欢迎访问</p><select name='jump' "
                                         "onchange=\"if(this.value) location.href=this.value\">"
                                         "<option value=''>--栏目导航--</option><option value='news.asp?cid=1'>"
                                         "新闻中心</option><option value='list.asp?cid=18'>政府信息公开年报</option>"
                                         "</select>"))
        p.put("/robots.txt", "User-agent: *\nDisallow:\n", "text/plain")
        reps = self._reports(p, rng, lambda y, i: f"/show.asp?id={2000 + i * 7}")
        decs = self._decoys(p, rng, lambda i: f"/show.asp?id={3000 + i}")
        items = [(t, pa, d) for _, pa, t, d in reps] + decs
        rng.shuffle(items)
        per = 4
        pages = [items[i:i + per] for i in range(0, len(items), per)]
        for n, chunk in enumerate(pages, start=1):
            rows = "".join(f"<tr><td><a href='{pa}'>{html.escape(t)}</a></td><td>{d.isoformat()}</td></tr>"
                           for t, pa, d in chunk)  # fmt: skip
            pager = (f"第{n}/{len(pages)}页 " + (f"<a href='#' onclick='goPage({n + 1});return false;'>下一页</a>"
                     if n < len(pages) else ""))  # fmt: skip
            p.put("/list.asp?cid=18" + ("" if n == 1 else f"&page={n}"), _page(
                "政府信息公开年报", f"<table>{rows}</table><div class='pager'>{pager}</div>",
                script="function goPage(n){ window.location = 'list.asp?cid=' + 18 + '&page=' + n; }"))

    def _build_lazyspa(self, p: ZooPortal, rng: random.Random) -> None:
        self._home(p, "<div id='menu'></div>", script=(
            "var MENU = [{n: '首页', h: '/'}, {n: '信息公开', h: '/xxgk/'}, {n: '互动交流', h: '/hd/'}];"
            "document.getElementById('menu').innerHTML = MENU.map(m => '<a href=\"#' + m.h + '\" data-h=\"'"
            " + m.h + '\" onclick=\"location.href=this.dataset.h + \\'index.html\\'; return false;\">' + m.n +"
            " '</a>').join(' ');"))
        p.put("/xxgk/index.html", _page("信息公开", "<ul><li><a href='/xxgk/ndbg/index.html'>年度报告</a></li>"
                                                "<li><a href='/xxgk/zcwj/index.html'>政策文件</a></li></ul>"))
        reps = self._reports(p, rng, lambda y, i: f"/xxgk/ndbg/{y + 1}/c{rng.randrange(10**5, 10**6)}.html")
        decs = self._decoys(p, rng, lambda i: f"/xxgk/ndbg/2024/d{i}.html")
        items = [{"t": t, "u": pa, "d": d.isoformat()} for _, pa, t, d in reps] + \
            [{"t": t, "u": pa, "d": d.isoformat()} for pa, t, d in decs]
        rng.shuffle(items)
        first, rest = items[:4], items[4:]
        p.put("/data/ndbg-1.json", json.dumps(first, ensure_ascii=False), "application/json")
        p.put("/data/ndbg-2.json", json.dumps(rest, ensure_ascii=False), "application/json")
        p.put("/xxgk/ndbg/index.html", _page("年度报告", "<ul id='list'></ul><div style='height:2400px'></div>"
                                                     "<button id='more'>加载更多</button>", script=(
            "function show(d){ document.getElementById('list').innerHTML += d.map(x => '<li><a href=\"' + x.u +"
            " '\">' + x.t + '</a> ' + x.d + '</li>').join(''); }"
            "var loaded = false; window.addEventListener('scroll', function(){ if (loaded) return; loaded = true;"
            " fetch('/data/ndbg-' + 1 + '.json').then(r => r.json()).then(show); });"
            "document.getElementById('more').onclick = function(){ fetch('/data/ndbg-' + 2 + '.json')"
            ".then(r => r.json()).then(show); };")))

    def _build_terse(self, p: ZooPortal, rng: random.Random) -> None:
        self._home(p, "<ul class='nav'><li><a href='/0203/index.html'>信息公开</a></li>"
                      "<li><a href='/0301/index.html'>办事服务</a></li></ul>")
        p.put("/0203/index.html", _page("信息公开", "<ul><li><a href='/0203/01/index.html'>机构职能</a></li>"
                                                "<li><a href='/0203/07/index.html'>年报</a></li>"
                                                "<li><a href='/0203/08/index.html'>统计信息</a></li></ul>"))
        reps = self._reports(p, rng, lambda y, i: f"/0203/07/{i + 1:04d}.html")
        decs = self._decoys(p, rng, lambda i: f"/0203/07/{i + 90:04d}.html")
        rows = [(f"{y}年度", pa, d) for y, pa, _, d in reps] + [(t, pa, d) for pa, t, d in decs]
        rng.shuffle(rows)
        lis = "".join(f"<li><a href='{pa}'>{html.escape(t)}</a><span>{d.isoformat()}</span></li>" for t, pa, d in rows)
        p.put("/0203/07/index.html", _page("年报", f"<ul class='list'>{lis}</ul>"))

    # ---------------------------------------------------------------- network interface

    def respond(self, method: str, url: str, headers: dict | None = None) -> Response | None:
        self.requests.append(url)
        rest = url.split("://", 1)[-1]
        host, _, path = rest.partition("/")
        host = host.lower()
        path = "/" + path.split("#")[0]
        if host not in self._hosts:
            return None
        pages = self._hosts[host].pages[host]
        hit = pages.get(path) or pages.get(path.split("?")[0])  # an API ignores the parameters it does not know
        if hit is None:
            return Response(404, b"<html><body>404</body></html>", {"Content-Type": "text/html; charset=utf-8"})
        ctype, body = hit
        return Response(200, body, {"Content-Type": f"{ctype}; charset=utf-8"})

    def sites_csv(self) -> str:
        lines = ["agency,url,level,region"]
        lines += [f"{p.agency},http://{p.host}/,county,{p.region}" for p in self.portals]
        return "\n".join(lines) + "\n"

    def ground_truth(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "sites": [{"agency": p.agency, "url": f"http://{p.host}/", "template": p.family, "host": p.host}
                      for p in self.portals],
            "reports": [r for p in self.portals for r in p.reports],
            "decoys": [d for p in self.portals for d in p.decoys],
        }
