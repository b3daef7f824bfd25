"""Download handler: Scrapy's own for plain requests, Playwright started only when a request needs it.

scrapy-playwright starts its driver (a Node process, ~120 MB) for each scheme when the engine
starts; most crawls never render a page.  This subclass starts it on the first request with
``meta={"playwright": True}``.
"""

from __future__ import annotations

import asyncio

from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler


class LazyPlaywrightDownloadHandler(ScrapyPlaywrightDownloadHandler):
    def __init__(self, crawler) -> None:
        super().__init__(crawler)
        self._launch_lock = asyncio.Lock()
        self._launched = False

    # the engine_started hooks of the parent: do nothing yet
    async def _maybe_launch_in_thread(self) -> None:
        return None

    def _engine_started(self):  # older Scrapy API
        return None

    async def _download_request(self, request, spider=None):
        if not self._launched:
            async with self._launch_lock:
                if not self._launched:
                    await self._maybe_future_from_coro(self._launch())
                    self._launched = True
        return await super()._download_request(request, spider)
