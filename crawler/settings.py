"""Scrapy settings for nianbao crawls: polite by default, every knob overridable (``-s NAME=VALUE``).

Proxy: Scrapy's HttpProxyMiddleware honours ``http_proxy``/``HTTP_PROXY``/``no_proxy`` for plain
requests; :func:`browser_proxy` hands the same variables to the browser (Playwright), so one
crawl runs against the real internet or a simulated network of portals alike.
"""

from __future__ import annotations

import os
from typing import Any

from scrapy.settings import default_settings as _scrapy_defaults

BOT_NAME = "nianbao"
SPIDER_MODULES = ["nianbao.crawler.spiders"]
NEWSPIDER_MODULE = "nianbao.crawler.spiders"

USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36 "
    "nianbao/0.1 (+https://github.com/nianbao)"
)
ROBOTSTXT_OBEY = True
ROBOTSTXT_USER_AGENT = "nianbao"

# Politeness: AutoThrottle plus a per-host concurrency cap; Crawl-delay via our own middleware.
CONCURRENT_REQUESTS = 32
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0

# Slow, broken and huge servers.
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 64 * 1024 * 1024
DOWNLOAD_WARNSIZE = 16 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
# Scrapy's list, plus a browser navigation that timed out (a page whose load event never came)
RETRY_EXCEPTIONS = [*_scrapy_defaults.RETRY_EXCEPTIONS, "playwright.async_api.TimeoutError"]
RETRY_BACKOFF_BASE = 1.0  # seconds; doubled per retry (see nianbao.crawler.middlewares.BackoffRetryMiddleware)
RETRY_BACKOFF_MAX = 30.0
REDIRECT_MAX_TIMES = 10
METAREFRESH_ENABLED = True

HTTPCACHE_ENABLED = False
TELNETCONSOLE_ENABLED = False
COOKIES_ENABLED = True
LOG_LEVEL = "INFO"
DEPTH_PRIORITY = 0
SCHEDULER_PRIORITY_QUEUE = "scrapy.pqueues.DownloaderAwarePriorityQueue"
DNS_TIMEOUT = 20
TWISTED_DNS_RESOLVER = "nianbao.crawler.guard.PublicOnlyResolver"  # names resolving to internal addresses refused
REACTOR_THREADPOOL_MAXSIZE = 4

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"

DOWNLOADER_MIDDLEWARES = {
    "nianbao.crawler.guard.GuardMiddleware": 50,  # only public http(s), every hop; robots.txt size cap
    "nianbao.crawler.guard.RedirectGuardMiddleware": 610,  # a redirect to a refused destination (before 600)
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "nianbao.crawler.middlewares.BackoffRetryMiddleware": 550,
    "nianbao.crawler.middlewares.CrawlDelayMiddleware": 120,
    "nianbao.crawler.access.SiteAccessMiddleware": 600,  # registry hints: mobile UA, http<->https, browser first
    "nianbao.crawler.middlewares.RenderMiddleware": 650,
}
ITEM_PIPELINES = {"nianbao.crawler.pipelines.StorePipeline": 300}
# Add-ons plug other parts into a crawl (the CLI enables them): nianbao.monitor.addon.MonitorAddon,
# nianbao.distributed.addon.DistributedAddon.
ADDONS: dict[str, int] = {}
EXTENSIONS = {"scrapy.extensions.telnet.TelnetConsole": None}

# nianbao's own knobs (documented defaults)
NIANBAO_DB = None  # SQLite file of the store (required for a crawl)
NIANBAO_SITES = None  # site list CSV
NIANBAO_MAX_PAGES = 300  # navigation pages per portal (reports are not counted)
NIANBAO_MAX_DEPTH = 6  # links from the start page
NIANBAO_MAX_REPORTS = 5000  # candidate reports per portal (0 = no limit); reaching it is in the health report
NIANBAO_MAX_REPORTS_PER_PAGE = 500  # candidate reports taken from one list page (a real one lists 15-100)
NIANBAO_MAX_LINKS_PER_PAGE = 5000  # links read from one page (a 200,000-link page froze the crawl)
NIANBAO_MAX_ATTACHMENTS = 20  # files fetched per candidate report
NIANBAO_ALLOWED_HOSTS: list[str] = []  # private/loopback hosts the crawler may fetch anyway (see crawler.guard)
NIANBAO_ROBOTS_MAXSIZE = 512 * 1024  # a larger robots.txt is not read (the site is then crawled as allowed)
# reliability: traps, huge navigation pages, Retry-After
NIANBAO_MAX_PATTERN_PAGES = 25  # navigation pages of one URL pattern (calendar traps); pagers exempt
NIANBAO_PAGE_MAXSIZE = 8 * 1024 * 1024  # a navigation page larger than this is not read (reports: DOWNLOAD_MAXSIZE)
NIANBAO_RETRY_AFTER_MAX = 120.0  # a longer Retry-After gives the request up (recorded) instead of waiting
NIANBAO_FRONTIER_MAX = 2000  # soak fix: no new portal is started while this many requests wait (0 = no limit)
NIANBAO_CRAWL_DELAY_ENABLED = True
NIANBAO_CRAWL_DELAY_MAX = 10.0
NIANBAO_BROWSER = True  # may the browser be used at all
NIANBAO_SITE_HINTS = True  # apply the division registry's per-site access hints (nianbao.crawler.access)
NIANBAO_CHALLENGE_WAIT = 10.0
NIANBAO_PARSE = True  # False: fetch and store documents only (read them later)
NIANBAO_PARSE_WORKERS = "auto"  # parsing processes: auto = up to 2 when there are 2+ cores; 0 = none
NIANBAO_PARSE_IN_THREAD = True  # without workers: parse in a thread, not in the reactor
NIANBAO_OFFLINE_SUFFIX_LIST = True  # cookies: tldextract's bundled public suffix list, no download

