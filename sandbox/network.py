"""A simulated network of county portals: ``generate(seed, size) -> Network``.

The plan (agencies, columns, report URLs, dates, defects, decoys) is made eagerly and is
cheap; report numbers and pages are generated on request and cached, so thousands of portals
cost seconds.  ``Network.respond(method, url, headers)`` answers one HTTP request (used by
:mod:`nianbao.sandbox.server`); ``ground_truth()`` says what a perfect crawler should find.
"""

from __future__ import annotations

import csv
import datetime as dt
import email.utils
import hashlib
import io
import pickle
import random
import threading
import zlib
from collections import Counter, OrderedDict
from typing import Any
from urllib.parse import parse_qs, urlsplit

from nianbao.model import Report
from nianbao.sandbox import office_cache, pages, styles
from nianbao.sandbox.names import County, real_counties, synthetic_county
from nianbao.sandbox.plan import TEMPLATES, Column, CountyPlan, DecoyPlan, ReportPlan, deadline, plan_county
from nianbao.sandbox.render import render_html, render_word
from nianbao.sandbox.reports import (
    APPLICANT_COLUMNS,
    AgencyState,
    Generated,
    add_tables,
    appeal_counts_of,
    build_report,
    counts_of,
    fold_to_layout,
    layout_for,
    report_title,
)
from nianbao.sandbox.response import Response
from nianbao.sandbox.zoo import FAMILIES as ZOO_FAMILIES
from nianbao.sandbox.zoo import Zoo

DEFAULT_SIZE = 30
CONTENT_CACHE = 64  # counties whose report objects are kept in memory (others are kept packed)
PAGE_CACHE = 4096  # rendered responses kept


def _http_date(d: dt.date | dt.datetime) -> str:
    if not isinstance(d, dt.datetime):
        d = dt.datetime(d.year, d.month, d.day, 8, 0, tzinfo=dt.UTC)
    return email.utils.format_datetime(d.astimezone(dt.UTC), usegmt=True)


def _forced(i: int, size: int) -> dict[str, Any]:
    """Features every network of a useful size must show at least once (first portals)."""
    f: dict[str, Any] = {}
    if i < len(TEMPLATES):
        f["template"] = TEMPLATES[i]
    charsets = ["gbk", "gbk-undeclared", "gbk-mislabeled", "utf-8-mislabeled"]
    if size >= 10 and 1 <= i <= len(charsets):
        f["charset"] = charsets[i - 1]
    if i == 0:
        f["charset"] = "utf-8"
        f["defects"] = ["ROW_TOTAL_MISMATCH", "RESULT_TOTAL_MISMATCH", "BALANCE_MISMATCH", "APPEAL_TOTAL_MISMATCH"]
        f["late"] = True
        f["error500"] = True
    if i == 1:
        f["defects"] = ["NARRATIVE_MISMATCH", "MISSING_SECTION", "MISSING_FEE_STATEMENT", "OUTDATED_LAYOUT"]
        f["disallow_hdjl"] = True
        f["crawl_delay"] = False
    return f


