"""Per-site access hints from the division registry, applied to a portal's requests.

The registry (``regions``) records how each government portal answered a probe
(``access_method_code``): ``ua-mobile`` (only a mobile User-Agent is served), ``protocol-switch``
(only http or only https answers), ``none`` (an anti-bot gateway answers plain clients with
412/468/521; a real browser passes). :func:`access_settings` turns such hints into request
settings (pure); :func:`portal_access` finds a portal's hints by its sites' region codes, else
by host; :class:`SiteAccessMiddleware` applies them to every request of that portal:

* ``user_agent``: the mobile User-Agent replaces the default one;
* ``switch_scheme``: a request that cannot connect is tried once with the other scheme;
* ``browser_first``: the start page is fetched through the browser, as for an anti-bot
  challenge (the cookie it earns then serves plain requests; when the gateway refuses those,
  :class:`nianbao.crawler.middlewares.RenderMiddleware` keeps the host on the browser), and a gateway
  status (412/468/521) whose page is not recognised as a challenge goes through the browser too.

The site list's ``render`` column overrides: ``never`` keeps the browser away whatever the
registry says (``always`` already renders every page). Setting ``NIANBAO_SITE_HINTS`` (True)
turns the registry hints off.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from nianbao.intake.sites import Portal, Site
from nianbao.regions.registry import registry

log = logging.getLogger(__name__)

GATEWAY_STATUSES = (412, 468, 521)
APPLIED_CODES = ("ua-mobile", "protocol-switch", "none")


@dataclass(frozen=True)
class Access:
    """How to request one portal (all off: an ordinary site)."""

    access_method_code: str = "direct"
    user_agent: str | None = None
    switch_scheme: bool = False
    browser_first: bool = False
    message: str = ""

    @property
    def special(self) -> bool:
        return bool(self.user_agent or self.switch_scheme or self.browser_first)


DIRECT = Access()


def access_settings(hints: dict | None, render: str = "auto") -> Access:
    """Request settings from registry hints (``nianbao.regions.registry.hints_for``) and the site's
    ``render`` policy (pure). Only verified special access methods change anything:
    ``ua-mobile`` -> mobile User-Agent, ``protocol-switch`` -> try the other scheme on a
    connection failure, ``none`` -> browser first unless ``render`` is ``never``."""
    if not hints:
        return DIRECT
    code = hints.get("access_method_code") or "unknown"
    if code not in APPLIED_CODES:
        return Access(access_method_code=code)
    return Access(
        access_method_code=code,
        user_agent=hints.get("user_agent") if code == "ua-mobile" else None,
        switch_scheme=code == "protocol-switch",
        browser_first=code == "none" and render != "never",
        message=hints.get("message") or "",
    )


def switch_scheme(url: str) -> str:
    """The same URL with the other scheme (http <-> https); other URLs unchanged."""
    parts = urlsplit(url)
    other = {"http": "https", "https": "http"}.get(parts.scheme)
    return parts._replace(scheme=other).geturl() if other else url


def site_hints(site: Site, registry) -> dict | None:
    """The registry's hints for a listed site: by its region code or name, else by its URL's host;
    None when the registry does not know the site."""
    region = registry.resolve(site.region) if site.region else None
    if region is not None:
        return registry.crawl_hints(region)
    if registry.by_host(site.url):
        return registry.crawl_hints(site.url)
    return None


def portal_access(portal: Portal, registry) -> Access:
    """A portal's access settings: the first of its sites the registry knows with a special method
    (a county portal's sites share the county's hints)."""
    if registry is None:
        return DIRECT
    first = None
    for site in portal.sites:
        hints = site_hints(site, registry)
        if hints is None:
            continue
        access = access_settings(hints, portal.render)
        if access.special:
            return access
        first = first or access
    return first or DIRECT


class SiteAccessMiddleware:
    """Apply each portal's registry hints to its requests (see the module doc)."""

    def __init__(self, crawler, browser: bool):
        self.crawler = crawler
        self.browser = browser
        self._by_portal: list[Access] | None = None
        self._by_host: dict[str, Access] = {}

    @classmethod
    def from_crawler(cls, crawler):
        s = crawler.settings
        if not s.getbool("NIANBAO_SITE_HINTS", True):
            raise NotConfigured
        return cls(crawler, s.getbool("NIANBAO_BROWSER", True))

    def _table(self) -> list[Access]:
        if self._by_portal is None:
            portals: Iterable[Portal] = getattr(self.crawler.spider, "portals", None) or []
            try:
                reg = registry()
            except Exception as exc:  # noqa: BLE001 - no registry: plain requests everywhere
                log.warning("行政区划登记表无法加载，不使用站点访问提示：%s", exc)
                reg = None
            self._by_portal = [portal_access(p, reg) for p in portals]
            for p, access in zip(portals, self._by_portal, strict=True):
                if access.special:
                    log.info("%s：%s", p.url, access.message or access.access_method_code)
                    self.crawler.stats.inc_value(f"nianbao/site_hints/{access.access_method_code}")
                    for site in p.sites:
                        self._by_host.setdefault((urlsplit(site.url).hostname or "").lower(), access)
        return self._by_portal

    def access_of(self, request: Request) -> Access:
        table = self._table()
        i = request.meta.get("nb_portal")
        if isinstance(i, int) and 0 <= i < len(table):
            return table[i]
        return self._by_host.get((urlsplit(request.url).hostname or "").lower(), DIRECT)  # robots.txt

    def process_request(self, request: Request, spider=None):
        access = self.access_of(request)
        if access.user_agent:
            request.headers[b"User-Agent"] = access.user_agent
        if (
            access.browser_first and self.browser and request.meta.get("nb_kind") == "start"
            and not request.meta.get("playwright") and not request.meta.get("nb_after_challenge")
        ):  # fmt: skip
            # as for a challenge page: the browser passes the gateway, its cookie then serves plain requests
            request.meta.update(playwright=True, playwright_include_page=True, nb_challenge=True)
            request.meta.setdefault("playwright_context", "default")
            self.crawler.stats.inc_value("nianbao/site_hints/browser_first")
        return None

    def process_response(self, request: Request, response: Response, spider=None):
        access = self.access_of(request)
        if (
            access.browser_first and self.browser and response.status in GATEWAY_STATUSES
            and "playwright" not in response.flags and not request.meta.get("playwright")
            and request.meta.get("nb_render") != "never"
        ):  # fmt: skip
            self.crawler.stats.inc_value("nianbao/site_hints/gateway")
            return request.replace(dont_filter=True, meta={**request.meta, "playwright": True})
        return response

    def process_exception(self, request: Request, exception: Exception, spider=None):
        access = self.access_of(request)
        if not access.switch_scheme or request.meta.get("nb_scheme_switched"):
            return None
        other = switch_scheme(request.url)
        if other == request.url:
            return None
        log.info("%s：连接失败（%s），改用 %s", request.url, type(exception).__name__, urlsplit(other).scheme)
        self.crawler.stats.inc_value("nianbao/site_hints/scheme_switched")
        return request.replace(url=other, dont_filter=True, meta={**request.meta, "nb_scheme_switched": True})