# Playwright (scrapy-playwright) with Debian's Chromium; the browser starts only when a request needs it.
# only http(s) can be fetched at all: Scrapy's file, ftp, data and s3 handlers are off
NO_OTHER_SCHEMES: dict[str, Any] = {"file": None, "ftp": None, "data": None, "s3": None}
DOWNLOAD_HANDLERS = {
    "http": "nianbao.crawler.handler.LazyPlaywrightDownloadHandler",
    "https": "nianbao.crawler.handler.LazyPlaywrightDownloadHandler",
    **NO_OTHER_SCHEMES,
}
PLAYWRIGHT_BROWSER_TYPE = "chromium"
_NOWHERE = "http://127.0.0.1:9/"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    # talk to the portals only (issue 14: accounts.google.com and update.googleapis.com were seen at the
    # portal proxy on every browser start): Google sign-in, API, component-update and variations
    # endpoints point at the discard port on loopback (Chromium connects there directly, refused at once)
    f"--gaia-url={_NOWHERE}",
    f"--google-apis-url={_NOWHERE}",
    f"--lso-url={_NOWHERE}",
    f"--component-updater=url-source={_NOWHERE}",
    f"--variations-server-url={_NOWHERE}",
    "--disable-component-extensions-with-background-pages",
    "--disable-extensions",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--no-pings",
    # (no --disable-features here: it would replace Playwright's list, which turns off network-time
    # queries to clients2.google.com among others)
]
PLAYWRIGHT_LAUNCH_OPTIONS: dict[str, Any] = {
    "executable_path": os.environ.get("NIANBAO_CHROMIUM", "/usr/bin/chromium"),
    "args": CHROMIUM_ARGS,
    "headless": True,
    "timeout": 30_000,
}
PLAYWRIGHT_MAX_CONTEXTS = 1  # one context: the cookies a challenge earns serve every page of the crawl
PLAYWRIGHT_MAX_PAGES_PER_CONTEXT = 4
PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT = 30_000
PLAYWRIGHT_ABORT_REQUEST = "nianbao.crawler.browser.abort_request"


def browser_proxy(env: dict[str, str] | None = None) -> dict[str, str] | None:
    """Playwright's ``proxy`` option from ``http_proxy``/``HTTP_PROXY`` and ``no_proxy``/``NO_PROXY``."""
    env = os.environ if env is None else env
    server = env.get("http_proxy") or env.get("HTTP_PROXY")
    if not server:
        return None
    proxy = {"server": server}
    bypass = env.get("no_proxy") or env.get("NO_PROXY")
    if bypass:
        proxy["bypass"] = bypass
    return proxy


def build(overrides: dict[str, Any] | None = None, env: dict[str, str] | None = None) -> dict[str, Any]:
    """These settings as a dict, with the browser proxy taken from the environment, then ``overrides``."""
    out = {k: v for k, v in globals().items() if k.isupper()}
    out["PLAYWRIGHT_LAUNCH_OPTIONS"] = dict(PLAYWRIGHT_LAUNCH_OPTIONS)
    proxy = browser_proxy(env)
    if proxy:
        out["PLAYWRIGHT_LAUNCH_OPTIONS"]["proxy"] = proxy
    out.update(overrides or {})
    if not out.get("NIANBAO_BROWSER", True):
        out["DOWNLOAD_HANDLERS"] = dict(NO_OTHER_SCHEMES)
    return out


# Settings are read once at import by `scrapy crawl`; give the browser the proxy then too.
_proxy = browser_proxy()
if _proxy:
    PLAYWRIGHT_LAUNCH_OPTIONS["proxy"] = _proxy
del _proxy
