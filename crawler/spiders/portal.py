"""The base spider: a scored, breadth-limited search of each portal for its report column.

One spider for every CMS: it follows links by the score :mod:`nianbao.crawler.discovery` gives them
(report > column > pager > disclosure menu > sub-site), expands script-written pagers and
script-filled lists, and yields one :class:`~crawler.items.ReportItem` per candidate report
(the page plus its attachments, raw bytes).  It never reads a table.  Template quirks, if a
CMS ever needs them, go in thin subclasses overriding :meth:`PortalSpider.extra_links`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterable
from typing import Any
from urllib.parse import urldefrag, urlsplit

import scrapy
from scrapy.http import Response

from nianbao.crawler import discovery as disc
from nianbao.crawler.browser import explore, mislabeled, record_xhr
from nianbao.crawler.dates import list_date
from nianbao.crawler.extract import LISTENER_WORDS, Link, Page, decode_html, parse_page, script_links
from nianbao.crawler.journal import Journal
from nianbao.intake.items import DocumentItem, ReportItem
from nianbao.intake.sites import Portal, Site, group_portals, load_sites

log = logging.getLogger(__name__)

HTML_TYPES = (b"text/html", b"application/xhtml", b"text/plain")


def _content_type(response: Response) -> str:
    return (response.headers.get(b"Content-Type") or b"").decode("latin-1").split(";")[0].strip().lower()


def is_html_response(response: Response) -> bool:
    ct = (response.headers.get(b"Content-Type") or b"").lower()
    if any(t in ct for t in HTML_TYPES):
        return True
    if ct:
        return False
    head = response.body[:512].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<head" in head


class PortalSpider(scrapy.Spider):
    """Crawl every portal of a site list; settings NIANBAO_SITES, NIANBAO_MAX_PAGES, NIANBAO_MAX_DEPTH."""

    name = "portal"
    TRUE_HTML_KEPT = 64  # mislabeled pages whose real text is kept for a render (a few per portal at most)

    def __init__(self, sites: Iterable[Site] | None = None, sites_file: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self._sites_arg = list(sites) if sites is not None else None
        self._sites_file = sites_file
        self.sites: list[Site] = []
        self.portals: list[Portal] = []
        self.budgets: list[disc.Budget] = []
        self.problems: list[str] = []
        self.journal: Journal | None = None
        self.resumed_skips: Counter[int] = Counter()  # per portal: finished reports listed again on resume
        self.caps: dict[int, Counter[str]] = {}  # per portal: which bound was reached how often (health report)
        self.max_links, self.max_page_reports, self.max_attachments = 5000, 500, 20
        self.errors: dict[int, list[dict[str, str]]] = {}  # reliability: per-portal failures with their URL
        self.page_maxsize = 0
        self.frontier_max = 0  # NIANBAO_FRONTIER_MAX (see _frontier_room)
        self.cms_hints = True  # NIANBAO_CMS_HINTS: False = the generic path alone
        self.sister_hosts: dict[int, set[str]] = {}  # per portal: other government hosts in scope
        self.render_left: list[int] = []  # per portal: pages the browser may still render and explore
        self.clicks_left: list[int] = []
        self.explore_left: list[float] = []  # seconds
        self.trails: dict[int, Trail] = {}  # per portal: why it found what it found (the diagnosis)
        self.true_html: dict[str, str] = {}  # mislabeled pages (charset): their text, for the browser
        self.render_seen: set[tuple[int, str]] = set()  # (portal, URL) sent to the browser: each once per crawl

    # --- setup -------------------------------------------------------------------------

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):
        spider = super().from_crawler(crawler, *args, **kwargs)
        s = crawler.settings
        if spider._sites_arg is not None:
            spider.sites = spider._sites_arg
        else:
            path = spider._sites_file or s.get("NIANBAO_SITES")
            if not path:
                raise ValueError("no site list: pass sites=, sites_file= or set NIANBAO_SITES")
            spider.sites, spider.problems = load_sites(path)
        spider.portals = group_portals(spider.sites)
        spider.budgets = [
            disc.Budget(
                max_pages=s.getint("NIANBAO_MAX_PAGES", 300),
                max_depth=s.getint("NIANBAO_MAX_DEPTH", 6),
                max_reports=s.getint("NIANBAO_MAX_REPORTS", 0),
            )
            for _ in spider.portals
        ]
        for b in spider.budgets:  # reliability: link traps
            b.max_per_pattern = s.getint("NIANBAO_MAX_PATTERN_PAGES", 25)
        spider.page_maxsize = s.getint("NIANBAO_PAGE_MAXSIZE", 8 * 1024 * 1024)
        spider.max_links = s.getint("NIANBAO_MAX_LINKS_PER_PAGE", 5000)
        spider.max_page_reports = s.getint("NIANBAO_MAX_REPORTS_PER_PAGE", 500)
        spider.max_attachments = s.getint("NIANBAO_MAX_ATTACHMENTS", 20)
        spider.cms_hints = s.getbool("NIANBAO_CMS_HINTS", True)
        spider.render_left = [s.getint("NIANBAO_RENDER_BUDGET", 8)] * len(spider.portals)
        spider.clicks_left = [s.getint("NIANBAO_CLICK_BUDGET", 12)] * len(spider.portals)
        spider.explore_left = [s.getfloat("NIANBAO_EXPLORE_SECONDS", 30.0)] * len(spider.portals)
        spider.frontier_max = s.getint("NIANBAO_FRONTIER_MAX", 2000)
        jobdir = s.get("JOBDIR")
        spider.journal = Journal(jobdir) if jobdir else None
        for p in spider.problems:
            log.warning(p)
        return spider

    def capped(self, portal: int, what: str, url: str) -> None:
        """A bound was reached (links per page, reports per page or portal, files per report): counted
        per portal for the run's health report, logged once per kind and portal."""
        got = self.caps.setdefault(portal, Counter())
        if not got[what]:
            log.warning("已达上限（%s），其余不再处理：%s", what, url[:200])
        got[what] += 1
        self.crawler.stats.inc_value(f"nianbao/capped/{what}")

    def _parse(self, response: Response) -> Page:
        if "playwright" not in response.flags and mislabeled(response.body, getattr(response, "encoding", None)):
            # read in the charset it declares, the page is mojibake: a browser must get its real text
            if len(self.true_html) >= self.TRUE_HTML_KEPT:
                self.true_html.pop(next(iter(self.true_html)))
            self.true_html[response.url] = decode_html(response.body, response.encoding)
        page = parse_page(response.body, response.url, encoding=response.encoding, max_links=self.max_links)
        if page.links_dropped:
            self.capped(response.meta["nb_portal"], "links_per_page", response.url)
        return page

    def portal_of(self, response_or_request) -> Portal:
        return self.portals[response_or_request.meta["nb_portal"]]

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for i, portal in enumerate(self.portals):
            await self._frontier_room()
            yield scrapy.Request(
                portal.url,
                callback=self.parse_page,
                errback=self.on_error,
                dont_filter=True,  # a resumed crawl starts from every portal again
                priority=disc.BASE_SCORES[disc.PATH],
                meta={"nb_portal": i, "nb_depth": 0, "nb_kind": "start", "nb_render": portal.render},
            )

    async def _frontier_room(self) -> None:
        """Soak fix: start the next portal only while fewer than ``NIANBAO_FRONTIER_MAX`` requests wait.

        Scrapy takes start requests as fast as it can and the downloader-aware queue prefers idle
        hosts, so a long site list began every portal at once: 2,273 portals -> 31,000 requests
        waiting after 10,000 pages and the crawler's memory growing with them.  0 = no limit.
        """
        cap = self.frontier_max
        engine = getattr(self.crawler, "engine", None) if cap else None
        while engine is not None:
            try:
                waiting = len(engine.scheduler) if engine.scheduler is not None else 0
            except Exception:  # noqa: BLE001 - a scheduler without len(): no limit
                return
            if waiting < cap:
                return
            await asyncio.sleep(0.2)

    # --- navigation pages --------------------------------------------------------------

    def _meta(self, response: Response, **extra: Any) -> dict[str, Any]:
        meta = {"nb_portal": response.meta["nb_portal"], "nb_render": response.meta.get("nb_render", "auto")}
        meta.update(extra)
        return meta

    def _in_scope(self, url: str, i: int) -> bool:
        """On the government's own hosts: the portal's sites and their sub-hosts, and the sister hosts
        its 信息公开 menu or its frames led to."""
        p = self.portals[i]
        if any(disc.same_site(url, s.url) for s in p.sites):
            return True
        host = (urlsplit(url).hostname or "").lower()
        return host in self.sister_hosts.get(i, ())

    def _names_us(self, portal_idx: int, link: Link) -> bool:
        """Whether a link names this portal's government (its short name, or its division code in the URL)."""
        said = link.text + link.row
        for site in self.portals[portal_idx].sites:
            if site.region and site.region in link.url:
                return True
            if any(n in said for n in name_forms(site.agency)):
                return True
        return False

    def _widen_scope(self, portal_idx: int, url: str) -> None:
        host = (urlsplit(url).hostname or "").lower()
        if not host or not disc.is_government_host(host) or self._in_scope(url, portal_idx):
            return
        hosts = self.sister_hosts.setdefault(portal_idx, set())
        if len(hosts) < 8:  # a menu of links to every government of the province is not a sister host
            hosts.add(host)
            self.crawler.stats.inc_value("nianbao/sister_hosts")

    def parse_page(self, response: Response):
        """A navigation or list page: score every link, follow the good ones, hand over reports."""
        portal_idx = response.meta["nb_portal"]
        depth = response.meta.get("nb_depth", 0)
        self.crawler.stats.inc_value("nianbao/pages")
        self.crawler.stats.inc_value(f"nianbao/pages/{portal_idx}")
        if not is_html_response(response):
            if response.meta.get("nb_kind") == "data":
                yield from self._follow_data(response, disc.links_from_xml_text(response.body, response.url))
            return
        page = self._parse(response)
        yield from self._navigate(response, page, depth)

    def trail(self, i: int) -> Trail:
        if i not in self.trails:
            self.trails[i] = Trail()
        return self.trails[i]

    def diagnosis(self, i: int) -> dict[str, Any]:
        """Why portal ``i`` gave what it gave: the path walked, the best candidates, what the browser did."""
        return self.trail(i).as_dict(render_left=self.render_left[i] if i < len(self.render_left) else None)

    def _navigate(self, response: Response, page: Page, depth: int, extra: Iterable[Link] = ()):
        """Follow what ``page`` (and ``extra`` links found by exploring it) leads to."""
        portal_idx = response.meta["nb_portal"]
        self.trail(portal_idx).walk(response.meta.get("nb_kind", "start"), response.url, page.title,
                                    "playwright" in response.flags)
        budget = self.budgets[portal_idx]
        context = page.column or ""
        title = page.title
        counts = {"reports": 0, "pagers": 0, "follow": 0, "guessed": 0}
        links = list(page.links) + list(extra)
        if self.cms_hints:
            links += list(self.extra_links(page, response))
        if page.scripts:  # lists written by script: data islands, JS arrays, document.write rows
            links += script_links(page.scripts, response.url)
        yield from self._follow_links(response, links, title, context, depth, counts)
        if page.scripts:
            yield from self._follow_data(response, disc.links_from_xml_text(page.scripts, response.url))
        n_reports, n_pagers = counts["reports"], counts["pagers"]
        # pagers written by script (TRS createPageHTML, countPage): CMS hints
        pages = []
        if self.cms_hints:
            pages = disc.trs_pager_urls(page.scripts, response.url) or disc.page_count_urls(page.scripts, response.url)
        if pages and (disc._column_page(title, context, response.url) or n_reports):
            for u in pages:
                n_pagers += 1
                if u != response.url and budget.allows(depth, disc.PAGER):
                    req = self._page_request(response, u, disc.BASE_SCORES[disc.PAGER], depth, "pager")
                    if req is not None:
                        yield req
        rendered = "playwright" in response.flags
        if rendered:
            return
        # lists filled in by script: a known endpoint (CMS hint), else the browser
        if disc.js_only_suspect(
            title=title + "|" + context, url=response.url, n_candidate_links=n_reports, n_pager_links=n_pagers,
            scripts=page.scripts,
        ):
            yield from self._script_list(response, page, depth)
        elif self._in_doubt(response, page, title + "|" + context, n_reports, n_pagers + counts["follow"]) or (
                n_reports and not n_pagers and response.meta.get("nb_kind") != "pager"
                and (disc.script_pager_hint(page.scripts) or any(map(LISTENER_WORDS.match, page.unresolved)))) or (  # a list whose pager is written by script
                n_reports and n_reports == counts["guessed"]):  # every report link was pieced out of script
            self.crawler.stats.inc_value("nianbao/render_in_doubt")
            req = self._render_again(response, depth)
            if req is not None:
                yield req

    def _in_doubt(self, response: Response, page: Page, title: str, n_reports: int, n_onward: int) -> bool:
        """A page on the way to the reports that leads nowhere in its static HTML but could in a browser."""
        if n_reports or response.meta.get("nb_render") == "never" or not page.interactive:
            return False
        if any(disc.is_click_worthy(text) for text in page.unresolved):
            return True  # something a person would click towards the reports, wired by script
        kind = response.meta.get("nb_kind", "start")
        if kind not in ("start", disc.PATH, disc.COLUMN, disc.SUBSITE, disc.PAGER, "column", "frame"):
            return False
        if kind == "start":
            return n_onward < 3  # a home page whose menu is written by script
        return n_onward == 0 and (disc._column_page(title, "", response.url) or kind in (disc.PATH, "frame"))

    def _follow_links(self, response: Response, links: Iterable[Link], title: str, context: str, depth: int,
                      counts: dict[str, int]):
        portal_idx = response.meta["nb_portal"]
        budget = self.budgets[portal_idx]
        seen: set[str] = set()
        for link in links:
            if link.url + "|" + link.text in seen:
                continue
            seen.add(link.url + "|" + link.text)
            if link.how == "frame" or (disc.is_disclosure_link(link.text, link.url) and self._names_us(portal_idx, link)):
                self._widen_scope(portal_idx, link.url)  # a frame or our 信息公开 menu leads to a sister host
            if not self._in_scope(link.url, portal_idx):
                continue
            ls = disc.score_link(link.text, link.url, title=title, depth=depth + 1, context=context + "|" + link.row)
            self.trail(portal_idx).candidate(ls.score, ls.kind, link.text, link.url)
            if ls.kind == disc.REPORT:
                counts["reports"] += 1
                if link.how == "script":
                    counts["guessed"] += 1  # read out of script: a guess until a browser shows the same
                if self.max_page_reports and counts["reports"] > self.max_page_reports:
                    if counts["reports"] == self.max_page_reports + 1:
                        self.capped(portal_idx, "reports_per_page", response.url)
                    continue
                req = self._report_request(response, link.url, link.text, link.list_date, depth + 1)
                if req is not None:
                    yield req
            elif ls.kind == disc.PAGER:
                counts["pagers"] += 1
                if budget.allows(depth, ls.kind):
                    req = self._page_request(response, link.url, ls.score, depth + 1, "pager")
                    if req is not None:
                        yield self._guessed(req, response, depth) if link.how == "script" else req
            elif link.how == "frame" and disc.is_followable_url(link.url) and ls.kind != disc.DECOY \
                    and budget.allows(depth + 1, disc.COLUMN):
                # an embedded document is part of the page: always looked at (it is where lists often live)
                req = self._page_request(response, link.url, max(ls.score, disc.BASE_SCORES[disc.PATH]), depth + 1,
                                         "frame")
                if req is not None:
                    counts["follow"] += 1
                    yield req
            elif ls.follow and disc.is_followable_url(link.url) and budget.allows(depth + 1, ls.kind):
                req = self._page_request(response, link.url, ls.score, depth + 1, ls.kind)
                if req is not None:
                    counts["follow"] += 1
                    yield self._guessed(req, response, depth) if link.how == "script" else req

    def extra_links(self, page: Page, response: Response) -> Iterable:
        """Hook for CMS-specific subclasses: more links found in this page's quirks."""
        return ()

    def _script_list(self, response: Response, page: Page, depth: int):
        endpoints = disc.find_endpoints(page.scripts, response.url) if self.cms_hints else []
        self.crawler.stats.inc_value("nianbao/js_lists")
        if endpoints:
            for u in endpoints:
                yield scrapy.Request(
                    u,
                    callback=self.parse_data,
                    errback=self.data_failed,
                    priority=disc.BASE_SCORES[disc.COLUMN],
                    meta=self._meta(response, nb_depth=depth, nb_kind="data", nb_list_page=response.url,
                                    nb_title=page.title + "|" + page.column, nb_scripts=page.scripts[:4000]),
                )
        elif "playwright" not in response.flags and response.meta.get("nb_render") != "never":
            req = self._render_again(response, depth)
            if req is not None:
                yield req

    def data_failed(self, failure):
        """A guessed data endpoint failed: the browser runs the list page's own script instead."""
        self.on_error(failure)
        request = failure.request
        list_page = request.meta.get("nb_list_page")
        if list_page and request.meta.get("nb_render") != "never" and not request.meta.get("nb_data_page"):
            fake = scrapy.http.HtmlResponse(list_page, request=request.replace(url=list_page), body=b"")
            req = self._render_again(fake, request.meta.get("nb_depth", 0))
            if req is not None:
                yield req

    def _guessed(self, request: scrapy.Request, response: Response, depth: int) -> scrapy.Request:
        """A link pieced out of a static page's script is a guess: when it fails, the browser runs the
        script instead (the page it came from is rendered, once)."""
        if "playwright" in response.flags:
            return request
        request.meta.update(nb_guessed_from=response.url, nb_guessed_depth=depth)
        return request.replace(errback=self.guess_failed)

    def guess_failed(self, failure):
        request = failure.request
        self.crawler.stats.inc_value("nianbao/guesses_failed")
        log.debug("guessed link failed: %s (%s)", request.url, failure.getErrorMessage())
        source = request.meta.get("nb_guessed_from")
        if not source or request.meta.get("nb_render") == "never":
            return
        meta = {k: v for k, v in request.meta.items() if k in ("nb_portal", "nb_render")}
        fake = scrapy.http.HtmlResponse(source, request=scrapy.Request(source, meta=meta), body=b"")
        req = self._render_again(fake, request.meta.get("nb_guessed_depth", 0))
        if req is not None:
            yield req

    def _render_again(self, response: Response, depth: int) -> scrapy.Request | None:
        """The same page again through the browser, to be explored (within the portal's render budget)."""
        i = response.meta["nb_portal"]
        if not self.crawler.settings.getbool("NIANBAO_BROWSER", True):
            return None
        key = (i, urldefrag(response.url)[0])
        if key in self.render_seen:  # the same page reached again (its start URL linked as 首页…)
            self.crawler.stats.inc_value("nianbao/render_repeat_skipped")
            return None
        if self.render_left[i] <= 0:
            self.crawler.stats.inc_value("nianbao/render_budget_out")
            self.trail(i).budget_out = True
            return None
        self.render_left[i] -= 1
        self.render_seen.add(key)
        self.crawler.stats.inc_value("nianbao/render_requested")
        extra: dict[str, Any] = {}
        if response.url in self.true_html:  # mojibake in the browser else
            self.crawler.stats.inc_value("nianbao/render_charset_fixed")
            extra["playwright_page_init_callback"] = "nianbao.crawler.browser.read_in_true_charset"
            extra["nb_true_html"] = self.true_html[response.url]
        return scrapy.Request(
            response.url,
            callback=self.parse_rendered,
            errback=self.rendered_failed,
            dont_filter=True,
            priority=disc.BASE_SCORES[disc.COLUMN],
            meta=self._meta(response, nb_depth=depth, nb_kind=response.meta.get("nb_kind", "column"),
                            nb_browser=True, playwright_include_page=True,
                            playwright_page_event_handlers={"response": "record_xhr"}, **extra),
        )

    record_xhr = staticmethod(record_xhr)  # named in the render request's meta (it is serialised)

    async def parse_rendered(self, response: Response):
        """A page the browser rendered for us: explore it in place, then follow all it showed."""
        i = response.meta["nb_portal"]
        depth = response.meta.get("nb_depth", 0)
        page_obj = response.meta.get("playwright_page")
        found = None
        if page_obj is not None:
            t0 = time.monotonic()
            allowed = max(0, min(6, self.clicks_left[i]))
            self.clicks_left[i] -= allowed  # reserved now: pages of a portal are explored side by side
            try:
                found = await explore(page_obj, max_clicks=allowed,
                                      seconds=max(0.0, min(15.0, self.explore_left[i])),
                                      pace=self._host_delay(response.request))
            except Exception as exc:  # noqa: BLE001 - exploring is a bonus; the rendered HTML is still read
                log.warning("页面 %s 交互探索失败：%s", response.url, exc)
            finally:
                await page_obj.close()
                self._host_used(response.request)  # the browser's requests count for the host's pace too
                self.clicks_left[i] += allowed - (found.clicks if found is not None else 0)  # the unused back
            self.explore_left[i] -= time.monotonic() - t0
            log.debug("explored %s: %s", response.url, found)
        self.crawler.stats.inc_value("nianbao/pages")
        self.crawler.stats.inc_value(f"nianbao/pages/{i}")
        if not is_html_response(response):
            return
        page = self._parse(response)
        extra: list[Link] = []
        if found is not None:
            self.trail(i).clicks += found.clicks
            stats = self.crawler.stats
            stats.inc_value("nianbao/clicks", found.clicks)
            stats.inc_value(f"nianbao/clicks/{i}", found.clicks)
            stats.inc_value("nianbao/xhr_answers", len(found.data))
            if found.out_of_time:
                stats.inc_value("nianbao/explore_out_of_time")
            extra += [Link(u, t, r, None, "a") for u, t, r in found.anchors]
            extra += [Link(u, "", "", None, "frame") for u in found.frames]
            extra += [Link(u, t, "", None, "handler") for u, t in found.navigations]
            for url, body in found.data:  # what the page's own requests answered: mined like any list
                links = disc.links_from_json_text(body, url) or disc.links_from_xml_text(body, url)
                for item in self._follow_data(response, links):
                    yield item
                extra += script_links(body, url)
                if links and self._in_scope(url, i):  # the answer's further pages (a list loaded on scroll)
                    for u in disc.json_page_urls(url, body, page.scripts):
                        yield scrapy.Request(u, callback=self.parse_data, errback=self.on_error,
                                             priority=disc.BASE_SCORES[disc.PAGER],
                                             meta=self._meta(response, nb_depth=depth, nb_kind="data", nb_data_page=True,
                                                             nb_title=page.title + "|" + page.column))  # fmt: skip
            for url in found.early_xhr:  # answered before we listened: fetch them again, as data
                if self._in_scope(url, i) and not disc.is_attachment_url(url):
                    yield scrapy.Request(url, callback=self.parse_data, errback=self.on_error,
                                         priority=disc.BASE_SCORES[disc.COLUMN],
                                         meta=self._meta(response, nb_depth=depth, nb_kind="data",
                                                         nb_title=page.title + "|" + page.column))  # fmt: skip
        for item in self._navigate(response, page, depth, extra):
            yield item

    def _host_delay(self, request: scrapy.Request) -> float:
        """The delay Scrapy keeps between this host's requests (DOWNLOAD_DELAY, AutoThrottle, Crawl-delay)."""
        try:
            downloader = self.crawler.engine.downloader
            slot = downloader.slots.get(downloader.get_slot_key(request))
        except AttributeError:  # no engine (a unit test)
            return 0.0
        return float(slot.delay) if slot is not None else 0.0

    def _host_used(self, request: scrapy.Request) -> None:
        try:
            downloader = self.crawler.engine.downloader
            slot = downloader.slots.get(downloader.get_slot_key(request))
        except AttributeError:
            return
        if slot is not None:
            slot.lastseen = time.monotonic()  # Scrapy 2.19's downloader clock (scrapy.core.downloader.monotonic)

    async def rendered_failed(self, failure):
        page_obj = failure.request.meta.get("playwright_page")
        if page_obj is not None:
            await page_obj.close()
        self.on_error(failure)

    def parse_data(self, response: Response):
        """A JSON/XML endpoint that fills a list in: its items are links like any other."""
        links = disc.links_from_json_text(response.body, response.url)
        if not links:
            links = disc.links_from_xml_text(response.body, response.url)
        found = list(self._follow_data(response, links))
        yield from found
        if not response.meta.get("nb_data_page"):
            for u in disc.json_page_urls(response.url, response.body, response.meta.get("nb_scripts", "")):
                yield scrapy.Request(
                    u, callback=self.parse_data, errback=self.on_error, priority=disc.BASE_SCORES[disc.PAGER],
                    meta={**self._meta(response), **{k: v for k, v in response.meta.items() if k.startswith("nb_")},
                          "nb_data_page": True},
                )  # fmt: skip
        if not found and response.meta.get("nb_render") != "never":
            # the endpoint told us nothing: let the browser run the page's script
            list_page = response.meta.get("nb_list_page")
            if list_page:
                yield self._render_again(response.replace(url=list_page), response.meta.get("nb_depth", 0))

    def _follow_data(self, response: Response, links: list[disc.DataLink]):
        portal_idx = response.meta["nb_portal"]
        depth = response.meta.get("nb_depth", 0)
        title = response.meta.get("nb_title", "")
        for link in links:
            if not self._in_scope(link.url, portal_idx):
                continue
            ls = disc.score_link(link.title, link.url, title=title, depth=depth + 1)
            if ls.kind == disc.REPORT:
                d = list_date(link.date or "")
                req = self._report_request(response, link.url, link.title, d.isoformat() if d else None, depth + 1)
                if req is not None:
                    yield req
            elif ls.follow and disc.is_followable_url(link.url):
                yield self._page_request(response, link.url, ls.score, depth + 1, ls.kind)

    def _page_request(self, response: Response, url: str, score: int, depth: int, kind: str) -> scrapy.Request | None:
        url = disc.clean_url(url)  # reliability: no session ids or utm_* (duplicates, traps)
        budget = self.budgets[response.meta["nb_portal"]]
        if not budget.admit(url, kind):
            self.crawler.stats.inc_value("nianbao/links_refused")
            return None
        budget.spend()
        meta = self._meta(response, nb_depth=depth, nb_kind=kind)
        if self.page_maxsize:  # a navigation page is small; a 50 MB one is not read
            meta["download_maxsize"] = self.page_maxsize
        return scrapy.Request(url, callback=self.parse_page, errback=self.on_error, priority=score, meta=meta)

    # --- reports -----------------------------------------------------------------------

    def _report_request(
        self, response: Response, url: str, text: str, list_date: str | None, depth: int
    ) -> scrapy.Request | None:
        url = disc.clean_url(url)  # reliability: one request per report, whatever session id it carries
        if self.journal is not None and self.journal.done(url):
            self.crawler.stats.inc_value("nianbao/resumed_skips")
            self.resumed_skips[response.meta["nb_portal"]] += 1  # listed here, stored by the killed run
            return None
        budget = self.budgets[response.meta["nb_portal"]]
        if not budget.allows(depth, disc.REPORT):
            if budget.max_reports and budget.reports == budget.max_reports:
                budget.reports += 1  # counted once: the health report says the cap was reached
                self.capped(response.meta["nb_portal"], "reports_per_portal", url)
            return None
        budget.reports += 1
        year = disc.find_year(text) or 0
        return scrapy.Request(
            url,
            callback=self.parse_report,
            errback=self.on_error,
            priority=disc.BASE_SCORES[disc.REPORT] + max(0, year - 2000) // 3,
            meta=self._meta(
                response, nb_depth=depth, nb_kind="report", nb_link_text=text, nb_list_date=list_date,
                nb_referrer=response.url,
            ),
        )

    def _document(self, response: Response, role: str) -> DocumentItem:
        return DocumentItem(
            url=response.request.url if response.request is not None else response.url,
            final_url=response.url,
            status=response.status,
            headers={k.decode("latin-1"): b", ".join(v).decode("latin-1") for k, v in response.headers.items()},
            content_type=_content_type(response) or None,
            body=bytes(response.body),
            fetched_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            referrer=response.meta.get("nb_referrer"),
            role=role,
            rendered="playwright" in response.flags,
        )

    def parse_report(self, response: Response):
        """A candidate report: the page (or file) itself, then each of its attachments."""
        self.crawler.stats.inc_value("nianbao/report_candidates")
        self.crawler.stats.inc_value("nianbao/pages")
        portal_idx = response.meta["nb_portal"]
        self.crawler.stats.inc_value(f"nianbao/pages/{portal_idx}")
        item = ReportItem(
            portal=portal_idx,
            link_text=response.meta.get("nb_link_text") or "",
            list_date=response.meta.get("nb_list_date"),
            referrer=response.meta.get("nb_referrer"),
            documents=[self._document(response, "page")],
        )
        attachments: list[tuple[str, str]] = []
        if is_html_response(response):
            page = self._parse(response)
            item.title = page.title
            depth = response.meta.get("nb_depth", 0)
            for link in page.links:
                if disc.is_attachment_url(link.url) and not disc.is_decoy(link.text):
                    attachments.append((link.url, link.text))
                elif self._in_scope(link.url, portal_idx):
                    # neighbours (上一篇/下一篇) and the column the report sits in
                    ls = disc.score_link(link.text, link.url, title=page.title, depth=depth + 1, context=page.column)
                    if ls.kind == disc.REPORT:
                        req = self._report_request(response, link.url, link.text, link.list_date, depth + 1)
                        if req is not None:
                            yield req
                    elif ls.kind == disc.COLUMN and self.budgets[portal_idx].allows(depth + 1, ls.kind):
                        yield self._page_request(response, link.url, ls.score, depth + 1, ls.kind)
        seen = {item.documents[0].url}
        attachments = [(u, t) for u, t in dict(attachments).items() if not (u in seen or seen.add(u))]
        if self.max_attachments and len(attachments) > self.max_attachments:
            self.capped(portal_idx, "attachments_per_report", response.url)
            attachments = attachments[: self.max_attachments]
        yield from self._next_attachment(response, item, attachments)

    def _next_attachment(self, response: Response, item: ReportItem, rest: list[tuple[str, str]]):
        if not rest:
            yield item
            return
        (url, text), rest = rest[0], rest[1:]
        yield scrapy.Request(
            disc.clean_url(url),
            callback=self.parse_attachment,
            errback=self.attachment_failed,
            dont_filter=True,  # the chain must go on even when another page links the same file
            priority=disc.BASE_SCORES[disc.REPORT] + 20,
            meta=self._meta(
                response, nb_kind="attachment", nb_item=item, nb_rest=rest, nb_link_text=text,
                nb_referrer=item.documents[0].final_url,
            ),
        )

    def parse_attachment(self, response: Response):
        item: ReportItem = response.meta["nb_item"]
        doc = self._document(response, "attachment")
        doc.link_text = response.meta.get("nb_link_text")
        item.documents.append(doc)
        yield from self._next_attachment(response, item, response.meta["nb_rest"])

    def attachment_failed(self, failure):
        request = failure.request
        item: ReportItem = request.meta["nb_item"]
        item.problems.append(f"附件下载失败：{request.url}（{failure.getErrorMessage()}）")
        self.crawler.stats.inc_value("nianbao/attachment_errors")
        self.record_error(request, failure)
        yield from self._next_attachment(_FakeResponse(request), item, request.meta["nb_rest"])

    def on_error(self, failure):
        request = getattr(failure, "request", None)
        url = request.url if request is not None else "?"
        self.crawler.stats.inc_value("nianbao/fetch_errors")
        if request is not None and "nb_portal" in request.meta:
            self.crawler.stats.inc_value(f"nianbao/fetch_errors/{request.meta['nb_portal']}")
        log.warning("抓取失败 %s：%s", url, failure.getErrorMessage())
        if request is not None:
            self.record_error(request, failure)

    MAX_ERRORS_PER_PORTAL = 200

    def record_error(self, request: scrapy.Request, failure) -> None:
        """Keep a failure with its URL for the run's health report (``run_sites.stats.problems``)."""
        portal = request.meta.get("nb_portal")
        if portal is None:
            return
        errors = self.errors.setdefault(portal, [])
        if len(errors) < self.MAX_ERRORS_PER_PORTAL:
            exc = failure.value
            errors.append({"url": request.url, "kind": request.meta.get("nb_kind") or "page",
                           "error": f"{type(exc).__name__}: {failure.getErrorMessage()}"[:300]})

    @staticmethod
    def host(url: str) -> str:
        return (urlsplit(url).hostname or "").lower()


