"""The browser's side of a crawl: what it may load (``PLAYWRIGHT_ABORT_REQUEST``: the crawl, not trackers or
other sites' pings) and how a rendered page is explored (:func:`explore`).

Images, fonts, media and styles are never needed by a list or challenge page.  A page's requests
to another site are aborted too, except scripts and data a script-filled list may need
(``script``, ``xhr``, ``fetch``); beacons, pings, sockets and the like to another site only tell
a third party that the crawler came by.  Navigations are never aborted (the guard middleware
decides where the crawler goes).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from urllib.parse import urldefrag, urlsplit

from nianbao.crawler.discovery import site_base
from nianbao.crawler.extract import decode_html

log = logging.getLogger(__name__)

ABORTED_RESOURCE_TYPES = frozenset({"image", "font", "media", "stylesheet"})
CROSS_SITE_ALLOWED = frozenset({"document", "script", "xhr", "fetch"})


def _site(host: str) -> str:

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


def mislabeled(body: bytes, encoding: str | None) -> bool:
    """Whether a page read in the charset it declares (as a browser reads it) differs from its text.

    Portals declare ``gb2312`` on UTF-8 pages and the reverse; a browser then shows mojibake, and
    every link text it renders is garbled.  ``decode_html`` picks the charset the bytes are in."""
    if not body or not encoding:
        return False
    try:
        as_declared = body.decode(encoding)
    except (LookupError, UnicodeDecodeError):
        return True
    return as_declared != decode_html(body, encoding)


async def read_in_true_charset(page, request) -> None:
    """Page init callback (``playwright_page_init_callback``) for a mislabeled page: the browser gets
    the page's text as the static fetch decoded it (``nb_true_html``, sent as UTF-8), so that its
    scripts run on, and it renders, the real text.  Sub-resources and later navigations load as usual."""
    target, text = urldefrag(request.url)[0], request.meta.get("nb_true_html")
    done = False

    async def handler(route, req) -> None:
        nonlocal done
        if done or not text or req.resource_type != "document" or urldefrag(req.url)[0] != target:
            await route.fallback()
            return
        done = True
        await route.fulfill(status=200, headers={"content-type": "text/html; charset=utf-8"},
                            body=text.encode("utf-8"))

    await page.route("**", handler)


# --------------------------------------------------------------------- in-page exploration
# A rendered navigation page is explored the way a person would: scroll once, look inside its
# frames, click what moves towards reports or to the next page (whatever its markup), and keep
# every link, navigation and XHR/fetch answer this causes.  Nothing here scores or follows a
# link: the spider puts everything found through the same scoring and scheduler.

# Elements a person would click that are not plain links: handlers, javascript: links, buttons.
CANDIDATES_JS = r"""
(args) => {
  const [nextRe, topicRe, limit] = [new RegExp(args.next), new RegExp(args.topic), args.limit];
  const seen = new Set(); const out = [];
  const marked = Array.from(document.querySelectorAll(
    '[onclick], a[href^="javascript"], a[href^="#"], a:not([href]), button, [role="button"], [role="tab"], li[class*="page"], span[class*="page"]'));
  // then what only a script's listener makes clickable: short leaf texts outside links (tabs, pagers)
  const leaves = Array.from(document.querySelectorAll('body *')).filter(el => !el.children.length
    && !el.closest('a[href], script, style, select, option, title'));
  for (const el of marked.concat(leaves)) {
    const text = (el.innerText || el.value || el.title || '').replace(/\s+/g, ' ').trim();
    if (!text || text.length > 40 || seen.has(text)) continue;
    const href = (el.getAttribute('href') || '').trim();
    if (href && !href.startsWith('javascript') && !href.startsWith('#')) continue;  // a plain link: read, not clicked
    const next = nextRe.test(text), topic = topicRe.test(text);
    if (!next && !topic) continue;
    seen.add(text);
    el.setAttribute('data-nb-click', String(out.length));
    out.push({i: out.length, text: text, next: next});
    if (out.length >= limit) break;
  }
  out.sort((a, b) => (b.next - a.next));
  return out;
}
"""

ANCHORS_JS = r"""
() => Array.from(document.querySelectorAll('a[href], area[href]')).map(a => {
  const row = a.closest('li, tr, dd, p, article');
  return [a.href, (a.innerText || a.title || '').replace(/\s+/g, ' ').trim(),
          row ? row.innerText.replace(/\s+/g, ' ').trim().slice(0, 300) : ''];
}).filter(x => x[0].startsWith('http'))
"""

EARLY_XHR_JS = r"""
() => performance.getEntriesByType('resource')
  .filter(e => e.initiatorType === 'xmlhttprequest' || e.initiatorType === 'fetch').map(e => e.name)
