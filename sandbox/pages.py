"""HTML of simulated portal pages (home, 信息公开, 指南, column lists, articles, JSON, robots).

Pure functions of a :class:`~sandbox.plan.CountyPlan` (and, for report articles, the report
body already rendered): no I/O, no randomness beyond what the plan fixed.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import math
import posixpath

from nianbao.sandbox.plan import AgencyPlan, Column, CountyPlan, DecoyPlan, ReportPlan

CSS = "body{font-family:'Microsoft YaHei',SimSun;margin:0}.header{background:#b81c22;color:#fff}" \
      ".nav li{display:inline-block;margin:0 12px}.list li{line-height:32px}.date{float:right}\n"

CREATE_PAGE_JS = """// TRS WCM pager
function createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt){
  if(_nPageCount == null || _nPageCount <= 1){ return; }
  var nCurrIndex = _nCurrIndex || 0;
  var html = "";
  if(nCurrIndex == 0){ html += "<span>首页</span> "; }
  else { html += "<a href=\\"" + _sPageName + "." + _sPageExt + "\\">首页</a> "; }
  for(var i = 0; i < _nPageCount; i++){
    var name = (i == 0) ? _sPageName + "." + _sPageExt : _sPageName + "_" + i + "." + _sPageExt;
    if(i == nCurrIndex){ html += "<span class=\\"current\\">" + (i + 1) + "</span> "; }
    else { html += "<a href=\\"" + name + "\\">" + (i + 1) + "</a> "; }
  }
  document.write("<div class=\\"page\\">" + html + "共" + _nPageCount + "页</div>");
}
"""


def charset_label(plan: CountyPlan) -> str | None:
    """The charset the page *declares* in its meta tag (None: no declaration)."""
    return {"utf-8": "utf-8", "gbk": "gbk", "gbk-undeclared": None, "gbk-mislabeled": "utf-8",
            "utf-8-mislabeled": "gb2312"}[plan.charset]


def header_charset(plan: CountyPlan) -> str | None:
    """The charset in the HTTP Content-Type header (None: none sent)."""
    return {"utf-8": "utf-8", "gbk": "GBK", "gbk-undeclared": None, "gbk-mislabeled": None,
            "utf-8-mislabeled": "gb2312"}[plan.charset]


def encode(plan: CountyPlan, text: str) -> bytes:
    """The page bytes in the site's real encoding."""
    if plan.charset.startswith("gbk"):
        return text.encode("gbk", errors="xmlcharrefreplace")
    return text.encode("utf-8")


def href(plan: CountyPlan, host: str, current: str, target_host: str, target: str) -> str:
    """A link as this site writes it (relative, absolute path or full URL)."""
    if target_host != host or plan.href_style == "full":
        return f"http://{target_host}{target}"
    if plan.href_style == "absolute":
        return target
    base = posixpath.dirname(current) if not current.endswith("/") else current.rstrip("/")
    rel = posixpath.relpath(target, base or "/")
    if target.endswith("/") and not rel.endswith("/"):
        rel += "/"
    return rel if rel.startswith(".") else "./" + rel


def _e(s: str) -> str:
    return html.escape(s, quote=True)


def page(plan: CountyPlan, host: str, title: str, body: str, *, metas: dict[str, str] | None = None,
         site_name: str | None = None, home: str = "/") -> str:
    """The common page frame: head with the 政府网站 meta set, header, nav, footer."""
    cs = charset_label(plan)
    decl = ""
    if cs == "utf-8":
        decl = '<meta charset="utf-8">'
    elif cs:
        decl = f'<meta http-equiv="Content-Type" content="text/html; charset={cs}">'
    site = site_name or plan.government
    meta = [f'<meta name="SiteName" content="{_e(site)}">', f'<meta name="SiteDomain" content="{host}">',
            f'<meta name="SiteIDCode" content="{plan.site_id}">']
    meta += [f'<meta name="{k}" content="{_e(v)}">' for k, v in (metas or {}).items()]
    clock = f'<div class="top-date"><span id="nowdate">{plan.clock}</span></div>' if plan.clock else ""
    nav = (f'<ul class="nav"><li><a href="{home}">首页</a></li>'
           f'<li><a href="http://{plan.host}{plan.xxgk}index.html">政务公开</a></li>'
           f'<li><a href="http://{plan.host}/zwfw/index.html">政务服务</a></li>'
           f'<li><a href="http://{plan.host}/hdjl/index.html">互动交流</a></li></ul>')
    return (f"<!DOCTYPE html>\n<html>\n<head>\n{decl}\n" + "\n".join(meta) +
            f"\n<title>{_e(title)}_{_e(site)}</title>\n"
            '<link rel="stylesheet" type="text/css" href="/css/style.css">\n</head>\n<body>\n'
            f'<div class="header">{clock}<div class="logo">{_e(site)}</div>{nav}</div>\n'
            f'<div class="main">\n{body}\n</div>\n'
            f'<div class="footer">主办:{_e(plan.government)}办公室 网站标识码:{plan.site_id} '
            f'ICP备{plan.county.adcode}号</div>\n</body>\n</html>\n')


