"""An I and the closing bracket after it, read by the models as one D ("(MRD," for "(MRI),") or the I as a closing
brace ("(MR}),"), are read from their glyphs: an upright stem, then an arc bulging to the right; a stem as tall as
the capital before it. A D or a brace printed there stays."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from referral.ocr.bracketed_i import read_bracketed_i
from tests.test_ocr_carets import _faxed, _printed, read_with
from tests.test_ocr_safety import FACES

_read = partial(read_with, read_bracketed_i)


@pytest.mark.parametrize("face", FACES, ids=lambda p: p.stem)
def test_an_i_read_with_its_bracket_as_d_or_as_a_closing_brace_is_read_from_its_glyphs(face: Path) -> None:
    for size in (30, 42):
        for printed, read in (("(MRI),", "(MRD,"), ("(ABI)", "(ABD"), ("(GFR-EPI)", "(GFR-EPD"),
                              ("(GFR-EPI)", "(GFR-EP})"), ("(MRI),", "(MR}),")):  # fmt: skip
            image, box = _printed(printed, face, size)
            assert _read(image, box, read) == (printed, [f"bracket_i:{read}>{printed}"]), (face.stem, size, read)


@pytest.mark.parametrize("face", FACES, ids=lambda p: p.stem)
def test_a_d_printed_there_stays_plain_or_faxed(face: Path) -> None:
    for size in (30, 42):
        for printed in ("(CKD,", "(RAD", "(PTBD", "(GFR-EP})", "(AB{)", "(XY])"):
            image, box = _printed(printed, face, size)
            assert _read(image, box, printed) == (printed, []), (face.stem, size, printed)
            assert _read(_faxed(image), box, printed) == (printed, []), (face.stem, size, printed, "faxed")


def _touching(image: Image.Image, box: tuple[int, int, int, int]) -> Image.Image:
    """The word's first two glyphs joined by a smear across their middle, as a fax may print them."""
    out = image.copy()
    middle = (box[1] + box[3]) // 2
    ImageDraw.Draw(out).rectangle((box[0], middle - 1, box[0] + (box[3] - box[1]), middle + 1), fill=0)
    return out


@pytest.mark.parametrize("face", FACES, ids=lambda p: p.stem)
def test_the_glyphs_are_counted_from_the_word_s_end_when_earlier_ones_touch(face: Path) -> None:
    for size in (30, 42):
        image, box = _printed("(GFR-EPI)", face, size)
        assert _read(_touching(image, box), box, "(GFR-EPD") == ("(GFR-EPI)", ["bracket_i:(GFR-EPD>(GFR-EPI)"])
        image, box = _printed("(CKD,", face, size)
        assert _read(_touching(image, box), box, "(CKD,") == ("(CKD,", []), (face.stem, size)
