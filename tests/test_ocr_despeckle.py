"""The cell crop with its specks removed, for a second reading of a specked number (no engine)."""

from __future__ import annotations

import numpy as np

from nianbao.parsers.ocr import _despeckled, _specked_number


def test_specks_go_and_the_digit_stays():
    crop = np.full((40, 60), 200, dtype=np.uint8)  # grey paper
    crop[8:32, 20:24] = 30  # a "1": one stroke
    crop[30:33, 30:33] = 40  # a speck read as a decimal point
    crop[5:7, 50:52] = 50  # scanner noise
    out = list(_despeckled(crop))
    assert [o.shape for o in out] == [(80, 120), (120, 180)]
    two = out[0]
    assert (two[16:64, 40:48] < 128).mean() > 0.9  # the stroke, doubled
    assert (two[58:68, 58:68] > 128).all() and (two[8:16, 98:106] > 128).all()  # specks gone


def test_a_clean_crop_gives_nothing_to_read_again():
    crop = np.full((40, 60), 200, dtype=np.uint8)
    crop[8:32, 20:24] = 30
    assert list(_despeckled(crop)) == []


def test_which_readings_are_specked():
    assert _specked_number("0.") and _specked_number("4.") and _specked_number("。")
    assert not _specked_number("12") and not _specked_number("1.5")