# ---------------------------------------------------------------------------- navigation pages


def home(plan: CountyPlan, host: str) -> str:
    """The county portal's home page."""
    links = [f'<li><a href="{href(plan, host, "/", plan.host, plan.xxgk + "index.html")}">政府信息公开</a></li>']
    if plan.template != "guide":
        col = plan.columns[(plan.host, plan.main_column)]
        links.append(f'<li><a href="{href(plan, host, "/", plan.host, plan.main_column)}">{col.name}</a></li>')
    if plan.template == "subsites":
        links.append(f'<li><a href="{href(plan, host, "/", plan.host, "/zwgk/bm/index.html")}">部门信息公开</a></li>')
        links.append(f'<li><a href="{href(plan, host, "/", plan.host, "/zwgk/xz/index.html")}">乡镇信息公开</a></li>')
    news = [f'<li><a href="{href(plan, host, "/", plan.host, p)}">{_e(t)}</a><span class="date">{d:%Y-%m-%d}</span></li>'
            for t, p, d in plan.news]
    news += [f'<li><a href="{href(plan, host, "/", plan.host, p)}">{_e(plan.county.name)}召开工作会议</a></li>'
             for p in plan.broken]
    body = (f'<div class="quick"><h3>政务公开</h3><ul>{"".join(links)}</ul></div>\n'
            f'<div class="news"><h3>政务要闻</h3><ul class="list">{"".join(news)}</ul></div>')
    return page(plan, host, "首页", body)


def xxgk_index(plan: CountyPlan, host: str) -> str:
    """The 政府信息公开 page: its menu is the way into the columns."""
    cur = plan.xxgk + "index.html"
    items = [("政府信息公开指南", plan.guide)]
    if plan.template == "guide":
        items.append(("法定主动公开内容", f"{plan.xxgk}fdzdgknr/index.html"))
    else:
        items.append((plan.columns[(plan.host, plan.main_column)].name, plan.main_column))
    for (h, path), col in sorted(plan.columns.items()):
        if h == plan.host and path.startswith(plan.xxgk) and path.count("/") == plan.xxgk.count("/") + 1 \
                and path != plan.main_column:
            items.append((col.name, path))
    if plan.template == "subsites":
        items += [("部门信息公开", "/zwgk/bm/index.html"), ("乡镇信息公开", "/zwgk/xz/index.html")]
    lis = "".join(f'<li><a href="{href(plan, host, cur, plan.host, p)}">{_e(n)}</a></li>' for n, p in items)
    return page(plan, host, "政府信息公开", f'<div class="xxgk-menu"><h2>政府信息公开</h2><ul>{lis}</ul></div>',
                metas={"ColumnName": "政府信息公开"})


def fdzdgknr(plan: CountyPlan, host: str) -> str:
    """法定主动公开内容 (guide template): the annual-report column hides here."""
    cur = f"{plan.xxgk}fdzdgknr/index.html"
    col = plan.columns[(plan.host, plan.main_column)]
    items = [("机构职能", None), ("政策文件", None), ("规划信息", None), ("财政信息", None), (col.name, plan.main_column)]
    lis = "".join(f'<li><a href="{href(plan, host, cur, plan.host, p)}">{_e(n)}</a></li>' if p else f"<li>{n}</li>"
                  for n, p in items)
    return page(plan, host, "法定主动公开内容", f"<h2>法定主动公开内容</h2><ul>{lis}</ul>",
                metas={"ColumnName": "法定主动公开内容"})