"""

NEXT_PAGE = r"^(下一?页|下页|后一?页|>|›|»|>>|next|Next|更多|加载更多|查看更多)$"
TOPIC = r"(年报|年度报告|信息公开|政务公开|公开年报|法定主动公开|公开目录)"
MAX_DATA_CHARS = 2_000_000  # an XHR answer is read up to this size


@dataclass
class Exploration:
    """What exploring one rendered page found."""

    anchors: list[tuple[str, str, str]] = field(default_factory=list)  # (url, text, row) in every frame
    frames: list[str] = field(default_factory=list)  # URLs of the page's frames
    navigations: list[tuple[str, str]] = field(default_factory=list)  # (url, text clicked) a click led to
    data: list[tuple[str, str]] = field(default_factory=list)  # (url, body) of XHR/fetch answers
    early_xhr: list[str] = field(default_factory=list)  # XHR/fetch URLs loaded before we listened
    clicks: int = 0
    out_of_time: bool = False



async def record_xhr(response) -> None:
    """A page event handler attached before the page loads (``playwright_page_event_handlers``): keeps
    the XHR/fetch answers that arrive before :func:`explore` listens, on the page itself."""
    try:
        if response.request.resource_type not in ("xhr", "fetch") or not response.ok:
            return
        page = response.frame.page
        if getattr(page, "_nb_explored", False):
            return  # explore() listens from now on
        kept = page.__dict__.setdefault("_nb_xhr", [])
        if len(kept) < 200:
            kept.append((response.url, (await response.text())[:MAX_DATA_CHARS]))
    except Exception:  # noqa: BLE001 - a body that cannot be read, a page that went away
        return


def recorded_xhr(page) -> list[tuple[str, str]]:
    """The answers :func:`record_xhr` kept for ``page`` (and stop keeping them)."""
    page.__dict__["_nb_explored"] = True
    return page.__dict__.pop("_nb_xhr", [])


async def _anchors(page) -> list[tuple[str, str, str]]:
    out: list[tuple[str, str, str]] = []
    for frame in page.frames:
        try:
            out.extend(tuple(x) for x in await frame.evaluate(ANCHORS_JS))
        except Exception:  # noqa: BLE001 - a frame that went away or refuses scripts
            continue
    return out


async def _settle(page, ms: int) -> None:
    """Let what an action started finish: a short pause, then until the network is quiet (bounded)."""
    await page.wait_for_timeout(ms // 3)
    try:
        await page.wait_for_load_state("networkidle", timeout=ms * 4)
    except Exception:  # noqa: BLE001 - a page that never goes quiet (polling, sockets): go on
        return


class _Pacer:
    """Keeps a page's clicks and navigations ``gap`` seconds apart (from the end of the last one)."""

    def __init__(self, gap: float) -> None:
        self.gap, self.last = gap, time.monotonic()  # the page's own load was the last request

    async def wait(self) -> None:
        wait = self.gap - (time.monotonic() - self.last)
        if wait > 0:
            await asyncio.sleep(wait)

    def done(self) -> None:
        self.last = time.monotonic()


async def _press(page, target: str, wait_ms: int) -> tuple[bool, bool]:
    """Click ``target`` as a person would; when it never becomes clickable (a list still growing
    around it, a covered or animated element, a busy browser), dispatch the click event to it
    instead: the page's own handlers run all the same.  Returns (clicked, navigated)."""
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    for how in ("click", "dispatch"):
        clicked = False
        try:
            async with page.expect_navigation(timeout=wait_ms):
                if how == "click":
                    await page.click(target, timeout=1000, no_wait_after=True)
                else:
                    await page.dispatch_event(target, "click", timeout=1000)
                clicked = True
            return True, True
        except PlaywrightTimeout:  # no click, or a click and no navigation (the page changed in place)
            if clicked:
                return True, False
    return False, False