class Trail:
    """What the spider did on one portal, kept small: the diagnosis when it finds no report."""

    KEEP = 8

    def __init__(self) -> None:
        self.walked: list[tuple[str, str, str, bool]] = []
        self.best: list[tuple[int, str, str, str]] = []
        self.rendered: list[str] = []
        self.clicks = 0
        self.budget_out = False

    def walk(self, kind: str, url: str, title: str, rendered: bool) -> None:
        if rendered and len(self.rendered) < self.KEEP:
            self.rendered.append(url)
        if len(self.walked) < self.KEEP:
            self.walked.append((kind, url, title[:60], rendered))

    def candidate(self, score: int, kind: str, text: str, url: str) -> None:
        if kind in (disc.DECOY, disc.OTHER) or (len(self.best) >= 5 and score <= self.best[-1][0]):
            return
        self.best = sorted([*[b for b in self.best if b[3] != url], (score, kind, text[:60], url)], reverse=True)[:5]

    def as_dict(self, render_left: int | None = None) -> dict[str, Any]:
        return {"walked": [list(w) for w in self.walked], "best": [list(b) for b in self.best],
                "rendered": self.rendered, "clicks": self.clicks, "render_budget_out": self.budget_out,
                "render_left": render_left}  # fmt: skip


def name_forms(agency: str) -> list[str]:
    """How a link may name a government: 鞍山市立山区人民政府 -> 鞍山市立山区, 立山区, 立山 (2+ characters)."""
    short = re.sub(r"(人民政府|政府|管理委员会|管委会|办事处)$", "", agency.strip())
    parts = [x for x in re.split(r"(?<=[省市州])(?=..)", short) if x]
    forms = {short, parts[-1]}
    forms |= {re.sub(r"(?<=[\u4e00-\u9fff]{2})(?:[\u4e00-\u9fff]族)*(自治县|自治旗|区|县|市|旗)$", "", f) for f in list(forms)}
    return sorted(f for f in forms if len(f) >= 2)


class _FakeResponse:
    """Just enough of a response (its meta) to continue an attachment chain after a failure."""

    def __init__(self, request: scrapy.Request):
        self.meta = request.meta
