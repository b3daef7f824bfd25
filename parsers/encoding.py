"""Bytes to text for Chinese government pages: UTF-8, GBK, GB2312, GB18030, declared or not.

Portals declare charsets wrongly often enough (``gb2312`` for GBK bytes, ``utf-8`` for GBK
pages, no declaration at all) that a declaration is only a first guess: it is verified by
decoding strictly, and the next candidate is tried when it fails.
"""

from __future__ import annotations

import codecs
import re

__all__ = ["declared_charset", "decode", "normalise_charset"]

_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
_XML_DECL = re.compile(rb"""^\s*<\?xml[^>]{0,100}?encoding\s*=\s*["']([A-Za-z0-9_\-]+)""", re.I)
_CT_CHARSET = re.compile(r"charset\s*=\s*[\"']?\s*([A-Za-z0-9_\-]+)", re.I)

# GB2312 and GBK are subsets of GB18030: decode all three as GB18030 (a page "in gb2312" almost
# always contains GBK-only characters such as 堃 or 镕).
_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "gb_2312-80": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "euc-cn": "gb18030",
    "hz-gb-2312": "gb18030",
    "utf8": "utf-8",
    "unicode": "utf-8",
    "big5-hkscs": "big5hkscs",
}


def normalise_charset(name: str | None) -> str | None:
    """A Python codec name for a declared charset, or None when unknown."""
    if not name:
        return None
    low = name.strip().strip("\"'").lower()
    low = _ALIASES.get(low, low)
    try:
        return codecs.lookup(low).name
    except LookupError:
        return None


def declared_charset(data: bytes, content_type: str | None = None) -> str | None:
    """The charset the HTTP header, the XML declaration or a ``<meta>`` tag declares."""
    if content_type:
        m = _CT_CHARSET.search(content_type)
        if m and normalise_charset(m.group(1)):
            return normalise_charset(m.group(1))
    head = data[:4096]
    m = _XML_DECL.search(head) or _META_CHARSET.search(head)
    if m:
        return normalise_charset(m.group(1).decode("ascii", "replace"))
    return None


_PRIVATE = re.compile("[\ue000-\uf8ff]")


def _strict(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _plausible(text: str) -> bool:
    """Reject decodings full of replacement characters or private-use/control junk."""
    if not text:
        return True
    bad = text.count("\ufffd")
    if _PRIVATE.search(text, 0, 20000) is not None:
        bad += len(_PRIVATE.findall(text, 0, 20000))
    return bad <= max(2, len(text[:20000]) // 500)


def decode(data: bytes, declared: str | None = None, content_type: str | None = None) -> tuple[str, str]:
    """Decode ``data``; return ``(text, codec_used)``. Never raises.

    Order: BOM, strict UTF-8, the declaration (``declared`` argument, HTTP content type,
    XML/meta), GB18030, then charset-normalizer's best guess, then UTF-8 with replacement characters.
    """
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", "replace"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", "replace"), "utf-16"
    # Valid UTF-8 with Chinese in it is practically never another encoding, whatever is
    # declared; GB18030 on the other hand decodes almost any bytes, so it cannot go first.
    candidates: list[str] = ["utf-8"]
    for name in (normalise_charset(declared), declared_charset(data, content_type)):
        if name and name not in candidates:
            candidates.append(name)
    for name in ("gb18030",):
        if name not in candidates:
            candidates.append(name)
    for codec in candidates:
        text = _strict(data, codec)
        if text is not None and _plausible(text):
            return text, codec
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
        if best is not None and best.encoding:
            codec = normalise_charset(best.encoding) or best.encoding
            return data.decode(codec, "replace"), codec
    except Exception:  # detection is best effort
        pass
    # Mostly-GB bytes with a few broken sequences decode better as GB18030 than as UTF-8.
    utf = data.decode("utf-8", "replace")
    gb = data.decode("gb18030", "replace")
    if gb.count("\ufffd") < utf.count("\ufffd"):
        return gb, "gb18030"
    return utf, "utf-8"
