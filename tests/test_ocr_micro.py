"""A count unit's μ ("10^3/μL") that the models read as the letter u is read from its glyph: a μ's stem runs on
below the baseline. A u printed there, and a u with a speck under it, stay as read."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest
from PIL import ImageDraw

from referral.ocr.micro import read_micro_signs
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
        image, box = _printed("x10^3/uL", face, size)
        assert _read(_faxed(image), box, "x10^3/uL") == ("x10^3/uL", []), (face.stem, size)
