"""A modality's T that the models read as a small r ("Neck Cr" for Neck CT) is read from its glyph: a T stands as
tall as the capital before it, its top a bar on both sides of its stem. Creatinine's Cr, printed with its small
r, stays as read."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest
from PIL import ImageDraw

from referral.ocr.modality_letters import read_modality_letters
from tests.test_ocr_carets import _faxed, _printed, read_with
from tests.test_ocr_safety import FACES

_read = partial(read_with, read_modality_letters)


@pytest.mark.parametrize("face", FACES, ids=lambda p: p.stem)
def test_a_modality_s_t_read_as_r_is_read_from_its_glyph(face: Path) -> None:
    for size in (30, 42):
        for printed, read in (("CT", "Cr"), ("PET-CT", "PET-Cr"), ("(CT)", "(Cr)")):
            image, box = _printed(printed, face, size)
            assert _read(image, box, read) == (printed, [f"modality_letter:{read}>{printed}"]), (face.stem, size)
            # faxed, C and T may run together: then the word stays as read
            assert _read(_faxed(image), box, read)[0] in (printed, read), (face.stem, size, read, "faxed")
        image, box = _printed("CT", face, size)  # a fax's speck beside the T, inside the word's box
        ImageDraw.Draw(image).rectangle((box[2] + 3, box[1], box[2] + 7, box[1] + 5), fill=0)
        assert _read(image, (*box[:2], box[2] + 8, box[3]), "Cr")[0] == "CT", (face.stem, size, "speck")


@pytest.mark.parametrize("face", FACES, ids=lambda p: p.stem)
def test_a_small_r_printed_there_stays_plain_or_faxed(face: Path) -> None:
    for size in (30, 42):
        for printed in ("Cr", "Cr,", "(Cr)", "Cf"):
            image, box = _printed(printed, face, size)
            assert _read(image, box, printed) == (printed, []), (face.stem, size, printed)
            assert _read(_faxed(image), box, printed) == (printed, []), (face.stem, size, printed, "faxed")
