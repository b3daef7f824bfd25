"""List styles: site families served inside the main network, each a CMS-like quirk in how a column lists its items.

(Brought over from branch i17a, where this module was ``sandbox/zoo.py``; the standalone
:mod:`nianbao.sandbox.zoo` is a different design.  i17a's ``hanweb`` and ``gkmlpt`` are named
``jcms_unitbuild`` and ``gkml_conf`` here: their quirks differ from the zoo's families of those names.)

A style reuses a base template's plan (hosts, columns, reports, decoys: the ground truth is
unchanged) and only changes how column list pages are served: XML data islands (Hanweb jcms),
SPA shells fetching JSON from a URL assembled in script (gkmlpt), ``onclick``/``javascript:``
pagers (old JSP), ``<select>`` jump menus, lists inside iframes, lists loaded on scroll, hash-routed
single-page portals. Pure functions of the plan; :func:`route` returns None for paths it does not own.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Callable

from nianbao.sandbox import pages
from nianbao.sandbox.plan import Column, CountyPlan

# style -> base template whose plan it reuses (a static-list template, so every column is a zoo list)
STYLES: dict[str, str] = {
    "jcms_unitbuild": "static",
    "gkml_conf": "static",
    "jsp_onclick": "static",
    "select_jump": "static",
    "iframe_list": "static",
    "lazy_scroll": "static",
    "hash_spa": "static",
    "frameset": "static",
    "jsonp_list": "static",
    "docwrite": "static",
}

Entries = list[pages.Entry]
_GONE = (404, "text/html", "<html><body>404 Not Found</body></html>")


def _e(s: str) -> str:
    return html.escape(s, quote=True)


def _abs(plan: CountyPlan, host: str, cur: str, e: pages.Entry) -> str:
    return pages.href(plan, host, cur, e[1], e[2])


def _li(plan: CountyPlan, host: str, cur: str, e: pages.Entry) -> str:
    return (f'<li><a href="{_abs(plan, host, cur, e)}" target="_blank" title="{_e(e[0])}">{_e(e[0])}</a>'
            f'<span class="date">{e[3]:%Y-%m-%d}</span></li>')


def _json(plan: CountyPlan, host: str, col: Column, entries: Entries, n: int, size: int) -> str:
    count = max(1, math.ceil(len(entries) / size))
    chunk = entries[(n - 1) * size:n * size] if n >= 1 else []
    data = [{"title": e[0], "url": f"http://{e[1]}{e[2]}", "date": f"{e[3]:%Y-%m-%d}"} for e in chunk]
    return json.dumps({"total": len(entries), "pages": count, "page": n, "items": data}, ensure_ascii=False)


def _hanweb(plan: CountyPlan, host: str, col: Column, entries: Entries) -> str:
    """Hanweb jcms: every record in a ``<datastore>`` XML island; a JS pager (unitbuild) shows a slice."""
    cur = col.path + "index.html"
    recs = "".join(f"<record><![CDATA[\n{_li(plan, host, cur, e)}\n]]></record>\n" for e in entries)
    body = (f'<div class="list-box"><ul class="list" id="{col.chnl}"></ul><div id="pager"></div>\n'
            f'<script type="text/xml"><datastore>\n<nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp'
            f'?page=1&appid=1&webid=1&path=/&columnid={col.chnl}&unitid={col.chnl}&webname=&permissiontype=0"></a>]]>'
            f'</nextgroup>\n<recordset>\n{recs}</recordset>\n</datastore></script>\n'
            '<script type="text/javascript">\n'
            f'(function(){{var unitid={col.chnl},perpage={col.page_size};\n'
            '  var xml=document.querySelector("script[type=\'text/xml\']").textContent;\n'
            '  var recs=xml.split("<record><![CDATA[").slice(1).map(function(r){return r.split("]]></record>")[0];});\n'
            '  function unitbuild(p){var box=document.getElementById(String(unitid));\n'
            '    box.innerHTML=recs.slice((p-1)*perpage,p*perpage).join("");\n'
            '    var n=Math.ceil(recs.length/perpage),h="";\n'
            '    for(var i=1;i<=n;i++){h+="<a href=\\"javascript:void(0)\\" data-p=\\""+i+"\\">"+i+"</a> ";}\n'
            '    var pg=document.getElementById("pager");pg.innerHTML=h;\n'
            '    pg.querySelectorAll("a").forEach(function(a){a.onclick=function(){unitbuild(+a.dataset.p);};});}\n'
            '  unitbuild(1);})();\n</script></div>')
    return pages.page(plan, host, col.name, body, metas={"ColumnName": col.name})


def _gkmlpt(plan: CountyPlan, host: str, col: Column, entries: Entries) -> str:
    """数字广东 gkmlpt-style: an empty SPA shell; the API URL is assembled from pieces in script."""
    body = ('<div id="app"><div class="loading">加载中...</div></div>\n<script type="text/javascript">\n'
            f'window.GKML_CONF={{site:"{plan.site_id}",cat:{col.chnl},base:"/gkmlpt"}};\n'
            '(function(c){var app=document.getElementById("app");\n'
            '  function get(p){var x=new XMLHttpRequest();\n'
            '    x.open("GET",c.base+"/api/all/"+c.cat+"?page="+p+"&sid="+c.site);\n'
            '    x.onload=function(){var d=JSON.parse(x.responseText);if(p==1){app.innerHTML="<ul class=list></ul>";}\n'
            '      var ul=app.querySelector("ul");d.items.forEach(function(it){var li=document.createElement("li");\n'
            '        var a=document.createElement("a");a.href=it.url;a.textContent=it.title;li.appendChild(a);\n'
            '        var s=document.createElement("span");s.className="date";s.textContent=it.date;li.appendChild(s);\n'
            '        ul.appendChild(li);});\n'
            '      if(p<d.pages){get(p+1);}};x.send();}\n  get(1);})(window.GKML_CONF);\n</script>')
    return pages.page(plan, host, col.name, body, metas={"ColumnName": col.name})


def _paged(plan: CountyPlan, host: str, col: Column, entries: Entries, n: int, cur: str) -> tuple[str, int]:
    count = max(1, math.ceil(len(entries) / col.page_size))
    chunk = entries[n * col.page_size:(n + 1) * col.page_size]
    return "".join(_li(plan, host, cur, e) for e in chunk), count


def _jsp_onclick(plan: CountyPlan, host: str, col: Column, entries: Entries, n: int) -> str | None:
    """Old JSP: items open via ``onclick``, the pager is ``javascript:goPage(n)`` to ``list.jsp?pageNo=``."""
    cur = col.path + ("index.html" if n == 0 else "list.jsp")
    count = max(1, math.ceil(len(entries) / col.page_size))
    if n >= count:
        return None
    chunk = entries[n * col.page_size:(n + 1) * col.page_size]
    lis = "".join(
        f'<li><a href="javascript:void(0);" onclick="openDoc(\'{_abs(plan, host, cur, e)}\')">{_e(e[0])}</a>'
        f'<span class="date">{e[3]:%Y-%m-%d}</span></li>' for e in chunk)
    links = " ".join(f'<a href="javascript:goPage({i + 1})">{i + 1}</a>' for i in range(count) if i != n)
    body = (f'<div class="list-box"><ul class="list">{lis}</ul><div class="page">{links}</div></div>\n'
            '<script type="text/javascript">\nfunction openDoc(u){window.open(u);}\n'
            f'function goPage(p){{location.href="{col.path}list.jsp?pageNo="+p;}}\n</script>')
    return pages.page(plan, host, col.name, body)


def _select_jump(plan: CountyPlan, host: str, col: Column, entries: Entries, n: int) -> str | None:
    """Pager is only a ``<select>`` jump menu (``onchange`` navigation)."""
    cur = col.path + ("index.html" if n == 0 else f"index_{n}.html")
    lis, count = _paged(plan, host, col, entries, n, cur)
    if n >= count:
        return None
    opts = "".join(f'<option value="{"index.html" if i == 0 else f"index_{i}.html"}"'
                   f'{" selected" if i == n else ""}>第{i + 1}页</option>' for i in range(count))
    body = (f'<div class="list-box"><ul class="list">{lis}</ul><div class="page">转到 '
            f'<select onchange="window.location.href=this.value">{opts}</select></div></div>')
    return pages.page(plan, host, col.name, body)


def _iframe_list(plan: CountyPlan, host: str, col: Column, entries: Entries) -> str:
    body = (f'<div class="list-box"><iframe src="{col.path}list_frame.html" width="100%" height="900" '
            'frameborder="0" scrolling="no"></iframe></div>')
    return pages.page(plan, host, col.name, body)


def _iframe_inner(plan: CountyPlan, host: str, col: Column, entries: Entries) -> str:
    cur = col.path + "list_frame.html"
    return pages.page(plan, host, col.name, '<ul class="list">'
                      + "".join(_li(plan, host, cur, e) for e in entries) + "</ul>")


def _lazy_scroll(plan: CountyPlan, host: str, col: Column, entries: Entries) -> str:
    """Items appear only when the page is scrolled (IntersectionObserver-free: a scroll listener)."""
    body = (f'<div class="list-box"><ul class="list" id="more"></ul><div id="sentinel" style="height:2400px">'
            '</div></div>\n<script type="text/javascript">\n'
            f'(function(){{var p=0,busy=false,done=false,api="/zoo/lazy/{col.chnl}.json";\n'
            '  function more(){if(busy||done)return;busy=true;var x=new XMLHttpRequest();\n'
            '    x.open("GET",api+"?page="+(p+1));x.onload=function(){var d=JSON.parse(x.responseText);p=d.page;\n'
            '      d.items.forEach(function(it){var li=document.createElement("li");\n'
            '        li.innerHTML="<a href=\\""+it.url+"\\"></a><span class=date>"+it.date+"</span>";\n'
            '        li.firstChild.textContent=it.title;document.getElementById("more").appendChild(li);});\n'
            '      done=p>=d.pages;busy=false;};x.send();}\n'
            '  window.addEventListener("scroll",function(){if(window.scrollY+window.innerHeight>'
            'document.body.scrollHeight-600)more();});\n})();\n</script>')
    return pages.page(plan, host, col.name, body)


def _hash_spa(plan: CountyPlan, host: str, col: Column, entries: Entries) -> str:
    """Hash-routed portal: the shell shows nothing until ``#/list/<chnl>`` is routed; XHR fills it."""
    body = ('<div id="view"></div>\n<script type="text/javascript">\n'
            f'if(!location.hash){{location.hash="#/list/{col.chnl}";}}\n'
            '(function(){function render(){var m=location.hash.match(/^#\\/list\\/(\\d+)/);if(!m)return;\n'
            '  var x=new XMLHttpRequest();x.open("GET","/zoo/spa/"+m[1]+".json?page=1&size=1000");\n'
            '  x.onload=function(){var d=JSON.parse(x.responseText),h="<ul class=list>";\n'
            '    d.items.forEach(function(it){h+="<li><a href=\\"#/detail?u="+encodeURIComponent(it.url)+"\\" '
            'data-url=\\""+it.url+"\\">"+it.title.replace(/</g,"&lt;")+"</a><span class=date>"+it.date+"</span></li>";});\n'
            '    document.getElementById("view").innerHTML=h+"</ul>";\n'
            '    document.querySelectorAll("#view a").forEach(function(a){a.onclick=function(ev){ev.preventDefault();'
            'location.href=a.dataset.url;};});};x.send();}\n'
            '  window.addEventListener("hashchange",render);render();})();\n</script>')
    return pages.page(plan, host, col.name, body)


