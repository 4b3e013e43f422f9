"""An I and the closing bracket after it, read by the models as one D ("(MRD," for "(MRI),"), are read from their
glyphs: an upright stem, then an arc bulging to the right. A D printed there is one glyph and stays."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest

from referral.ocr.bracketed_i import read_bracketed_i
from tests.test_ocr_carets import _faxed, _printed, read_with
from tests.test_ocr_safety import FACES

_read = partial(read_with, read_bracketed_i)


@pytest.mark.parametrize("face", FACES, ids=lambda p: p.stem)
def test_an_i_and_its_closing_bracket_read_as_d_are_read_from_their_glyphs(face: Path) -> None:
    for size in (30, 42):
        for printed, read in (("(MRI),", "(MRD,"), ("(ABI)", "(ABD"), ("(GFR-EPI)", "(GFR-EPD")):
            image, box = _printed(printed, face, size)
            assert _read(image, box, read) == (printed, [f"bracket_i:{read}>{printed}"]), (face.stem, size, read)


@pytest.mark.parametrize("face", FACES, ids=lambda p: p.stem)
def test_a_d_printed_there_stays_plain_or_faxed(face: Path) -> None:
    for size in (30, 42):
        for printed in ("(CKD,", "(RAD", "(PTBD"):
            image, box = _printed(printed, face, size)
            assert _read(image, box, printed) == (printed, []), (face.stem, size, printed)
            assert _read(_faxed(image), box, printed) == (printed, []), (face.stem, size, printed, "faxed")
