"""Cell text to :class:`nianbao.model.Cell`: counts, money (万元) and signed changes.

Pure functions.  A blank, a dash or 无 is ``status='blank'`` with ``value=None`` (never a silent
0); anything that is not a number is ``status='unreadable'``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal

from nianbao.model import Cell
from nianbao.text import nfkc

# Entries per memo cache of the parsers (cell texts, label texts, heading candidates).  Hot keys
# (small numbers, the layouts' labels) repeat in every report and stay; a crawl meets an
# endless stream of one-off texts, so a large ceiling only grows a parse worker's memory
# (65,536 entries per cache took a worker from 62 to 110+ MB in a soak; see bench/SOAK.md).
CACHE_SIZE = 4096

__all__ = ["BLANK_MARKS", "is_blank_text", "is_number_text", "norm", "parse_cell"]

Kind = Literal["count", "money", "signed"]

BLANK_MARKS = frozenset(
    {"", "-", "--", "---", "—", "——", "–", "－", "/", "//", "\\", "无", "空", "暂无", "&nbsp;", "nbsp", "×"}
)
_SPACES = re.compile(r"[\s\u00a0\u2000-\u200b\u3000\ufeff]+")
_UNITS = re.compile(r"(件|条|个|项|宗|次|人次|份|篇|起|家|笔|例)$")
_NUM = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$")
_MONEY = re.compile(r"^([+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)(亿元|万元|元|万)?$")
_SIGN_WORD = re.compile(r"^(?:(增加|增|减少|减|\+|-))?((?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)(?:\((增加|增|减少|减)\)|(增加|增|减少|减))?$")
_LEAD_NOTE = re.compile(r"^([+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)\s*[(（\[](.{1,40})[)）\]]$")


@lru_cache(maxsize=CACHE_SIZE)
def norm(text: str) -> str:
    """NFKC (full-width digits and punctuation), ``&nbsp;`` entities and all spaces removed."""
    if "&" in text:
        text = text.replace("&nbsp;", "").replace("&#160;", "")
    if not text.isascii():
        text = nfkc(text)
    return _SPACES.sub("", text)


def is_blank_text(text: str) -> bool:
    return norm(text) in BLANK_MARKS


_HAS_DIGIT = re.compile(r"[0-9０-９]")


@lru_cache(maxsize=CACHE_SIZE)
def is_number_text(text: str) -> bool:
    """True if ``text`` reads as a table value (number, signed change, money or blank mark)."""
    t = norm(text)
    if t in BLANK_MARKS:
        return True
    if len(t) > 40 or not _HAS_DIGIT.search(t):
        return False
    if _read(t, "signed")[2] == "ok":
        return True
    return _read(t, "money")[2] == "ok"


def _num(s: str) -> int | float:
    s = s.replace(",", "")
    if "." in s:
        f = float(s)
        return int(f) if f.is_integer() and not s.split(".")[1].strip("0") else f
    return int(s)


def parse_cell(text: str | None, kind: Kind = "count") -> Cell:
    """Read one cell. ``kind``: ``count`` (non-negative integer expected, but what is printed
    is kept so rules can flag it), ``money`` (万元; 元 and 亿元 converted), ``signed``
    (本年增/减: ``27(减)`` is -27, ``增3`` is 3)."""
    raw = text or ""
    value, note, status = _read_raw(raw, kind)
    return Cell(value, raw, status, note=note)  # type: ignore[arg-type]


@lru_cache(maxsize=CACHE_SIZE)
def _read_raw(raw: str, kind: str) -> tuple[int | float | None, str | None, str]:
    return _read(norm(raw), kind)


@lru_cache(maxsize=CACHE_SIZE)
def _read(t: str, kind: str) -> tuple[int | float | None, str | None, str]:
    """(value, note, status) of normalised cell text."""
    raw = t
    if t in BLANK_MARKS:
        return None, None, "blank"
    note = None
    m = _LEAD_NOTE.match(t)
    if m and not re.fullmatch(r"(增加|增|减少|减|万元|元)", m.group(2)):
        t, note = m.group(1), m.group(2)
    if kind == "money":
        t = re.sub(r"(万元|元)(?:\1)+$", r"\1", t)
        m = _MONEY.match(t)
        if m:
            v = float(m.group(1).replace(",", ""))
            unit = m.group(2)
            if unit == "元":
                v = v / 10000
                note = note or "amount printed in 元, converted to 万元"
            elif unit == "亿元":
                v = v * 10000
            value: int | float = round(v, 6)
            if float(value).is_integer() and unit in (None, "万元", "万") and "." not in m.group(1):
                value = int(value)
            return value, note, "ok"
        return None, f"not an amount: {raw[:40]}", "unreadable"
    if kind == "signed":
        m = _SIGN_WORD.match(_UNITS.sub("", t))
        if m:
            before, digits, paren, after = m.groups()
            v = _num(digits)
            word = before or paren or after or ""
            if word in ("-", "减", "减少"):
                v = -v
            return v, note, "ok"
        return None, f"not a signed number: {raw[:40]}", "unreadable"
    t2 = _UNITS.sub("", t)
    if _NUM.match(t2):
        return _num(t2), note, "ok"
    return None, f"not a number: {raw[:40]}", "unreadable"