def _frameset(plan: CountyPlan, host: str, col: Column, entries: Entries) -> str:
    """Old portals: the column is a ``<frameset>``; the list lives in a frame."""
    cs = pages.charset_label(plan)
    meta = f'<meta charset="{cs}">' if cs else ""
    return (f'<!DOCTYPE html>\n<html><head>{meta}<title>{_e(col.name)}</title></head>\n'
            f'<frameset rows="120,*" frameborder="0"><frame src="/" name="top" noresize>'
            f'<frame src="{col.path}list_frame.html" name="main"></frameset></html>\n')


def _jsonp_list(plan: CountyPlan, host: str, col: Column, entries: Entries) -> str:
    """The list arrives as JSONP from a ``<script src>`` whose URL is assembled in script."""
    body = ('<div class="list-box"><ul class="list" id="jp"></ul></div>\n<script type="text/javascript">\n'
            'function showList(d){var ul=document.getElementById("jp");d.items.forEach(function(it){\n'
            '  var li=document.createElement("li"),a=document.createElement("a");a.href=it.url;a.textContent=it.title;\n'
            '  li.appendChild(a);ul.appendChild(li);});}\n'
            f'var s=document.createElement("script");s.src="/zoo/"+"jsonp/"+{col.chnl}+".js?page=1&callback=showList";\n'
            'document.body.appendChild(s);\n</script>')
    return pages.page(plan, host, col.name, body)


