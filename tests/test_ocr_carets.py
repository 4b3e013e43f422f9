"""A count unit's caret ("x10^3/uL") that the models read as a digit or a mark is read from its glyph: a caret
hangs from the top of the line and opens into two legs. A digit, a ring or an asterisk printed there stays as
read."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from referral.ocr.carets import read_carets
from referral.ocr.models import OcrWord, Reread
from tests.test_ocr_safety import FACES


def _printed(text: str, face: Path, size: int) -> tuple[Image.Image, tuple[int, int, int, int]]:
    font = ImageFont.truetype(str(face), size)
    image = Image.new("L", (60 + size * len(text), 3 * size), 255)
    ImageDraw.Draw(image).text((20, size), text, font=font, fill=0)
    box = ImageDraw.Draw(image).textbbox((20, size), text, font=font)
    return image, (int(box[0]), int(box[1]), int(box[2]), int(box[3]))


Reader = Callable[[Image.Image, list[OcrWord]], tuple[list[OcrWord], list[Reread]]]


def read_with(reader: Reader, image: Image.Image, box: tuple[int, int, int, int], read: str) -> tuple[str, list[str]]:
    """The word as the glyph reader reads it, and its rereads as "reason:before>after"."""
    words, rereads = reader(image, [OcrWord(text=read, box=box, confidence=70.0, line=0)])
    return words[0].text, [f"{r.reason}:{r.before}>{r.after}" for r in rereads]


_read = partial(read_with, read_carets)


@pytest.mark.parametrize("face", FACES, ids=lambda p: p.stem)
def test_a_caret_read_as_a_digit_or_a_mark_is_read_from_its_glyph(face: Path) -> None:
    for size in (30, 42):
        for printed, read in (("x10^3/uL", "x1043/uL"), ("10^3/μL", "1073/μL"), ("x10^6/uL", "x10°6/uL"),
                              ("3.9x10^3/uL", "3.9x1043/uL"), ("10^3/", "10*3/")):  # fmt: skip
            image, box = _printed(printed, face, size)
            assert _read(image, box, read) == (printed, [f"caret:{read}>{printed}"]), (face.stem, size, read)


@pytest.mark.parametrize("face", FACES, ids=lambda p: p.stem)
def test_a_digit_a_ring_or_an_asterisk_printed_there_stays_as_read(face: Path) -> None:
    for size in (30, 42):
        for printed in ("x1043/uL", "x1073/uL", "x10°3/uL", "x10*3/uL"):
            image, box = _printed(printed, face, size)
            assert _read(image, box, printed) == (printed, []), (face.stem, size, printed)


def test_only_a_count_unit_is_read_for_a_caret() -> None:
    image, box = _printed("x10^3/uL", FACES[0], 42)
    for read in ("1043", "x1043", "x1043uL", "1043/mg", "21043/uL"):  # no unit, no slash, a number, another unit
        assert _read(image, box, read) == (read, [])


def _faxed(image: Image.Image) -> Image.Image:
    """The page as a fax prints it: strokes blurred and thickened, a caret's apex filled in."""
    return image.filter(ImageFilter.GaussianBlur(1.2)).point(lambda v: 0 if v < 190 else 255)


@pytest.mark.parametrize("face", FACES, ids=lambda p: p.stem)
def test_a_faxed_caret_with_its_apex_filled_is_read_and_faxed_look_alikes_stay(face: Path) -> None:
    for size in (30, 42):
        image, box = _printed("x10^3/uL", face, size)
        assert _read(_faxed(image), box, "x1043/uL") == ("x10^3/uL", ["caret:x1043/uL>x10^3/uL"]), (face.stem, size)
        for printed in ("x1043/uL", "x1073/uL", "x10°3/uL", "x10*3/uL"):
            image, box = _printed(printed, face, size)
            assert _read(_faxed(image), box, printed) == (printed, []), (face.stem, size, printed)