def guide(plan: CountyPlan, host: str) -> str:
    """政府信息公开指南: a decoy for the classifier, and the way to the column on guide sites."""
    col = plan.columns[(plan.host, plan.main_column)]
    link = f'<a href="{href(plan, host, plan.guide, plan.host, plan.main_column)}">{_e(col.name)}</a>'
    body = (f"<h1>{_e(plan.government)}政府信息公开指南</h1>\n"
            "<p>为了更好地提供政府信息公开服务,根据《中华人民共和国政府信息公开条例》,编制本指南。</p>\n"
            "<p>一、主动公开。本机关主动公开的政府信息通过政府门户网站、政务新媒体等途径公开。</p>\n"
            "<p>二、依申请公开。公民、法人或者其他组织可以向本机关申请获取相关政府信息。</p>\n"
            f"<p>三、政府信息公开工作年度报告。本机关于每年1月31日前在门户网站{link}栏目公布上一年度政府信息公开工作年度报告。</p>")
    return page(plan, host, "政府信息公开指南", body, metas={"ColumnName": "政府信息公开指南",
                                                         "ArticleTitle": "政府信息公开指南"})


def subsite_index(plan: CountyPlan, host: str, kind: str) -> str:
    """部门信息公开 / 乡镇信息公开 pages listing the sub-sites."""
    cur = f"/zwgk/{'bm' if kind == 'department' else 'xz'}/index.html"
    agencies = [a for a in plan.agencies if a.kind == kind and a.home != f"http://{plan.host}/"]
    lis = "".join(f'<li><a href="{_sub_href(plan, host, cur, a)}">{_e(a.name)}</a></li>' for a in agencies)
    title = "部门信息公开" if kind == "department" else "乡镇信息公开"
    return page(plan, host, title, f"<h2>{title}</h2><ul>{lis}</ul>")


def _sub_href(plan: CountyPlan, host: str, cur: str, a: AgencyPlan) -> str:
    target = a.home.split("/", 3)
    return href(plan, host, cur, a.host, "/" + (target[3] if len(target) > 3 else ""))


def agency_home(plan: CountyPlan, host: str, a: AgencyPlan) -> str:
    """A department's or township's own small site, with its own column."""
    cur = a.home.split(a.host, 1)[1] + "index.html"
    col = plan.columns[(a.host, a.column)]
    body = (f'<div class="sub-home"><h2>{_e(a.name)}</h2><ul>'
            f'<li><a href="{href(plan, host, cur, a.host, a.column)}">{_e(col.name)}</a></li>'
            "<li>机构概况</li><li>工作动态</li></ul></div>")
    return page(plan, host, a.name, body, site_name=a.name, home=a.home)


# ---------------------------------------------------------------------------- columns


Entry = tuple[str, str, str, dt.date]  # (title, host, path, list date)


