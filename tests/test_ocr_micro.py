"""A count unit's μ ("10^3/μL") that the models read as the letter u, or dropped between the unit's slash and its
L, is read from its glyph: a μ's stem runs on below the baseline. A u printed there, and a u with a speck under
it, stay as read."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest
from PIL import ImageDraw, ImageFont

from referral.ocr.micro import read_dropped_micro_signs, read_micro_signs
from referral.ocr.models import OcrWord
from tests.test_ocr_carets import _faxed, _printed, read_with
from tests.test_ocr_safety import FACES

_read = partial(read_with, read_micro_signs)


@pytest.mark.parametrize("face", FACES, ids=lambda p: p.stem)
def test_a_mu_read_as_u_is_read_from_its_descender(face: Path) -> None:
    for size in (30, 42):
        for printed, read in (("10^3/μL", "10^3/uL"), ("x10^6/μL", "x10^6/uL"), ("/μL", "/uL"),
                              ("(10^3/μL)", "(10^3/uL)")):  # fmt: skip
            image, box = _printed(printed, face, size)
            assert _read(image, box, read) == (printed, [f"micro:{read}>{printed}"]), (face.stem, size, read)


@pytest.mark.parametrize("face", FACES, ids=lambda p: p.stem)
def test_a_u_printed_there_stays_even_with_a_speck_under_it(face: Path) -> None:
    for size in (30, 42):
        for printed in ("10^3/uL", "x10^6/uL", "/uL"):
            image, box = _printed(printed, face, size)
            assert _read(image, box, printed) == (printed, []), (face.stem, size, printed)
            left = box[0] + (box[2] - box[0]) * (len(printed) - 2) // len(printed)
            ImageDraw.Draw(image).rectangle((left + 2, box[3] + 3, left + 5, box[3] + 6), fill=0)
            speck = (box[0], box[1], box[2], box[3] + 8)
            assert _read(image, speck, printed) == (printed, []), (face.stem, size, printed, "speck")


def test_only_a_unit_per_microlitre_is_read_for_a_mu() -> None:
    image, box = _printed("10^3/μL", FACES[0], 42)
    for read in ("10^3/uM", "10^3uL", "Lu/uL", "10^3/ug"):
        assert _read(image, box, read) == (read, [])


@pytest.mark.parametrize("face", FACES, ids=lambda p: p.stem)
def test_a_faxed_mu_is_read_and_a_faxed_u_stays(face: Path) -> None:
    for size in (30, 42):
        image, box = _printed("x10^3/μL", face, size)
        assert _read(_faxed(image), box, "x10^3/uL")[0] == "x10^3/μL", (face.stem, size)
        assert _read(_faxed(image), box, "x10^3/aL")[0] == "x10^3/μL", (face.stem, size)  # a fax's μ read as a
        for printed in ("x10^3/uL", "x10^3/aL"):
            image, box = _printed(printed, face, size)
            assert _read(_faxed(image), box, printed) == (printed, []), (face.stem, size)
    for printed, read in (("x10^3/μL", "x10^3/aL"), ("x10^3/uL", "x10^3/uL")):  # a fax's speck after the L
        image, box = _printed(printed, face, 42)
        ImageDraw.Draw(image).rectangle((box[2] + 4, box[3] - 7, box[2] + 10, box[3]), fill=0)
        assert _read(_faxed(image), (*box[:2], box[2] + 12, box[3]), read)[0] == printed, (face.stem, read)


def _dropped(printed: str, face: Path, size: int, mark: str) -> tuple[list[str], list[str]]:
    """The count unit printed, read as two words with its `mark` (μ or u) dropped between them: the words as
    read_dropped_micro_signs leaves them, and its rereads."""
    image, box = _printed(printed, face, size)
    font = ImageFont.truetype(str(face), size)
    slash = printed.index(mark)
    draw = ImageDraw.Draw(image)
    first = draw.textbbox((20, size), printed[:slash], font=font)
    left = 20 + round(draw.textlength(printed[: slash + 1], font=font))
    last = draw.textbbox((left, size), printed[slash + 1 :], font=font)
    words = [OcrWord(text=printed[:slash], box=first, confidence=80.0, line=0),
             OcrWord(text=printed[slash + 1 :], box=last, confidence=90.0, line=0)]  # fmt: skip
    out, rereads = read_dropped_micro_signs(image, words)
    return [w.text for w in out], [f"{r.before}>{r.after}" for r in rereads]


@pytest.mark.parametrize("face", FACES, ids=lambda p: p.stem)
def test_a_mu_dropped_between_the_slash_and_the_l_is_read_from_its_glyph_and_a_u_is_not(face: Path) -> None:
    for size in (30, 42):
        assert _dropped("10^3/μL", face, size, "μ") == (["10^3/μL"], ["10^3/ L>10^3/μL"]), (face.stem, size)
        assert _dropped("x10^6/μL", face, size, "μ")[0] == ["x10^6/μL"], (face.stem, size)
        assert _dropped("10^3/uL", face, size, "u") == (["10^3/", "L"], []), (face.stem, size)
