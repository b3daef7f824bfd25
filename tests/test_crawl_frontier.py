"""The portal spider starts a new portal only while the frontier is below NIANBAO_FRONTIER_MAX (soak fix)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

from nianbao.crawler.spiders.portal import PortalSpider


class _Scheduler:
    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n


def _spider(cap: int, waiting: int) -> tuple[PortalSpider, _Scheduler]:
    sched = _Scheduler(waiting)
    spider = PortalSpider(sites=[])
    spider.crawler = SimpleNamespace(engine=SimpleNamespace(scheduler=sched))
    spider.frontier_max = cap
    return spider, sched


@pytest.mark.parametrize(("cap", "waiting"), [(0, 10**6), (100, 99), (100, 0)])
def test_room_at_once(cap: int, waiting: int) -> None:
    spider, _ = _spider(cap, waiting)
    asyncio.run(asyncio.wait_for(spider._frontier_room(), 1.0))


def test_waits_until_the_frontier_drains() -> None:
    spider, sched = _spider(100, 100)

    async def go() -> bool:
        task = asyncio.ensure_future(spider._frontier_room())
        await asyncio.sleep(0.5)
        blocked = not task.done()
        sched.n = 40
        await asyncio.wait_for(task, 2.0)
        return blocked

    assert asyncio.run(go()) is True
