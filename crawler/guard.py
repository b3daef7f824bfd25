"""Only public http(s): the crawler fetches nothing else, whatever a page or a redirect says.

A hostile page can link ``file:///etc/passwd`` as an attachment or redirect a list page to the
cloud metadata address (169.254.169.254, also written ``0xa9fea9fe``, ``2852039166`` or
``[::ffff:a9fe:a9fe]``), to 127.0.0.1 or to 10.0.0.1.  :func:`refusal` names why a URL must not
be fetched; :class:`GuardMiddleware` applies it to every request the engine schedules (first
requests, links and every redirect hop alike, since Scrapy re-schedules redirects), counts
each refusal per portal and caps the size of robots.txt.

The check is on the target URL.  Through an HTTP proxy (the sandbox's, or an operator's) the
proxy resolves host names; without one, :class:`PublicOnlyResolver` (``DNS_RESOLVER``) refuses
a name that resolves to a non-public address.  Exceptions: the setting ``NIANBAO_ALLOWED_HOSTS``
(host names or IPs) and the configured proxy's own host.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import socket
from collections import Counter
from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest
from scrapy.resolver import CachingThreadedResolver
from twisted.internet.error import DNSLookupError

log = logging.getLogger(__name__)

SCHEMES = ("http", "https")
ROBOTS_MAXSIZE = 512 * 1024  # robots.txt is a few KB; Google reads 500 KiB of it
LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")


def ip_literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address a host written as an IP literal means, in any spelling a resolver accepts.

    ``10.0.0.1``, ``0xa9fea9fe``, ``2852039166``, ``0251.0376.0251.0376``, ``127.1`` (inet_aton
    forms) and IPv6 (``::ffff:a9fe:a9fe`` is the IPv4 address it maps).  None for a name.
    """
    host = host.strip("[]").rstrip(".")
    if not host:
        return None
    try:
        ip = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        if not all(c in "0123456789abcdefxABCDEFX." for c in host):
            return None
        try:
            ip = ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    if isinstance(ip, ipaddress.IPv6Address):
        mapped = ip.ipv4_mapped or ip.sixtofour
        if mapped is not None:
            return mapped
    return ip


def _not_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link_local"
    if ip.is_unspecified:
        return "reserved"
    if ip.is_private:
        return "private"
    if ip.is_multicast or ip.is_reserved or ip.is_unspecified or not ip.is_global:
        return "reserved"
    return None


def refusal(url: str, allowed: frozenset[str] | set[str] = frozenset()) -> str | None:
    """Why ``url`` must not be fetched (``scheme``, ``loopback``, ``private``, ``link_local``,
    ``reserved``, ``localhost``, ``no_host``), or None for a public http(s) URL."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return "no_host"
    if parts.scheme.lower() not in SCHEMES:
        return "scheme"
    if not host:
        return "no_host"
    if host in allowed:
        return None
    if host.rstrip(".") in LOCAL_NAMES or host.rstrip(".").endswith(".localhost"):
        return "localhost"
    ip = ip_literal(host)
    if ip is None:
        return None
    if str(ip) in allowed:
        return None
    return _not_public(ip)


class GuardMiddleware:
    """Refuse requests to anything but public http(s) (counted per portal); cap robots.txt."""

    def __init__(self, crawler, allowed: set[str], robots_maxsize: int):
        self.crawler = crawler
        self.allowed = frozenset(h.lower() for h in allowed)
        self.robots_maxsize = robots_maxsize
        self.refused: dict[int | None, Counter[str]] = {}

    @classmethod
    def from_crawler(cls, crawler):
        s = crawler.settings
        mw = cls(crawler, set(s.getlist("NIANBAO_ALLOWED_HOSTS")), s.getint("NIANBAO_ROBOTS_MAXSIZE", ROBOTS_MAXSIZE))
        crawler.nianbao_guard = mw  # the pipeline puts the refusals in the run's health report
        return mw

    def refuse(self, request, url: str, why: str) -> IgnoreRequest:
        """Count a refusal for the request's portal; the exception to raise."""
        portal = request.meta.get("nb_portal")
        self.refused.setdefault(portal, Counter())[why] += 1
        stats = self.crawler.stats
        stats.inc_value("nianbao/refused")
        stats.inc_value(f"nianbao/refused/{why}")
        log.info("拒绝访问非公网地址（%s）：%r", why, url[:200])
        return IgnoreRequest(f"refused ({why}): {url[:200]}")

    def process_request(self, request, spider=None):
        why = refusal(request.url, self.allowed) or REFUSED_NAMES.get((urlsplit(request.url).hostname or "").lower())
        if why is not None:
            raise self.refuse(request, request.url, why)
        if request.meta.get("dont_obey_robotstxt") and urlsplit(request.url).path == "/robots.txt":
            request.meta.setdefault("download_maxsize", self.robots_maxsize)
            request.meta.setdefault("download_warnsize", 0)
        return None