async def explore(page, *, max_clicks: int, seconds: float, settle_ms: int = 600, pace: float = 0.0) -> Exploration:
    """Explore a loaded Playwright ``page`` within ``max_clicks`` clicks and ``seconds``; clicks are at
    least ``pace`` seconds apart (the host's download delay: a click is a request to the site too)."""

    found = Exploration(data=recorded_xhr(page))
    start = time.monotonic()
    pending: list = []

    async def keep(response) -> None:
        try:
            if response.request.resource_type in ("xhr", "fetch") and response.ok:
                body = await response.text()
                found.data.append((response.url, body[:MAX_DATA_CHARS]))
        except Exception:  # noqa: BLE001 - a body that cannot be read is skipped
            return

    def on_response(response) -> None:
        pending.append(asyncio.ensure_future(keep(response)))

    popups: list = []
    page.on("response", on_response)
    def on_popup(p) -> None:
        popups.append(p)

    page.on("popup", on_popup)
    try:
        kept = {u for u, _ in found.data}
        found.early_xhr = [u for u in await page.evaluate(EARLY_XHR_JS) if u not in kept]
        await page.evaluate("window.scrollTo(0, document.body.scrollHeight)")  # lazy lists
        await _settle(page, settle_ms)
        found.frames = [f.url for f in page.frames[1:] if f.url.startswith("http")]
        found.anchors = await _anchors(page)
        home = page.url
        pacer = _Pacer(pace)
        args = {"next": NEXT_PAGE, "topic": TOPIC, "limit": max_clicks}
        candidates = await page.evaluate(CANDIDATES_JS, args) if max_clicks > 0 else []
        candidates = candidates[:max_clicks]
        for n, c in enumerate(candidates):
            if time.monotonic() - start > seconds or found.clicks >= max_clicks:
                found.out_of_time = time.monotonic() - start > seconds
                break
            # a "next page" is followed page after page (a pager wired by script); anything else once
            for _ in range(max_clicks if c["next"] else 1):
                if found.clicks >= max_clicks or time.monotonic() - start > seconds:
                    break
                target = f"[data-nb-click='{c['i']}']"
                try:  # into view at once (Playwright's own scrolling waits for the element to stand still)
                    await page.eval_on_selector(target, "e => e.scrollIntoView({block: 'center'})")
                except Exception:  # noqa: BLE001 - gone: the click below tells
                    pass
                await pacer.wait()
                before = page.url
                seen = {a[0] for a in found.anchors}  # to tell whether an in-place click changed anything
                answers = len({b for _, b in found.data})
                try:
                    clicked, navigated = await _press(page, target, settle_ms * 3)
                except Exception:  # noqa: BLE001 - the element went away, a dialog...
                    clicked, navigated = False, False
                pacer.done()
                if not clicked:  # the element took no click, not even a dispatched one
                    log.debug("click failed: %r on %s", c["text"], page.url)
                    break
                found.clicks += 1
                if not navigated:
                    await _settle(page, settle_ms)
                    now = await _anchors(page)
                    found.anchors.extend(now)
                    if not c["next"]:
                        break
                    if pending:
                        await asyncio.wait(pending, timeout=2)
                    if not {a[0] for a in now} - seen and len({b for _, b in found.data}) == answers:
                        break  # the pager changed nothing (its last page, or not a pager): no more clicks
                    continue
                if page.url == before:
                    break
                if urldefrag(page.url)[0] == urldefrag(before)[0]:  # a route inside the page (#/…): it re-renders
                    await _settle(page, settle_ms)
                    found.anchors.extend(await _anchors(page))
                    break
                found.navigations.append((page.url, c["text"]))
                if not c["next"]:
                    break
                found.anchors.extend(await _anchors(page))
                marked = await page.evaluate(CANDIDATES_JS, args)  # the same pager on the next page
                same = [m for m in marked if m["text"] == c["text"]]
                if not same:
                    break
                c = {**c, "i": same[0]["i"]}
            for p in popups:
                try:
                    await p.wait_for_load_state("domcontentloaded", timeout=2000)
                    found.navigations.append((p.url, c["text"]))
                finally:
                    await p.close()
            popups.clear()
            if page.url != home and n < len(candidates) - 1:  # back, for the next candidate
                await pacer.wait()
                await page.goto(home, wait_until="networkidle")
                pacer.done()
                await page.evaluate(CANDIDATES_JS, args)  # the marks went with the old document
        if pending:
            await asyncio.wait(pending, timeout=2)
    finally:
        page.remove_listener("response", on_response)
        page.remove_listener("popup", on_popup)
    return found
