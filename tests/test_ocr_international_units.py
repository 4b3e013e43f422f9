"""A dose's IU ("30/3000IU", "10IU") that the models read as digits ("30/300010", "10IU" as "1010") is read from
its glyphs: an I with no 1's flag and a U open at its top. Digits printed there stay, even a 0 a fax broke open."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest
from PIL import ImageDraw

from referral.ocr.international_units import read_international_units
from tests.test_ocr_carets import _faxed, _printed, read_with
from tests.test_ocr_safety import FACES

_read = partial(read_with, read_international_units)


@pytest.mark.parametrize("face", FACES, ids=lambda p: p.stem)
def test_a_dose_in_international_units_read_as_digits_is_read_from_its_glyphs(face: Path) -> None:
    for size in (30, 42):
        for printed, read in (("30/3000IU", "30/300010"), ("30/3000IU", "30/30001U"), ("10IU", "1010"),
                              ("(24IU)", "(24l0)")):  # fmt: skip
            image, box = _printed(printed, face, size)
            assert _read(image, box, read) == (printed, [f"unit_iu:{read}>{printed}"]), (face.stem, size, read)


@pytest.mark.parametrize("face", FACES, ids=lambda p: p.stem)
def test_digits_printed_there_stay_even_faxed_or_with_a_zero_broken_open_at_its_top(face: Path) -> None:
    for size in (30, 42):
        for printed in ("30/300010", "1010", "110", "2010"):
            image, box = _printed(printed, face, size)
            assert _read(image, box, printed) == (printed, []), (face.stem, size, printed)
            assert _read(_faxed(image), box, printed) == (printed, []), (face.stem, size, printed, "faxed")
            zero_left = box[2] - (box[2] - box[0]) // len(printed)  # the last glyph, a 0: its top arc wiped off
            ImageDraw.Draw(image).rectangle((zero_left + size // 6, box[1], box[2] - size // 6, box[1] + 2), fill=255)
            assert _read(image, box, printed) == (printed, []), (face.stem, size, printed, "broken")