def _docwrite(plan: CountyPlan, host: str, col: Column, entries: Entries) -> str:
    """TRS-style ``document.write`` of items built from split URL pieces (no literal href in the HTML)."""
    cur = col.path + "index.html"
    rows = ",".join(json.dumps([_abs(plan, host, cur, e).rsplit("/", 1)[0] + "/", _abs(plan, host, cur, e)
                                .rsplit("/", 1)[1], e[0], f"{e[3]:%Y-%m-%d}"], ensure_ascii=False) for e in entries)
    rows = rows.replace("</", "<\\/")
    body = ('<div class="list-box"><ul class="list">\n<script type="text/javascript">\n'
            f'var docs=[{rows}];\n'
            'for(var i=0;i<docs.length;i++){var d=docs[i];document.write("<li><a href=\'"+d[0]+d[1]+"\'>"'
            '+d[2].replace(/</g,"&lt;")+"</a><span class=\'date\'>"+d[3]+"</span></li>");}\n'
            '</script></ul></div>')
    return pages.page(plan, host, col.name, body)


_SHELLS: dict[str, Callable[[CountyPlan, str, Column, Entries], str]] = {
    "jcms_unitbuild": _hanweb, "gkml_conf": _gkmlpt, "iframe_list": _iframe_list, "lazy_scroll": _lazy_scroll,
    "hash_spa": _hash_spa, "frameset": _frameset, "jsonp_list": _jsonp_list, "docwrite": _docwrite,
}


