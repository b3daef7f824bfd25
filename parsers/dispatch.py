"""One entry point for every document: sniff the format, read it into blocks, map the blocks.

HTML and text are read here; every other format goes to :func:`nianbao.parsers.attachments.extract`.
Nothing raises on bad input: a document that cannot be read comes back as a Report with
``is_report`` False and an ``errors`` entry naming the source.
"""

from __future__ import annotations

import logging

from nianbao.magic import sniff
from nianbao.model import Report
from nianbao.parsers import attachments
from nianbao.parsers.blocks import Extracted
from nianbao.parsers.encoding import decode
from nianbao.parsers.html import read_html
from nianbao.parsers.mapping import map_extracted
from nianbao.parsers.text import read_text

__all__ = ["extract", "read_document"]

log = logging.getLogger(__name__)


def _failed(source: str, url: str | None, why: str, read_by: str = "none") -> Report:
    r = Report(source=source, is_report=False, url=url, read_by=read_by)
    r.errors.append(f"{source}: {why}")
    return r


def extract(data: bytes, source: str, *, content_type: str | None = None) -> tuple[str, Extracted]:
    """(kind, blocks) for ``data``; raises whatever the attachment readers raise."""
    kind = sniff(data)
    if kind in ("html", "text"):
        text, codec = decode(data, content_type=content_type)
        if kind == "html" or (content_type and "html" in content_type.lower() and "<" in text[:2000]):
            # strictly valid UTF-8: lxml parses the bytes faster than the decoded text
            ex = read_html(text, data=data if codec == "utf-8" else None)
        else:
            ex = read_text(text)
        if codec not in ("utf-8", "utf-8-sig", "ascii"):
            ex.notes.append(f"decoded as {codec}")
        return kind, ex

    return kind, attachments.extract(kind, data, source)


def read_document(
    data: bytes,
    source: str,
    *,
    url: str | None = None,
    content_type: str | None = None,
    hints: dict | None = None,
) -> Report:
    """Read one document into a Report. Never raises on bad input."""
    hints = hints or {}
    if not data or not data.strip():
        return _failed(source, url, "empty document")
    try:
        kind, ex = extract(data, source, content_type=content_type)
    except ImportError as exc:
        return _failed(source, url, f"no reader for this format ({exc})")
    except Exception as exc:  # a broken attachment must not stop a run
        log.debug("reading %s failed", source, exc_info=True)
        why = getattr(exc, "why", None)  # UnreadableDocument: its message already names the source
        return _failed(source, url, why or f"cannot read: {exc or type(exc).__name__}")
    try:
        report = map_extracted(ex, source, url=url, hints=hints)
    except Exception as exc:  # mapping bugs are reported per document, not raised
        log.warning("mapping %s failed", source, exc_info=True)
        return _failed(source, url, f"cannot map the document ({type(exc).__name__}: {exc})", ex.read_by)
    if url:
        report.url = url
    report.read_by = ex.read_by or kind
    return report
