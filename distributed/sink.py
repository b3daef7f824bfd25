"""Crawler side of the distributed mode: candidate reports go to the job's Redis stream, not to SQLite.

The spider writes each item to the stream (``XADD``, synchronous) inside the callback that
produced it, before that request is acknowledged: a crawler killed at any moment loses nothing.
"""

from __future__ import annotations

import logging

from nianbao.distributed import codec
from nianbao.distributed.keys import Keys
from nianbao.intake.attribution import site_for_url
from nianbao.intake.items import ReportItem

log = logging.getLogger(__name__)


class ItemSink:
    def __init__(self, server, keys: Keys, crawler=None):
        self.server = server
        self.keys = keys
        self.crawler = crawler

    def send_sites(self, sites) -> None:
        """Ask the store to register the site list (idempotent; every process sends it, it is cheap)."""
        self.server.xadd(self.keys.items, codec.encode_control("sites", sites=[codec.site_to_dict(s) for s in sites]))

    def send(self, item: ReportItem, spider) -> None:
        portal = spider.portals[item.portal]
        hint = site_for_url(item.documents[0].url, spider.sites) or (
            portal.sites[0] if len(portal.sites) == 1 else None
        )
        self.server.xadd(self.keys.items, codec.encode_item(item, portal_url=portal.url, hint=hint))
        if self.crawler is not None:
            stats = self.crawler.stats
            stats.inc_value("nianbao/redis/items_sent")
            stats.inc_value(f"nianbao/documents/{item.portal}", len(item.documents))

    def backlog(self) -> int:
        return int(self.server.xlen(self.keys.items))