def column_page(plan: CountyPlan, host: str, col: Column, entries: list[Entry], n: int,
                tabs: list[Column]) -> str | None:
    """Page ``n`` (0-based) of a column list; None if there is no such page."""
    pages = max(1, math.ceil(len(entries) / col.page_size))
    if n >= pages or (col.style == "json" and n > 0):
        return None
    cur = col.path + ("index.html" if n == 0 else f"index_{n}.html")
    crumbs = (f'<div class="crumb">当前位置:<a href="{href(plan, host, cur, plan.host, "/")}">首页</a> &gt; '
              f'<a href="{href(plan, host, cur, plan.host, plan.xxgk + "index.html")}">政务公开</a> &gt; {_e(col.name)}</div>')
    tab_html = ""
    if tabs:
        tab_html = '<div class="tabs"><ul>' + "".join(
            f'<li><a href="{href(plan, host, cur, t.host, t.path)}">{_e(t.name)}</a></li>' for t in tabs) + "</ul></div>"
    metas = {"ColumnName": col.name, "ColumnType": col.name, "ChnlId": str(col.chnl)}
    if col.style == "json":
        api = f"/api/channel/{col.chnl}/list.json"
        body = (f'{crumbs}{tab_html}<div class="list-box"><ul class="list" id="doclist"></ul><div id="pager"></div></div>\n'
                f'<script type="text/javascript">\n(function(){{\n  var api = "{api}";\n'
                '  var box = document.getElementById("doclist");\n'
                '  function load(p){\n    var x = new XMLHttpRequest();\n    x.open("GET", api + "?page=" + p);\n'
                '    x.onload = function(){\n      var d = JSON.parse(x.responseText);\n'
                '      for (var i = 0; i < d.data.length; i++) {\n        var it = d.data[i];\n'
                '        var li = document.createElement("li"), a = document.createElement("a");\n'
                '        a.setAttribute("href", it.url); a.target = "_blank"; a.textContent = it.title;\n'
                '        var s = document.createElement("span"); s.className = "date"; s.textContent = it.pubDate;\n'
                '        li.appendChild(a); li.appendChild(s);\n'
                '        box.appendChild(li);\n      }\n      if (p < d.pageCount) { load(p + 1); }\n    };\n    x.send();\n  }\n'
                '  load(1);\n})();\n</script>')
        return page(plan, host, col.name, body, metas=metas)
    chunk = entries[n * col.page_size:(n + 1) * col.page_size]
    lis = "".join(
        f'<li><a href="{href(plan, host, cur, h, p)}" target="_blank" title="{_e(t)}">{_e(t)}</a>'
        f'<span class="date">{d:%Y-%m-%d}</span></li>' for t, h, p, d in chunk)
    if col.style == "trs":
        pager = ('<script type="text/javascript" src="/js/createPage.js"></script>\n'
                 f'<script type="text/javascript">\n  var currentPage = {n};\n  var countPage = {pages};\n'
                 f'  createPageHTML(countPage, currentPage, "index", "html");\n</script>')
    else:
        links = []
        if n > 0:
            links.append('<a href="index.html">首页</a>')
            links.append(f'<a href="{"index.html" if n == 1 else f"index_{n - 1}.html"}">上一页</a>')
        if n + 1 < pages:
            links.append(f'<a href="index_{n + 1}.html">下一页</a>')
            links.append(f'<a href="index_{pages - 1}.html">尾页</a>')
        pager = f'<div class="page">共{len(entries)}条 第{n + 1}/{pages}页 {" ".join(links)}</div>'
    body = f'{crumbs}{tab_html}<div class="list-box"><ul class="list">{lis}</ul>\n{pager}</div>'
    return page(plan, host, col.name, body, metas=metas)


def column_json(plan: CountyPlan, host: str, col: Column, entries: list[Entry], n: int) -> str:
    """The JSON endpoint behind a JS-only column (page ``n``, 1-based)."""
    pages = max(1, math.ceil(len(entries) / col.page_size))
    chunk = entries[(n - 1) * col.page_size:n * col.page_size] if n >= 1 else []
    data = [{"title": t, "url": href(plan, host, col.path, h, p) if plan.href_style != "relative" else p,
             "pubDate": f"{d:%Y-%m-%d}"} for t, h, p, d in chunk]
    return json.dumps({"total": len(entries), "pageCount": pages, "page": n, "pageSize": col.page_size,
                       "data": data}, ensure_ascii=False)


# ---------------------------------------------------------------------------- articles


def _crumb(plan: CountyPlan, host: str, cur: str, col: Column | None) -> str:
    c = f'<div class="crumb">当前位置:<a href="{href(plan, host, cur, plan.host, "/")}">首页</a> &gt; ' \
        f'<a href="{href(plan, host, cur, plan.host, plan.xxgk + "index.html")}">政务公开</a>'
    if col:
        c += f' &gt; <a href="{href(plan, host, cur, col.host, col.path)}">{_e(col.name)}</a>'
    return c + "</div>"


def report_article(plan: CountyPlan, r: ReportPlan, body: str, col: Column | None) -> str:
    """A report's article page: meta set, visible date line, body, attachment links."""
    metas = {"ColumnName": col.name if col else "", "ArticleTitle": r.title, "ContentSource": r.agency,
             "Url": r.url}
    if r.meta:
        metas["PubDate"] = f"{r.published:%Y-%m-%d} {r.pub_time[:5]}"
    info = []
    if r.visible:
        if r.docid % 3 == 0:
            info.append(f"日期:{r.visible:%Y-%m-%d} {r.pub_time}")
        elif r.docid % 3 == 1:
            info.append(f"发布时间:{r.visible:%Y-%m-%d} {r.pub_time[:5]}")
        else:
            info.append(f"发布日期:{r.visible.year}年{r.visible.month:02d}月{r.visible.day:02d}日")
    info.append(f"来源:{_e(r.agency)}")
    info.append(f'浏览次数:<span id="hits">{r.docid % 997}</span>')
    att = ""
    if r.attachments:
        ext = r.attachments[0].rsplit(".", 1)[1]
        att = ('<div class="attachments">附件:' + "".join(
            f'<a href="{href(plan, r.host, r.path, r.host, a)}">{_e(r.title)}.{ext}</a>' for a in r.attachments) + "</div>")
    text = (f'{_crumb(plan, r.host, r.path, col)}\n<div class="article"><h1 class="title">{_e(r.title)}</h1>\n'
            f'<div class="info">{"&nbsp;&nbsp;".join(info)}</div>\n<div class="content" id="zoom">\n{body}\n</div>\n{att}</div>')
    site = next((a.name for a in plan.agencies if a.host == r.host and a.host != plan.host), None)
    return page(plan, r.host, r.title, text, metas=metas, site_name=site)


