"""Downloader middlewares, one concern each.

* :class:`CrawlDelayMiddleware`: honour robots.txt ``Crawl-delay`` (Scrapy's robots support
  only allows/denies).  Setting ``NIANBAO_CRAWL_DELAY_MAX`` caps it.
* :class:`RenderMiddleware`: decide per page and per site whether the browser (Playwright)
  fetches a request: the site's ``render`` policy (auto|always|never), pages the spider
  asks to render (JS-only lists), and anti-bot challenge pages (HTTP 412/521 with a small
  cookie-setting script), whose cookie the browser earns and plain requests then reuse.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import urlsplit

from protego import Protego
from scrapy import Request, signals
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from nianbao.crawler import discovery as disc

log = logging.getLogger(__name__)


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


class CrawlDelayMiddleware:
    """Read ``Crawl-delay`` from every robots.txt the robots middleware fetches; space that host's requests.

    Settings: ``NIANBAO_CRAWL_DELAY_ENABLED`` (True), ``NIANBAO_CRAWL_DELAY_MAX`` (seconds, 10).
    AutoThrottle is told not to shrink the delay of such hosts.
    """

    def __init__(self, crawler, max_delay: float):
        self.crawler = crawler
        self.max_delay = max_delay
        self.delays: dict[str, float] = {}
        self.user_agent = crawler.settings.get("ROBOTSTXT_USER_AGENT") or crawler.settings.get("USER_AGENT") or "*"

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("NIANBAO_CRAWL_DELAY_ENABLED", True):
            raise NotConfigured
        return cls(crawler, crawler.settings.getfloat("NIANBAO_CRAWL_DELAY_MAX", 10.0))

    def _slot(self, request: Request):
        downloader = self.crawler.engine.downloader
        key = downloader.get_slot_key(request)
        return downloader.slots.get(key)

    def process_request(self, request: Request, spider=None):
        delay = self.delays.get(_host(request.url))
        if delay:
            request.meta["autothrottle_dont_adjust_delay"] = True
            slot = self._slot(request)
            if slot is not None and slot.delay < delay:
                slot.delay = delay
                slot.jitter = 0.0
        return None

    def process_response(self, request: Request, response: Response, spider=None):
        if urlsplit(request.url).path == "/robots.txt" and response.status == 200:
            try:
                rp = Protego.parse(response.body.decode("utf-8", "replace"))
                delay = rp.crawl_delay(self.user_agent)
            except Exception:  # a broken robots.txt must not stop the crawl
                delay = None
            if delay:
                delay = min(float(delay), self.max_delay)
                self.delays[_host(request.url)] = delay
                slot = self._slot(request)
                if slot is not None:
                    slot.delay = max(slot.delay, delay)
                    slot.jitter = 0.0
                self.crawler.stats.inc_value("nianbao/crawl_delay_hosts")
                log.info("%s: robots.txt Crawl-delay %.1f s", _host(request.url), delay)
        return response


class RenderMiddleware:
    """Send a request through the browser when the page needs it; reuse the cookies it earns.

    Settings: ``NIANBAO_BROWSER`` (True: allowed at all), ``NIANBAO_CHALLENGE_WAIT`` (seconds
    to wait for a challenge page to set its cookie and reload, 10).
    Request meta: ``nb_render`` (site policy auto|always|never), ``nb_browser`` (the spider
    asks for a rendered page), ``nb_kind`` (report/attachment/data are never rendered unless
    the host is browser-only).
    """

    NEVER_RENDER_KINDS = ("attachment", "data")

    def __init__(self, crawler, enabled: bool, challenge_wait: float):
        self.crawler = crawler
        self.enabled = enabled
        self.challenge_wait = challenge_wait
        self.host_cookies: dict[str, dict[str, str]] = {}
        self.browser_only: set[str] = set()
        crawler.signals.connect(self._closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        s = crawler.settings
        if s.getbool("NIANBAO_OFFLINE_SUFFIX_LIST", True):
            use_bundled_public_suffix_list()
        return cls(crawler, s.getbool("NIANBAO_BROWSER", True), s.getfloat("NIANBAO_CHALLENGE_WAIT", 10.0))

    def _closed(self, spider=None) -> None:
        stats = self.crawler.stats
        stats.set_value("nianbao/browser_only_hosts", len(self.browser_only))
        stats.set_value("nianbao/cookie_hosts", len(self.host_cookies))

    # --- requests ------------------------------------------------------------------------

    @staticmethod
    def _is_robots(request: Request) -> bool:
        """Scrapy's own robots.txt request: never rendered (a text file; a browser cannot pass a gate on it)."""
        return bool(request.meta.get("dont_obey_robotstxt")) and urlsplit(request.url).path == "/robots.txt"

    def _wants_browser(self, request: Request) -> bool:
        if not self.enabled or request.meta.get("nb_render") == "never" or self._is_robots(request):
            return False
        if request.meta.get("nb_browser") or _host(request.url) in self.browser_only:
            return True
        if request.meta.get("nb_render") == "always":
            return request.meta.get("nb_kind") not in self.NEVER_RENDER_KINDS and not disc.is_attachment_url(
                request.url
            )
        return False

    def process_request(self, request: Request, spider=None):
        cookies = self.host_cookies.get(_host(request.url))
        if cookies and not request.meta.get("playwright"):
            for k, v in cookies.items():
                if isinstance(request.cookies, dict):
                    request.cookies.setdefault(k, v)
        if not request.meta.get("playwright") and self._wants_browser(request):
            request.meta["playwright"] = True
            request.meta.setdefault("playwright_context", "default")
            # a script-filled list may chain several requests: wait until the network is quiet
            request.meta.setdefault("playwright_page_goto_kwargs", {"wait_until": "networkidle"})
            self.crawler.stats.inc_value("nianbao/rendered")
            if "nb_portal" in request.meta:
                self.crawler.stats.inc_value(f"nianbao/rendered/{request.meta['nb_portal']}")
        return None

    # --- responses -----------------------------------------------------------------------

    async def process_response(self, request: Request, response: Response, spider=None):
        if request.meta.get("nb_challenge"):  # the page is ours (the spider's own pages go to their callback)
            page = request.meta.pop("playwright_page", None)
            if page is not None:
                return await self._after_challenge(request, response, page)
        if "playwright" in response.flags:
            return response
        if disc.is_challenge(response.status, response.body):
            host = _host(request.url)
            self.crawler.stats.inc_value("nianbao/challenges")
            if not self.enabled or request.meta.get("nb_render") == "never":
                log.warning("%s：反爬虫验证页（HTTP %s），未启用浏览器，跳过", request.url, response.status)
                return response
            if self._is_robots(request):
                # robots.txt behind the gate: read as absent (Scrapy parses no rule from the challenge page);
                # the pages themselves pass the gate through the browser
                log.info("%s：robots.txt 被反爬虫验证拦截（HTTP %s），按未设置处理", host, response.status)
                return response
            if request.meta.get("nb_after_challenge"):
                # the earned cookie did not satisfy the gateway for plain requests: browser from now on
                self.browser_only.add(host)
                log.info("%s: cookie not accepted for plain requests; browser only", host)
                return request.replace(dont_filter=True, meta={**request.meta, "playwright": True})
            log.info("%s: anti-bot challenge (HTTP %s); fetching through the browser", host, response.status)
            meta = {**request.meta, "playwright": True, "playwright_include_page": True, "nb_challenge": True}
            return request.replace(dont_filter=True, meta=meta)
        return response

    async def _after_challenge(self, request: Request, response: Response, page: Any):
        """The browser met a challenge: wait until its script reloads the page, keep the cookies."""
        host = _host(request.url)
        try:
            content = response.body
            loop = asyncio.get_running_loop()
            deadline = loop.time() + self.challenge_wait
            while loop.time() < deadline:
                try:
                    html = await page.content()
                except Exception:  # navigating: ask again
                    await asyncio.sleep(0.1)
                    continue
                content = html.encode("utf-8")
                if not disc.is_challenge(412, content):
                    break
                await asyncio.sleep(0.2)
            cookies = await page.context.cookies()
        finally:
            await page.close()
        earned = {c["name"]: c["value"] for c in cookies if host.endswith((c.get("domain") or "").lstrip("."))}
        if earned:
            self.host_cookies.setdefault(host, {}).update(earned)
            self.crawler.stats.inc_value("nianbao/challenges_passed")
        meta = {k: v for k, v in request.meta.items() if not k.startswith("playwright")}
        meta.update(nb_after_challenge=True, nb_challenge=False)
        retry = request.replace(dont_filter=True, meta=meta)
        if earned:
            retry.cookies = dict(retry.cookies) if isinstance(retry.cookies, dict) else {}
            retry.cookies.update(earned)
        return retry


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retry, waiting ``RETRY_BACKOFF_BASE * 2**n`` seconds (capped by ``RETRY_BACKOFF_MAX``) first.

    The wait is asynchronous: other requests (and other hosts) go on meanwhile.
    """

    def __init__(self, settings):
        super().__init__(settings)
        self.base = settings.getfloat("RETRY_BACKOFF_BASE", 1.0)
        self.cap = settings.getfloat("RETRY_BACKOFF_MAX", 30.0)
        self.retry_after_max = settings.getfloat("NIANBAO_RETRY_AFTER_MAX", 120.0)

    def backoff(self, retry: Request) -> float:
        n = max(0, retry.meta.get("retry_times", 1) - 1)
        return min(self.cap, self.base * (2**n))

    async def _wait(self, result):
        # reliability: a server's Retry-After is honoured (at least that long), else exponential backoff
        after = result.meta.pop("nb_retry_after", 0.0) if isinstance(result, Request) else 0.0
        if isinstance(result, Request) and (self.base > 0 or after):
            self.crawler.stats.inc_value("nianbao/retry_backoffs")
            await asyncio.sleep(max(self.backoff(result), after))
        return result

    async def process_response(self, request: Request, response: Response, spider=None):
        result = super().process_response(request, response)
        after = retry_after(response.headers.get(b"Retry-After"))
        if isinstance(result, Request) and after is not None:
            if after > self.retry_after_max:  # "come back tomorrow": give up now, the error is recorded
                self.crawler.stats.inc_value("nianbao/retry_after_too_long")
                return response
            result.meta["nb_retry_after"] = after
        return await self._wait(result)

    async def process_exception(self, request: Request, exception: Exception, spider=None):
        return await self._wait(super().process_exception(request, exception))


def retry_after(value: bytes | str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date); None if absent/bad."""
    import email.utils
    import time

    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def use_bundled_public_suffix_list() -> None:
    """Make Scrapy's cookie middleware use tldextract's bundled suffix list (no download attempt).

    Portals are often crawled from machines without general internet access; fetching the list
    there fails slowly and noisily on the first cookie.
    """
    from scrapy.downloadermiddlewares import cookies
    from tldextract import TLDExtract

    cookies._split_domain = TLDExtract(suffix_list_urls=(), include_psl_private_domains=True)