class Network:
    """Simulated portals; thread-safe for concurrent ``respond`` calls."""

    def __init__(self, seed: int, size: int, plans: list[CountyPlan], zoo: Zoo | None = None):
        self.seed, self.size, self.plans = seed, size, plans
        self.zoo = zoo  # portals of the zoo's families (sandbox/zoo.py), when ``generate`` was given some
        self._hosts: dict[str, CountyPlan] = {}
        for p in plans:
            for h in p.hosts():
                self._hosts[h] = p
        self._lock = threading.RLock()
        self._content: OrderedDict[int, dict[tuple[str, int], Generated]] = OrderedDict()
        # counties evicted from ``_content``: each report pickled and compressed (~1.6 KB), so that a
        # crawl interleaving a thousand counties does not regenerate a whole county per request
        self._packed: dict[int, dict[tuple[str, int], bytes]] = {}
        self._agency_plan: dict[str, CountyPlan] = {}
        for p in plans:
            for a in p.agencies:
                self._agency_plan.setdefault(a.name, p)
        self._pages: OrderedDict[tuple[str, str, str], Response] = OrderedDict()
        self._index: dict[int, dict[tuple[str, str], object]] = {}
        self._patches: dict[tuple[str, int], list[dict[str, Any]]] = {}
        self._served_once: set[str] = set()
        self._office: dict[tuple[str, int, str], bytes] = {}
        self.requests: Counter[str] = Counter()
        self.count_requests = True

    # ------------------------------------------------------------------ facts

    @property
    def sites(self) -> list[dict[str, str]]:
        """One row per county government (the sites CSV rows)."""
        return [{"agency": p.government, "url": p.entry, "level": "county", "region": p.county.adcode,
                 "parent": p.county.parent_government} for p in self.plans] + [
            {"agency": z.agency, "url": f"http://{z.host}/", "level": "county", "region": z.region,
             "parent": z.parent} for z in (self.zoo.portals if self.zoo else [])]

    def hosts(self) -> set[str]:
        return set(self._hosts) | (set(self.zoo._hosts) if self.zoo else set())

    def sites_csv(self, departments: bool = False) -> str:
        """The site list in the sites.md CSV format."""
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["agency", "url", "level", "region", "parent"])
        for p in self.plans:
            w.writerow([p.government, p.entry, "county", p.county.adcode, p.county.parent_government])
            if departments:
                for a in p.agencies:
                    if a.kind != "government":
                        level = "township" if a.kind == "township" else "department"
                        w.writerow([a.name, a.home, level, p.county.adcode, p.government])
        for z in self.zoo.portals if self.zoo else []:
            w.writerow([z.agency, f"http://{z.host}/", "county", z.region, z.parent])
        return buf.getvalue()

    def ground_truth(self, details: bool = False) -> dict[str, Any]:
        """What a perfect crawl finds.  ``details`` adds each defect's expected findings
        (generates every report's numbers: slow for thousands of portals)."""
        sites, reports, missing, decoys, transient, errors = [], [], [], [], [], []
        for p in self.plans:
            sites.append({"agency": p.government, "url": p.entry, "level": "county", "region": p.county.adcode,
                          "parent": p.county.parent_government, "template": p.template, "charset": p.charset,
                          "host": p.host, "crawl_delay": p.crawl_delay, "disallow": p.disallow,
                          "agencies": [{"agency": a.name, "kind": a.kind, "home": a.home,
                                        "column": f"http://{a.host}{a.column}"} for a in p.agencies]})
            if p.family:
                sites[-1]["family"] = p.family
            if p.error_path:
                errors.append(f"http://{p.host}{p.error_path}")
            for r in p.reports:
                if r.missing or r.removed:
                    missing.append({"agency": r.agency, "agency_kind": r.kind, "year": r.year,
                                    "deadline": r.deadline.isoformat(), "removed": r.removed})
                    continue
                item = self._report_truth(p, r)
                if details and r.defect:
                    item["expected_findings"] = self.generated(r.agency, r.year).defects
                reports.append(item)
                if r.transient:
                    transient.append(r.url)
            decoys += [{"kind": d.kind, "title": d.title, "url": d.url} for d in p.decoys]
            decoys += [{"kind": "broken", "title": "", "url": f"http://{p.host}{b}"} for b in p.broken]
        if self.zoo is not None:
            z = self.zoo.ground_truth()
            sites += [{**s, "level": "county", "family": s["template"],
                       "agencies": [{"agency": s["agency"], "kind": "government", "home": s["url"]}]}
                      for s in z["sites"]]  # fmt: skip
            reports += [{**r, "agency_kind": "government", "county": r["agency"], "family": r["template"]}
                        for r in z["reports"]]  # fmt: skip
            decoys += [{"kind": "zoo", **d} for d in z["decoys"]]
        return {"seed": self.seed, "size": self.size, "sites": sites, "reports": reports, "missing": missing,
                "decoys": decoys, "transient": transient, "errors": errors}

    def _report_truth(self, p: CountyPlan, r: ReportPlan) -> dict[str, Any]:
        dates = {"signature": r.signed.isoformat(), "list": r.list_date.isoformat()}
        if r.meta:
            dates["meta"] = r.published.isoformat()
        if r.visible:
            dates["visible"] = r.visible.isoformat()
        if r.url_date:
            dates["url"] = r.url_date.isoformat()
        page_url = None if r.fmt.startswith("direct") else r.url
        return {
            "agency": r.agency, "agency_kind": r.kind, "year": r.year, "layout": r.layout, "title": r.title,
            "url": r.url, "page": page_url, "attachments": [f"http://{r.host}{a}" for a in r.attachments],
            "format": r.fmt, "style": r.style, "published": r.published.isoformat(),
            "published_source": r.published_source, "dates": dates, "deadline": r.deadline.isoformat(),
            "late": r.late, "days_late": (r.published - r.deadline).days,
            "deadline_passed": r.kind == "township" and r.published > dt.date(r.year + 1, 1, 31),
            "defects": [r.defect] if r.defect else [], "county": p.government, "host": r.host,
            "charset": p.charset, "template": p.template,
        }

    def plan_of(self, agency: str) -> CountyPlan:
        """The county plan an agency belongs to (agencies are fixed once the network is planned)."""
        return self._agency_plan[agency]

    def report_plan(self, agency: str, year: int) -> ReportPlan:
        for r in self.plan_of(agency).reports:
            if r.agency == agency and r.year == year:
                return r
        raise KeyError((agency, year))

    # ------------------------------------------------------------------ content

    def generated(self, agency: str, year: int) -> Generated:
        """The report (numbers and prose) of an agency for a year, with its injected defects."""
        p = self.plan_of(agency)
        with self._lock:
            packed = self._packed.get(p.index) if p.index not in self._content else None
            if packed is not None:
                return pickle.loads(zlib.decompress(packed[(agency, year)]))
        return self._county_content(p)[(agency, year)]

    def report(self, agency: str, year: int) -> Report:
        """The canonical values of a published report (what a perfect reader gets back)."""
        return self.generated(agency, year).report

    def _county_content(self, p: CountyPlan) -> dict[tuple[str, int], Generated]:
        with self._lock:
            got = self._content.get(p.index)
            if got is not None:
                self._content.move_to_end(p.index)
                return got
            got = self._generate_county(p)
            self._content[p.index] = got
            if len(self._content) > CONTENT_CACHE:
                idx, old = self._content.popitem(last=False)
                self._packed[idx] = {k: zlib.compress(pickle.dumps(g, protocol=5), 1) for k, g in old.items()}
            return got

    def _generate_county(self, p: CountyPlan) -> dict[tuple[str, int], Generated]:
        rng = random.Random(f"{self.seed}/content/{p.host}")
        plans = {(r.agency, r.year): r for r in p.reports}
        last = max(r.year for r in p.reports)
        out: dict[tuple[str, int], Generated] = {}
        gov = next(a for a in p.agencies if a.kind == "government")
        children = [a for a in p.agencies if a.kind != "government"]
        firsts = {a.name: min((r.year for r in p.reports if r.agency == a.name), default=2019) for a in p.agencies}
        states = {a.name: AgencyState() for a in p.agencies}
        for a in children:
            # a body whose reports begin after the government's did not count in the government's
            # earlier 结转下年度: it starts with nothing carried in, or the consolidated report's
            # 上年结转 would not match last year's (a CARRY_OVER_MISMATCH the truth does not hold)
            if firsts[a.name] > firsts[gov.name]:
                states[a.name] = AgencyState(carried_out=dict.fromkeys(APPLICANT_COLUMNS, 0))
        for year in range(2019, last + 1):
            kids_apps, kids_appeals = None, None
            for a in children:
                if year < firsts[a.name]:
                    continue
                g = self._build(p, a.name, a.kind, year, rng, states[a.name], plans.get((a.name, year)))
                out[(a.name, year)] = g
                apps = counts_of(g.true_applications)
                if kids_apps is None:
                    kids_apps = fold_to_layout(apps, "2021")
                else:
                    kids_apps = add_tables(kids_apps, fold_to_layout(apps, "2021"))
                ap = appeal_counts_of(g.report.appeals)
                # a defect bumped 维持 only: the true counts keep 总计 = the sum of the four results
                ap = {k: {**v, "upheld": v["total"] - v["corrected"] - v["other"] - v["pending"]} for k, v in ap.items()}
                kids_appeals = ap if kids_appeals is None else {
                    gk: {k: kids_appeals[gk][k] + ap[gk][k] for k in ap[gk]} for gk in ap}
            if year >= firsts[gov.name]:
                out[(gov.name, year)] = self._build(p, gov.name, "government", year, rng, states[gov.name],
                                                    plans.get((gov.name, year)), kids_apps, kids_appeals)
        for key, patches in self._patches.items():
            if key in out:
                for patch in patches:
                    _apply_patch(out[key].report, patch)
        return out

    def _build(self, p: CountyPlan, agency: str, kind: str, year: int, rng: random.Random, state: AgencyState,
               plan: ReportPlan | None, kids=None, kids_appeals=None) -> Generated:
        sub = random.Random(f"{rng.random()}")
        return build_report(
            agency, kind, year, sub, county=p.county.full_name, portal=p.host, state=state,
            defect=plan.defect if plan else None, signed=plan.signed if plan else None,
            layout=plan.layout if plan else None, children=kids, children_appeals=kids_appeals,
            source=plan.url if plan else None, highlights=3)

    # ------------------------------------------------------------------ routing

    def _county_index(self, p: CountyPlan) -> dict[tuple[str, str], object]:
        with self._lock:
            idx = self._index.get(p.index)
            if idx is not None:
                return idx
            idx = {}
            for r in p.reports:
                if r.missing or r.removed:
                    continue
                idx[(r.host, r.path)] = r
                for a in r.attachments:
                    idx[(r.host, a)] = ("attachment", r, a)
            for d in p.decoys:
                idx[(d.host, d.path)] = d
            for t, path, date in p.news:
                idx[(p.host, path)] = ("news", t, date)
            self._index[p.index] = idx
            return idx

    def entries(self, p: CountyPlan, col: Column) -> list[pages.Entry]:
        """The items a column lists, newest first (a parent column lists its tabs' items too)."""
        cols = {col.path} | {c.path for c in p.columns.values() if c.parent == col.path and c.host == col.host}
        out: list[pages.Entry] = []
        for r in p.reports:
            if r.column in cols and r.host == col.host and not r.missing and not r.removed:
                out.append((r.title, r.host, r.path, r.list_date))
        for d in p.decoys:
            if d.column in cols and d.host == col.host:
                out.append((d.title, d.host, d.path, d.date))
        out.sort(key=lambda e: (e[3], e[2]), reverse=True)
        return out

    def respond(self, method: str, url: str, headers: dict[str, str] | None = None) -> Response | None:
        """Answer one request for ``url``; None when the host is not simulated."""
        headers = {k.lower(): v for k, v in (headers or {}).items()}
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        p = self._hosts.get(host)
        if p is None:
            if self.zoo is None or host not in self.zoo._hosts:
                return None
            if self.count_requests:
                with self._lock:
                    self.requests[f"http://{host}{parts.path or '/'}" + (f"?{parts.query}" if parts.query else "")] += 1
            return self.zoo.respond(method, url, headers)
        path = parts.path or "/"
        if self.count_requests:
            with self._lock:
                self.requests[f"http://{host}{path}" + (f"?{parts.query}" if parts.query else "")] += 1
        if p.error_path and path == p.error_path:
            return Response(500, b"<html><body><h1>500 Internal Server Error</h1></body></html>",
                            {"Content-Type": "text/html"})
        key = (host, path, parts.query)
        with self._lock:
            resp = self._pages.get(key)
            if resp is not None:
                self._pages.move_to_end(key)
        if resp is None:
            resp = self._route(p, host, path, parts.query)
            resp.headers.setdefault("ETag", '"' + hashlib.sha1(resp.body).hexdigest()[:20] + '"')
            with self._lock:
                self._pages[key] = resp
                if len(self._pages) > PAGE_CACHE:
                    self._pages.popitem(last=False)
        item = self._county_index(p).get((host, path))
        if isinstance(item, ReportPlan) and item.transient and resp.status == 200:
            url_key = f"http://{host}{path}"
            with self._lock:
                first = url_key not in self._served_once
                self._served_once.add(url_key)
            if first:
                return Response(503, b"<html><body>503 Service Temporarily Unavailable</body></html>",
                                {"Content-Type": "text/html", "Retry-After": "1"})
        if resp.status == 200 and _not_modified(resp, headers):
            return Response(304, b"", {k: v for k, v in resp.headers.items() if k in ("ETag", "Last-Modified")})
        return resp

    def _html(self, p: CountyPlan, text: str, modified: dt.date | None = None) -> Response:
        cs = pages.header_charset(p)
        h = {"Content-Type": f"text/html; charset={cs}" if cs else "text/html"}
        h["Last-Modified"] = _http_date(modified or dt.date(2025, 6, 1))
        return Response(200, pages.encode(p, text), h)

    def _route(self, p: CountyPlan, host: str, path: str, query: str) -> Response:
        if path == "/robots.txt":
            return Response(200, pages.robots(p).encode(), {"Content-Type": "text/plain"})
        if path == "/css/style.css":
            return Response(200, pages.CSS.encode(), {"Content-Type": "text/css"})
        if path == "/js/createPage.js":
            return Response(200, pages.CREATE_PAGE_JS.encode("utf-8"),
                            {"Content-Type": "application/javascript; charset=utf-8"})
        if path.endswith("/"):
            path += "index.html"
        agency = next((a for a in p.agencies if a.host == host and a.host != p.host), None)
        if agency is not None and path == "/index.html":
            return self._html(p, pages.agency_home(p, host, agency))
        if host == p.host:
            if path == "/index.html":
                return self._html(p, pages.home(p, host))
            if path == p.xxgk + "index.html":
                return self._html(p, pages.xxgk_index(p, host))
            if path == p.guide:
                return self._html(p, pages.guide(p, host))
            if p.template == "guide" and path == f"{p.xxgk}fdzdgknr/index.html":
                return self._html(p, pages.fdzdgknr(p, host))
            if p.template == "subsites" and path in ("/zwgk/bm/index.html", "/zwgk/xz/index.html"):
                kind = "department" if "/bm/" in path else "township"
                return self._html(p, pages.subsite_index(p, host, kind))
            for a in p.agencies:
                if a.home.startswith(f"http://{host}/zwgk/bm/") and path == a.home.split(host, 1)[1] + "index.html":
                    return self._html(p, pages.agency_home(p, host, a))
            if path in ("/zwfw/index.html", "/hdjl/index.html"):
                title = "政务服务" if path.startswith("/zwfw") else "互动交流"
                return self._html(p, pages.simple(p, host, title, f"{title}栏目建设中。"))
        if path.startswith("/api/channel/"):
            for col in p.columns.values():
                if col.host == host and col.style == "json" and path == f"/api/channel/{col.chnl}/list.json":
                    n = _int(parse_qs(query).get("page", ["1"])[0], 1)
                    body = pages.column_json(p, host, col, self.entries(p, col), n)
                    return Response(200, body.encode("utf-8"), {"Content-Type": "application/json; charset=utf-8"})
        if p.family is not None:
            zr = styles.route(p, host, path, query, lambda c: self.entries(p, c))
            if zr is not None:
                if "html" in zr[1]:
                    return self._html(p, zr[2]) if zr[0] == 200 else Response(
                        zr[0], pages.encode(p, zr[2]), {"Content-Type": "text/html; charset=utf-8"})
                return Response(zr[0], zr[2].encode("utf-8"), {"Content-Type": zr[1]})
        directory, name = path.rsplit("/", 1)
        col = p.columns.get((host, directory + "/"))
        if col is not None and (name == "index.html" or (name.startswith("index_") and name.endswith(".html"))):
            n = 0 if name == "index.html" else _int(name[6:-5], -1)
            if n >= 0:
                tabs = [c for c in p.columns.values() if c.parent == col.path and c.host == host]
                if col.parent:
                    parent = p.columns[(host, col.parent)]
                    tabs = [parent] + [c for c in p.columns.values() if c.parent == col.parent and c.host == host]
                text = pages.column_page(p, host, col, self.entries(p, col), n, tabs)
                if text is not None:
                    return self._html(p, text)
        item = self._county_index(p).get((host, path))
        if isinstance(item, ReportPlan):
            if item.fmt.startswith("direct"):
                return self._attachment(p, item, path)
            return self._html(p, self._article(p, item), item.published)
        if isinstance(item, DecoyPlan):
            col = p.columns.get((host, item.column))
            return self._html(p, pages.decoy_article(p, item, col), item.date)
        if isinstance(item, tuple) and item[0] == "attachment":
            return self._attachment(p, item[1], item[2])
        if isinstance(item, tuple) and item[0] == "news":
            return self._html(p, pages.news_article(p, item[1], path, item[2]), item[2])
        return Response(404, pages.not_found(p, host).encode("utf-8"), {"Content-Type": "text/html; charset=utf-8"})

    def _article(self, p: CountyPlan, r: ReportPlan) -> str:
        col = p.columns.get((r.host, r.column))
        if r.fmt in ("docx", "pdf"):
            body = f'<p style="text-indent:2em;">{r.title}全文详见附件。</p>'
        else:
            rep = self.report(r.agency, r.year)
            if r.style == "word":
                body = render_word(rep, document=False)
            else:
                body = render_html(rep, r.style)
        return pages.report_article(p, r, body, col)

    def _attachment(self, p: CountyPlan, r: ReportPlan, path: str) -> Response:
        ext = path.rsplit(".", 1)[1]
        data = self.attachment_bytes(r, ext)
        ctype = {"pdf": "application/pdf",
                 "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}[ext]
        return Response(200, data, {"Content-Type": ctype, "Last-Modified": _http_date(r.published),
                                    "Content-Disposition": f"attachment; filename={path.rsplit('/', 1)[1]}"})

    def attachment_bytes(self, r: ReportPlan, ext: str) -> bytes:
        """DOCX or PDF of a report (via ``nianbao.sandbox.render_office``; cached)."""
        key = (r.agency, r.year, ext)
        with self._lock:
            got = self._office.get(key)
        if got is not None:
            return got

        data = office_cache.render(self.report(r.agency, r.year), ext)
        with self._lock:
            self._office[key] = data
        return data

    # ------------------------------------------------------------------ mutations

    def _invalidate(self, p: CountyPlan, content: bool = False) -> None:
        with self._lock:
            self._pages.clear()
            self._index.pop(p.index, None)
            self._office = {k: v for k, v in self._office.items() if not any(a.name == k[0] for a in p.agencies)}
            if content:
                self._content.pop(p.index, None)
                self._packed.pop(p.index, None)

    def remove_report(self, agency: str, year: int) -> ReportPlan:
        """Take a report down: its page answers 404 and no list shows it."""
        r = self.report_plan(agency, year)
        r.removed = True
        self._invalidate(self.plan_of(agency))
        return r

    def edit_report(self, agency: str, year: int, *, cells: dict[str, int | float] | None = None,
                    replace: tuple[str, str] | None = None) -> ReportPlan:
        """Change a published report in place (``cells``: {"applications.new.total": 7}; ``replace``:
        (old, new) text in the prose).  The page's bytes and ETag change."""
        r = self.report_plan(agency, year)
        patch = {"cells": cells or {}, "replace": replace}
        self._patches.setdefault((agency, year), []).append(patch)
        p = self.plan_of(agency)
        with self._lock:
            content = self._content.get(p.index)
            self._packed.pop(p.index, None)  # regenerated with every patch when next asked for
        if content is not None and (agency, year) in content:
            _apply_patch(content[(agency, year)].report, patch)
        self._invalidate(p)
        return r

    def add_report(self, agency: str, year: int, *, published: dt.date | None = None,
                   defect: str | None = None) -> ReportPlan:
        """Publish a report (a missing year, or a new year such as 2025)."""
        p = self.plan_of(agency)
        a = next(x for x in p.agencies if x.name == agency)
        published = published or deadline(a.kind, year) - dt.timedelta(days=5)
        try:
            r = self.report_plan(agency, year)
        except KeyError:
            r = ReportPlan(agency=agency, kind=a.kind, year=year, layout=layout_for(year), defect=defect,
                           published=published, published_source="meta", pub_time="10:00:00", meta=True,
                           visible=published, url_date=None, signed=published, list_date=published, fmt="html",
                           style="official", column=a.column, host=a.host, title=report_title(agency, year))
            p.reports.append(r)
        r.missing = r.removed = False
        r.published, r.list_date, r.meta, r.published_source = published, published, True, "meta"
        r.visible = published
        r.signed = min(r.signed, published)
        if r.url_date:
            r.url_date = published
            r.path = f"{r.column}{published:%Y%m}/t{published:%Y%m%d}_{r.docid}.html"
        if not r.path:
            r.docid = max(x.docid for x in p.reports) + 7
            r.path = f"{r.column}content_{r.docid}.html"
        self._invalidate(p, content=True)
        return r


def _apply_patch(rep: Report, patch: dict[str, Any]) -> None:
    for addr, value in patch["cells"].items():
        table, row, col = addr.split(".", 1)[0], addr.split(".", 1)[1].rsplit(".", 1)[0], addr.rsplit(".", 1)[1]
        cell = rep.table(table)[row][col]
        cell.value = value
        cell.raw = str(value)
    if patch.get("replace"):
        old, new = patch["replace"]
        rep.sections = {k: v.replace(old, new) for k, v in rep.sections.items()}
        rep.text = rep.text.replace(old, new)


def _not_modified(resp: Response, headers: dict[str, str]) -> bool:
    inm = headers.get("if-none-match")
    if inm is not None:
        return resp.headers.get("ETag") in [t.strip() for t in inm.split(",")] or inm.strip() == "*"
    ims = headers.get("if-modified-since")
    lm = resp.headers.get("Last-Modified")
    if ims and lm:
        try:
            return email.utils.parsedate_to_datetime(lm) <= email.utils.parsedate_to_datetime(ims)
        except (TypeError, ValueError):
            return False
    return False


def _int(s: str, default: int) -> int:
    try:
        return int(s)
    except ValueError:
        return default


def all_families() -> tuple[str, ...]:
    """Every site family: the six templates, the list styles (sandbox/styles.py), the zoo's (sandbox/zoo.py)."""
    return tuple(TEMPLATES) + tuple(styles.STYLES) + tuple(ZOO_FAMILIES)


def family_kind(family: str) -> str:
    """``template``, ``style`` or ``zoo``."""
    return "template" if family in TEMPLATES else "style" if family in styles.STYLES else "zoo"


def generate(seed: int, size: int = DEFAULT_SIZE,
             families: list[str | None] | tuple[str | None, ...] | None = None) -> Network:
    """A reproducible network of ``size`` county portals.

    ``families`` (default: the six templates, drawn as always) gives portal ``i`` the family
    ``families[i % len(families)]``: a template, a list style (the ``static`` template's plan with
    the style's column lists) or a zoo family (a :class:`~nianbao.sandbox.zoo.Zoo` portal on the
    same county; its truth joins the network's); a ``None`` entry keeps that portal as it is by
    default.  Without ``families`` the network is unchanged.
    """
    if families is not None:
        unknown = [f for f in families if f is not None and f not in all_families()]
        if unknown or not families:
            raise ValueError(f"unknown families: {unknown}")
    if size < 1:
        raise ValueError("size must be at least 1")
    real = list(real_counties())
    rng = random.Random(f"network/{seed}")
    chosen: list[County] = rng.sample(real, min(size, len(real)))
    taken = {c.host for c in real}
    for i in range(len(chosen), size):
        c = synthetic_county(i, taken)
        taken.add(c.host)
        chosen.append(c)
    if families is None:
        plans = [plan_county(seed, i, c, _forced(i, size)) for i, c in enumerate(chosen)]
        return Network(seed, size, plans)
    plans, assign = [], []
    for i, c in enumerate(chosen):
        fam = families[i % len(families)]
        if fam in ZOO_FAMILIES:
            assign.append((fam, c))
            continue
        forced = _forced(i, size) if fam is None else {**_forced(i, size), "template": styles.STYLES.get(fam, fam)}
        p = plan_county(seed, i, c, forced)
        p.family = fam if fam in styles.STYLES else None
        plans.append(p)
    return Network(seed, size, plans, Zoo(seed, assign=assign) if assign else None)
