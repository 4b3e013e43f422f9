"""Glyphs told apart by their size and place on the line: a dose's g read as 9 ("(39)" for (3g), referral/ocr/
grams.py), a count unit's small x read as X ("X10^3/uL", referral/ocr/times_sign.py) and a code's C read as <
("(<25.0)" for (C25.0), referral/ocr/code_letters.py). Each is read where the glyph has that shape, in six faces,
plain and as a fax prints it; the look-alike printed there stays."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest

from referral.ocr.code_letters import read_code_letters
from referral.ocr.grams import read_grams
from referral.ocr.times_sign import read_times_signs
from tests.test_ocr_carets import Reader, _faxed, _printed, read_with
from tests.test_ocr_safety import FACES

_grams = partial(read_with, read_grams)
_times = partial(read_with, read_times_signs)
_codes = partial(read_with, read_code_letters)


def _read_plain_and_faxed(read: Reader, printed: str, misread: str, reason: str, face: Path, size: int) -> None:
    """The misreading is read as printed on the plain page; on the faxed one too, unless the fax joined the glyph
    to its neighbour in a monospace face, whose glyphs stand close (then it stays as read: the shape cannot be
    told)."""
    image, box = _printed(printed, face, size)
    assert read(image, box, misread) == (printed, [f"{reason}:{misread}>{printed}"]), (face.stem, size, misread)
    faxed = read(_faxed(image), box, misread)
    assert faxed in ((printed, [f"{reason}:{misread}>{printed}"]), (misread, [])), (face.stem, size, misread)
    assert faxed[0] == printed or "Coding" in face.stem, (face.stem, size, misread)


@pytest.mark.parametrize("face", FACES, ids=lambda p: p.stem)
def test_a_dose_s_g_read_as_9_is_read_from_its_descender_and_a_9_stays(face: Path) -> None:
    for size in (30, 42):
        for printed, read in (("(3g)", "(39)"), ("0.5g", "0.59"), ("2g,", "29,")):
            _read_plain_and_faxed(_grams, printed, read, "gram", face, size)
        for printed in ("(39)", "0.59", "29,", "129"):
            image, box = _printed(printed, face, size)
            for page in (image, _faxed(image)):
                assert _grams(page, box, printed) == (printed, []), (face.stem, size, printed)


def test_only_a_number_s_last_glyph_is_read_for_a_g() -> None:
    image, box = _printed("1g", FACES[0], 42)
    assert _grams(image, box, "1g") == ("1g", [])  # read right: nothing to do
    image, box = _printed("5mg", FACES[0], 42)
    assert _grams(image, box, "59") == ("59", [])  # three glyphs for two characters: the g cannot be told


@pytest.mark.parametrize("face", FACES, ids=lambda p: p.stem)
def test_a_count_unit_s_small_x_read_as_capital_x_is_read_small_and_a_capital_stays(face: Path) -> None:
    for size in (30, 42):
        for printed in ("x10^3/uL", "4.2x10^9/L"):
            _read_plain_and_faxed(_times, printed, printed.replace("x", "X"), "times_sign", face, size)
        image, box = _printed("X10^3/uL", face, size)
        for page in (image, _faxed(image)):
            assert _times(page, box, "X10^3/uL") == ("X10^3/uL", []), (face.stem, size)
    image, box = _printed("X-ray", FACES[0], 42)
    assert _times(image, box, "X-ray") == ("X-ray", [])  # no count unit


@pytest.mark.parametrize("face", FACES, ids=lambda p: p.stem)
def test_a_code_s_c_read_as_a_less_than_sign_is_read_from_its_arc_and_a_sign_stays(face: Path) -> None:
    for size in (30, 42):
        for printed in ("(C25.0)", "(C18.7),"):
            _read_plain_and_faxed(_codes, printed, printed.replace("C", "<"), "code_letter", face, size)
        for printed in ("(<25.0)", "(<18.7),"):  # a value below a limit, printed so
            image, box = _printed(printed, face, size)
            for page in (image, _faxed(image)):
                assert _codes(page, box, printed) == (printed, []), (face.stem, size, printed)
