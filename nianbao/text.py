"""A fast exact NFKC for Chinese report text.

``unicodedata.normalize("NFKC", s)`` takes its slow path on any text holding a full-width
comma or parenthesis, which is every Chinese report (about 2.5 ms for 6,000 characters).
Here the characters that usually make such text non-normalised (full-width ASCII, the
ideographic space, NBSP, circled numbers, radical look-alikes...) are replaced one by one by
their own NFKC form; if the result passes the C-speed NFKC quick check it is returned, else
the standard normaliser runs on the original.  The result is always exactly
``unicodedata.normalize("NFKC", s)``: NFKD(NFKC(c)) = NFKD(c), so the replaced text has the
same compatibility decomposition as the original, hence the same NFKC form.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["nfkc"]

# full-width ASCII, ideographic space, NBSP, ellipsis, circled and Roman numerals, enclosed
# CJK, CJK radical look-alikes from PDF extraction, CJK compatibility ideographs
_FAST = re.compile("[\uff01-\uff5e\u3000\u00a0\u2026\u2150-\u218f\u2460-\u24ff\u2e80-\u2fdf"
                   "\u3200-\u33ff\uf900-\ufaff]")
_MAP: dict[str, str] = {}
_is_normalized = unicodedata.is_normalized
_normalize = unicodedata.normalize


def nfkc(text: str) -> str:
    """``unicodedata.normalize("NFKC", text)``, about ten times faster on Chinese prose."""
    if text.isascii() or _is_normalized("NFKC", text):
        return text
    t = text
    for ch in set(_FAST.findall(text)):
        rep = _MAP.get(ch)
        if rep is None:
            rep = _MAP[ch] = _normalize("NFKC", ch)
        if rep != ch:
            t = t.replace(ch, rep)
    if _is_normalized("NFKC", t):
        return t
    return _normalize("NFKC", text)
