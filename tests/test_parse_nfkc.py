"""The fast NFKC is exactly unicodedata's NFKC."""

from __future__ import annotations

import random
import unicodedata

import pytest

from nianbao.text import nfkc

_RANGES = [(0x00A0, 0x0400), (0x2000, 0x2200), (0x2460, 0x2500), (0x2E80, 0x2FE0), (0x3000, 0x3400),
           (0xF900, 0xFB00), (0xFE30, 0xFFF0)]  # fmt: skip
_MARKS = ["\u0301", "\u0308", "\u0338", "\u3099", "\u309a", "\u0327"]


@pytest.mark.parametrize(("lo", "hi"), _RANGES)
def test_every_code_point_in_the_replaced_ranges(lo, hi):
    for c in range(lo, hi):
        for s in (f"（{chr(c)}，", f"{chr(c)}{_MARKS[c % len(_MARKS)]}中"):
            assert nfkc(s) == unicodedata.normalize("NFKC", s), hex(c)


def test_random_mixtures_with_combining_marks():
    rng = random.Random(7)
    pool = [chr(c) for lo, hi in _RANGES for c in range(lo, hi, 7)] + _MARKS + ["a", "中", "1", "\uac00", "\u1100"]
    for _ in range(3000):
        s = "".join(rng.choice(pool) for _ in range(rng.randint(1, 8)))
        assert nfkc(s) == unicodedata.normalize("NFKC", s), repr(s)


def test_report_text_and_ascii():
    s = "２０２４年，全年共收到申请１２件（含上年结转）⑤项⽂件…"
    assert nfkc(s) == unicodedata.normalize("NFKC", s) == "2024年,全年共收到申请12件(含上年结转)5项文件..."
    assert nfkc("plain ascii") == "plain ascii"
