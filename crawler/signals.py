"""The crawl's own Scrapy signals (components talk through signals and stats, not attributes)."""

from __future__ import annotations

#: A report was stored: ``agency``, ``year``, ``url``, ``published`` (sent by the store pipeline).
report_stored = object()
