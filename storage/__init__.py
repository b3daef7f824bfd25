"""The SQLite store (sqlite-utils): documents, versions, reports, cells, findings, reviews, runs.

The store is the only shared state; everything else reads and writes it through here.
"""

from __future__ import annotations

from nianbao.storage.store import Store  # noqa: F401