def route(plan: CountyPlan, host: str, path: str, query: str,
          entries: Callable[[Column], Entries]) -> tuple[int, str, str] | None:
    """(status, content type, text) for a path this family owns, else None (the ordinary routes apply)."""
    fam = plan.family
    if fam not in STYLES:
        return None
    q = dict(kv.split("=", 1) for kv in query.split("&") if "=" in kv)
    page_no = int(q["page"]) if q.get("page", "").isdigit() else 1
    if path.startswith("/zoo/jsonp/") and fam == "jsonp_list":
        chnl = path[len("/zoo/jsonp/"):].removesuffix(".js")
        col = next((c for c in plan.columns.values() if c.host == host and str(c.chnl) == chnl), None)
        cb = q.get("callback", "callback")
        if col is None or not re.fullmatch(r"[A-Za-z_$][\w$]{0,40}", cb):
            return _GONE
        return 200, "application/javascript; charset=utf-8", f"{cb}({_json(plan, host, col, entries(col), 1, 1000)});"
    for prefix in ("/gkmlpt/api/all/", "/zoo/lazy/", "/zoo/spa/"):
        if path.startswith(prefix):
            chnl = path[len(prefix):].removesuffix(".json")
            col = next((c for c in plan.columns.values() if c.host == host and str(c.chnl) == chnl), None)
            if col is None:
                return None
            size = 1000 if prefix == "/zoo/spa/" else col.page_size
            return 200, "application/json; charset=utf-8", _json(plan, host, col, entries(col), page_no, size)
    directory, name = path.rsplit("/", 1)
    col = plan.columns.get((host, directory + "/"))
    if col is None:
        return None
    if fam in _SHELLS and name == "index.html":
        return 200, "text/html", _SHELLS[fam](plan, host, col, entries(col))
    if fam in ("iframe_list", "frameset") and name == "list_frame.html":
        return 200, "text/html", _iframe_inner(plan, host, col, entries(col))
    if fam == "jsp_onclick" and name in ("index.html", "list.jsp"):
        n = 0 if name == "index.html" else int(q["pageNo"]) - 1 if q.get("pageNo", "").isdigit() else -1
        text = _jsp_onclick(plan, host, col, entries(col), n) if n >= 0 else None
        return (200, "text/html", text) if text else _GONE
    if fam == "select_jump" and (name == "index.html" or (name.startswith("index_") and name.endswith(".html"))):
        n = 0 if name == "index.html" else int(name[6:-5]) if name[6:-5].isdigit() else -1
        text = _select_jump(plan, host, col, entries(col), n) if n >= 0 else None
        return (200, "text/html", text) if text else _GONE
    if name.startswith("index_") or name in ("list.jsp", "list_frame.html"):
        return _GONE  # the family lists this column another way: no static pages behind it
    return None
