"""Tell a document's format from its first bytes, not its name: portals mislabel files."""

from __future__ import annotations

import zipfile
from io import BytesIO

KINDS = ("pdf", "docx", "xlsx", "doc", "xls", "wps", "png", "jpeg", "gif", "tiff", "bmp", "zip", "html", "text", "empty")


def sniff(data: bytes) -> str:
    """Return one of :data:`KINDS` for ``data``."""
    head = data[:2048]
    if not head.strip():
        return "empty"
    if head.lstrip()[:5] == b"%PDF-" or b"%PDF-" in head[:1024]:
        return "pdf"
    if head[:4] == b"PK\x03\x04":
        return _sniff_zip(data)
    if head[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return _sniff_ole(data)
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if head[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if head[:2] == b"BM":
        return "bmp"
    low = head.lower()
    if b"<html" in low or b"<!doctype html" in low or b"<body" in low or b"<table" in low or b"<div" in low or b"<p" in low:
        return "html"
    return "text"


def _sniff_zip(data: bytes) -> str:
    try:
        names = zipfile.ZipFile(BytesIO(data)).namelist()
    except (zipfile.BadZipFile, ValueError):
        return "zip"
    if any(n.startswith("word/") for n in names):
        return "docx"
    if any(n.startswith("xl/") for n in names):
        return "xlsx"
    return "zip"


def _sniff_ole(data: bytes) -> str:
    # Compound File Binary: Word, Excel and WPS all use it; the stream names tell them apart.
    # Directory sectors may sit anywhere in the file (LibreOffice writes them at the end), so
    # look at all of it: a CFB file's size is already capped by the download/parse limits.
    body = data
    if "WordDocument".encode("utf-16-le") in body:
        return "doc"
    if "Workbook".encode("utf-16-le") in body or "Book".encode("utf-16-le") in body:
        return "xls"
    if b"W\x00P\x00S" in body or "WpsContent".encode("utf-16-le") in body:
        return "wps"
    return "doc"