REDIRECTS = (301, 302, 303, 307, 308)
# names PublicOnlyResolver refused in this process -> reason; further requests to them are refused
# at once by GuardMiddleware (Twisted turns the resolver's error into a plain "no results")
REFUSED_NAMES: dict[str, str] = {}


class RedirectGuardMiddleware:
    """Before Scrapy's redirect middleware: a redirect to a refused destination is refused and counted.

    (Scrapy drops redirects to non-http schemes silently; http(s) hops come back through
    :class:`GuardMiddleware` as new requests, but counting them here names the hop that asked.)
    """

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_response(self, request, response, spider=None):
        guard = getattr(self.crawler, "nianbao_guard", None)
        location = response.headers.get(b"Location") if response.status in REDIRECTS else None
        if guard is None or not location:
            return response
        from urllib.parse import urljoin

        target = urljoin(request.url, location.decode("latin-1").strip())
        why = refusal(target, guard.allowed)
        if why is not None:
            raise guard.refuse(request, target, why)
        return response


def proxy_hosts(env: dict[str, str] | None = None) -> set[str]:
    """Host names of the configured HTTP(S) proxies (connected to on purpose, often on loopback)."""
    import os

    env = os.environ if env is None else env
    out = set()
    for key in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"):
        if env.get(key):
            with contextlib.suppress(ValueError):
                host = urlsplit(env[key] if "://" in env[key] else f"http://{env[key]}").hostname
                if host:
                    out.add(host.lower())
    return out


class PublicOnlyResolver(CachingThreadedResolver):
    """Scrapy's caching resolver, refusing names that resolve to loopback, private, link-local or
    reserved addresses (a public-looking name pointed at 127.0.0.1 or 10.0.0.1)."""

    allowed: frozenset[str] = frozenset()

    @classmethod
    def from_crawler(cls, crawler, reactor):
        resolver = super().from_crawler(crawler, reactor)  # (crawler: the CrawlerProcess; settings only)
        resolver.allowed = frozenset({h.lower() for h in crawler.settings.getlist("NIANBAO_ALLOWED_HOSTS")}
                                     | proxy_hosts())
        return resolver

    def getHostByName(self, name: str, timeout=()):  # noqa: N802 - Twisted's name
        d = super().getHostByName(name, timeout)
        d.addCallback(self._check, name)
        return d

    def _check(self, address: str, name: str) -> str:
        why = checked_address(name, address, self.allowed)
        if why is not None:
            REFUSED_NAMES[name.lower()] = f"dns_{why}"  # the guard middleware counts it per portal
            log.info("拒绝访问：%s 解析为非公网地址 %s（%s）", name, address, why)
            raise DNSLookupError(f"refused: {name} resolves to a non-public address {address} ({why})")
        return address


def checked_address(name: str, address: str, allowed: frozenset[str] = frozenset()) -> str | None:
    """Why ``name`` resolving to ``address`` must not be connected to, or None (pure)."""
    if name.lower() in allowed or address in allowed:
        return None
    ip = ip_literal(address)
    return None if ip is None else _not_public(ip)
