"""Dates shown on list pages next to a link (pure).

The parsers date the article itself (PubDate meta, visible line, URL, signature); the crawler
only reads the date that the column list shows beside the link and passes it on as
``list_date``.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

_PATTERNS = (
    re.compile(r"((?:19|20)\d{2})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})"),
    re.compile(r"((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?"),
)
_COMPACT = re.compile(r"(?<!\d)((?:19|20)\d{2})(\d{2})(\d{2})(?!\d)")


def _valid(y: str, m: str, d: str, *, today: dt.date | None = None) -> dt.date | None:
    try:
        value = dt.date(int(y), int(m), int(d))
    except ValueError:
        return None
    if today is not None and value > today + dt.timedelta(days=1):
        return None
    return value


def find_dates(text: str, *, compact: bool = False) -> list[dt.date]:
    """Every plausible calendar date in ``text``, in order (``compact`` also reads 20250120)."""
    text = unicodedata.normalize("NFKC", text or "")
    found: list[tuple[int, dt.date]] = []
    for pat in _PATTERNS:
        for m in pat.finditer(text):
            d = _valid(*m.groups())
            if d:
                found.append((m.start(), d))
    if compact and not found:
        for m in _COMPACT.finditer(text):
            d = _valid(*m.groups())
            if d:
                found.append((m.start(), d))
    return [d for _, d in sorted(found, key=lambda x: x[0])]


def list_date(row_text: str, link_text: str = "") -> dt.date | None:
    """The date a list row shows beside its link, ignoring dates inside the link text itself.

    ``row_text`` is the text of the row (``<li>``, ``<tr>``, ``<dl>``) the link sits in.
    A year alone (2024年度报告) is not a date; the last full date in the row wins.
    """
    text = unicodedata.normalize("NFKC", row_text or "")
    link = unicodedata.normalize("NFKC", link_text or "").strip()
    if link:
        text = text.replace(link, " ")
    dates = find_dates(text)
    return dates[-1] if dates else None


def iso(value: dt.date | None) -> str | None:
    """ISO string or None."""
    return value.isoformat() if value else None
