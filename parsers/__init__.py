"""Documents to canonical reports: ``read(bytes) -> Report``.

Readers differ only in how they produce grids of cells and text blocks (``text``, ``html``,
``pdf``, ``docx``, ``ocr``); mapping a grid onto a layout, metadata and sections is shared
(``mapping``, ``metadata``).  Nothing here fetches or stores.
"""

from __future__ import annotations

from pathlib import Path

from nianbao.model import Report
from nianbao.parsers.dispatch import read_document

__all__ = ["read", "read_path"]


def read(
    data: bytes,
    source: str,
    *,
    url: str | None = None,
    content_type: str | None = None,
    hints: dict | None = None,
) -> Report:
    """Read one document's bytes into a Report (never raises on bad input: see ``Report.errors``).

    ``hints`` may carry what the crawler knows: ``agency`` (from the site list), ``title`` and
    ``link_text`` (from the list page), ``list_date`` (ISO date shown on the list page).
    """

    return read_document(data, source, url=url, content_type=content_type, hints=hints or {})


def read_path(path: str | Path) -> Report:
    """Read a file from disk; ``source`` is the path as given."""
    p = Path(path)
    return read(p.read_bytes(), str(path))
