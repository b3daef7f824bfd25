"""Second readings of a cell crop: specks removed for a specked number; a doubtful number read again."""

from __future__ import annotations

import numpy as np
import pytest

from nianbao.parsers.blocks import GridCell
from nianbao.parsers.ocr import _despeckled, _recheck_empty, _specked_number


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


def _cell_image(digit: str):
    import cv2

    img = np.full((60, 200), 255, dtype=np.uint8)
    cv2.rectangle(img, (2, 2), (197, 57), 0, 2)  # the cell's rules
    cv2.putText(img, digit, (90, 44), cv2.FONT_HERSHEY_SIMPLEX, 1.2, 0, 3)
    return img, [(2.0, 2.0, 197.0, 57.0)]


@pytest.mark.slow
def test_a_number_read_with_doubt_must_be_read_again_alike():
    """The page OCR said "9" (0.95) where the cell holds a 0: the second reading of the crop
    does not give 9, so the reading is not believed; a "0" read at 0.95 is confirmed."""
    img, cells = _cell_image("0")
    wrong = {0: [GridCell("9", 0.95)]}
    _recheck_empty(img, cells, wrong)
    assert wrong[0][0].confidence is not None and wrong[0][0].confidence < 0.8
    right = {0: [GridCell("0", 0.95)]}
    _recheck_empty(img, cells, right)
    assert right[0][0].text == "0" and right[0][0].confidence == 0.95
