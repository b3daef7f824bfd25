"""Non-HTML documents (PDF, Word, WPS, spreadsheets, scanned images) into reader blocks.

``extract(kind, data, source)`` is what the dispatcher calls for every kind that is not text or
HTML; it returns :class:`nianbao.parsers.blocks.Extracted` for the shared mapping, or raises
:class:`UnreadableDocument` (broken, encrypted, too big, unsupported) with a message that names the
source and the reason.  Nothing here fetches, stores or maps labels.
"""

from __future__ import annotations

from nianbao.parsers.blocks import Extracted
from nianbao.parsers.docx_reader import read_docx
from nianbao.parsers.errors import UnreadableDocument, UnsupportedDocument
from nianbao.parsers.ocr import read_image
from nianbao.parsers.office import convert
from nianbao.parsers.pdf import read_pdf
from nianbao.parsers.xlsx_reader import read_xlsx

__all__ = ["KINDS", "MAX_BYTES", "UnreadableDocument", "UnsupportedDocument", "extract"]

MAX_BYTES = 100 * 1024 * 1024  # a report is a few MB; anything this large is refused
IMAGE_KINDS = ("png", "jpeg", "gif", "tiff", "bmp")
KINDS = ("pdf", "docx", "doc", "wps", "xls", "xlsx", *IMAGE_KINDS)


def extract(kind: str, data: bytes, source: str) -> Extracted:
    """Read ``data`` (of ``kind`` as told by :func:`nianbao.magic.sniff`) into blocks."""
    if not data:
        raise UnreadableDocument(source, "empty file")
    if len(data) > MAX_BYTES:
        raise UnreadableDocument(source, f"file too large ({len(data) // 1048576} MB > {MAX_BYTES // 1048576} MB)")
    if kind == "pdf":
        return read_pdf(data, source)
    if kind == "docx":
        return read_docx(data, source)
    if kind == "xlsx":
        return read_xlsx(data, source)
    if kind in ("doc", "wps"):
        out = read_docx(convert(data, source, kind, "docx"), source)
        out.notes.append(f"converted from {kind.upper()} to DOCX by LibreOffice")
        return out
    if kind == "xls":
        out = read_xlsx(convert(data, source, "xls", "xlsx"), source)
        out.notes.append("converted from XLS to XLSX by LibreOffice")
        return out
    if kind in IMAGE_KINDS:
        return read_image(data, source)
    if kind == "zip":
        raise UnreadableDocument(source, _zip_verdict(data))
    raise UnsupportedDocument(source, f"format {kind!r} is not an attachment format")


def _zip_verdict(data: bytes) -> str:
    """Why a zip that is not a readable DOCX/XLSX is refused: the part names in its local headers tell
    a damaged (e.g. truncated) Office file from an archive."""
    import struct

    names: list[str] = []
    i = data.find(b"PK\x03\x04")
    while i != -1 and len(names) < 50 and i + 30 <= len(data):
        n = struct.unpack_from("<H", data, i + 26)[0]
        names.append(data[i + 30:i + 30 + n].decode("utf-8", "replace"))
        i = data.find(b"PK\x03\x04", i + 30 + n)
    if any(n.startswith("word/") for n in names):
        return "damaged DOCX (truncated or corrupt zip)"
    if any(n.startswith("xl/") for n in names):
        return "damaged XLSX (truncated or corrupt zip)"
    return "a zip archive, not a report document (only DOCX/XLSX zips are read)"
