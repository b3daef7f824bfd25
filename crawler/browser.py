"""What the browser may load (``PLAYWRIGHT_ABORT_REQUEST``): the crawl, not trackers or other sites' pings.

Images, fonts, media and styles are never needed by a list or challenge page.  A page's requests
to another site are aborted too, except scripts and data a script-filled list may need
(``script``, ``xhr``, ``fetch``); beacons, pings, sockets and the like to another site only tell
a third party that the crawler came by.  Navigations are never aborted (the guard middleware
decides where the crawler goes).
"""

from __future__ import annotations

from urllib.parse import urlsplit

ABORTED_RESOURCE_TYPES = frozenset({"image", "font", "media", "stylesheet"})
CROSS_SITE_ALLOWED = frozenset({"document", "script", "xhr", "fetch"})


def _site(host: str) -> str:
    from nianbao.crawler.discovery import site_base

    return site_base(host.lower())


def aborts(resource_type: str, url: str, page_url: str | None, *, navigation: bool = False) -> bool:
    """Whether a browser request is aborted (pure: what :func:`abort_request` decides)."""
    if navigation:
        return False
    if resource_type in ABORTED_RESOURCE_TYPES:
        return True
    if not urlsplit(url).scheme.lower().startswith("http"):
        return resource_type not in ("script", "document")  # data:/blob: scripts of the page itself
    if resource_type in CROSS_SITE_ALLOWED or not page_url:
        return False
    return _site(urlsplit(url).hostname or "") != _site(urlsplit(page_url).hostname or "")


def abort_request(request) -> bool:
    """True for sub-resources a list or challenge page never needs (never the page itself)."""
    navigation = request.is_navigation_request()
    try:
        page_url = request.frame.url
    except Exception:  # noqa: BLE001 - a service worker's request has no frame
        page_url = None
    return aborts(request.resource_type, request.url, page_url, navigation=navigation)