_DECOY_TEXT = {
    "notice": ("各乡镇人民政府、街道办事处,县政府各部门:\n为做好{y}年度政府信息公开工作年度报告编制和发布工作,"
               "现将有关事项通知如下:一、各单位应按照国办公开办函〔2021〕30号规定的格式编制本机关{y}年度政府信息公开工作年度报告。"
               "二、各部门于{n}年1月31日前、各乡镇(街道)于{n}年3月31日前在政府门户网站发布年度报告。三、请认真核对报告数据,确保表格数据勾稽关系正确。"),
    "workplan": ("为深入贯彻落实《中华人民共和国政府信息公开条例》,结合实际,制定{y}年政务公开工作要点。"
                 "一、加强政策发布解读。二、深化重点领域信息公开。三、规范依申请公开办理。四、按时发布政府信息公开工作年度报告。"),
    "summary": ("{y}年,在县委的坚强领导下,县政府坚持稳中求进工作总基调,全县经济社会保持平稳健康发展。"
                "一、经济运行稳中有进。地区生产总值同比增长5.6%。二、重点项目加快推进。三、民生保障持续改善。"),
    "govreport": ("各位代表:现在,我代表县人民政府,向大会报告政府工作,请予审议,并请县政协委员提出意见。"
                  "一、{y}年工作回顾。二、{n}年工作安排。"),
    "company": ("一、公司基本情况。二、{y}年度主要经营情况:全年实现营业收入3.2亿元,利润总额1250万元。"
                "三、资产负债情况。四、对外投资情况。本年度报告经公司董事会审议通过。"),
}


def decoy_article(plan: CountyPlan, d: DecoyPlan, col: Column | None) -> str:
    """A page that looks like, but is not, an annual report."""
    y = int(next(s for s in (d.title[i:i + 4] for i in range(len(d.title))) if s.isdigit() and len(s) == 4))
    if d.kind == "govreport":
        y -= 1
    paras = _DECOY_TEXT[d.kind].format(y=y, n=y + 1).split("\n")
    body = "".join(f'<p style="text-indent:2em;">{_e(p)}</p>' for p in paras)
    metas = {"ColumnName": col.name if col else "", "ArticleTitle": d.title,
             "PubDate": f"{d.date:%Y-%m-%d} 09:30", "ContentSource": plan.government}
    text = (f'{_crumb(plan, d.host, d.path, col)}\n<div class="article"><h1 class="title">{_e(d.title)}</h1>\n'
            f'<div class="info">发布时间:{d.date:%Y-%m-%d}</div>\n<div class="content">{body}</div></div>')
    return page(plan, d.host, d.title, text, metas=metas)


def news_article(plan: CountyPlan, title: str, path: str, date: dt.date) -> str:
    body = (f'<div class="article"><h1>{_e(title)}</h1><div class="info">发布时间:{date:%Y-%m-%d}</div>'
            f'<div class="content"><p>{date.month}月{date.day}日,{_e(title)}。会议强调,要提高政治站位,狠抓工作落实。</p></div></div>')
    return page(plan, plan.host, title, body, metas={"ArticleTitle": title, "PubDate": f"{date:%Y-%m-%d} 10:00"})


def simple(plan: CountyPlan, host: str, title: str, text: str) -> str:
    return page(plan, host, title, f"<h2>{_e(title)}</h2><p>{_e(text)}</p>")


def not_found(plan: CountyPlan | None, host: str) -> str:
    return ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>404 页面不存在</title></head>"
            "<body><h1>404</h1><p>对不起,您访问的页面不存在或已被删除。</p></body></html>")


def robots(plan: CountyPlan) -> str:
    lines = ["User-agent: *"] + [f"Disallow: {p}" for p in plan.disallow]
    if plan.crawl_delay:
        lines.append(f"Crawl-delay: {plan.crawl_delay}")
    return "\n".join(lines) + "\n"
