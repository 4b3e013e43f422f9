"""A TNM stage's 0 that the models read as the letter O is read from its glyph: a narrow oval, narrower than the
category's capital before it. A round O, a face whose O and 0 are alike, and a word that is no stage stay as
read."""

from __future__ import annotations

from pathlib import Path

import pytest

from referral.ocr.stages import read_stage_zeros
from tests.test_ocr_lab_names import _line
from tests.test_ocr_safety import FACES

PROPORTIONAL = [f for f in FACES if "Coding" not in f.stem and "Mono" not in f.stem]


def _read(face: Path, printed: str, read: str, size: int = 42) -> tuple[str, list[str]]:
    image, words = _line([printed], face, size)
    found, rereads = read_stage_zeros(image, [words[0].model_copy(update={"text": read})])
    return found[0].text, [f"{r.reason}:{r.before}>{r.after}" for r in rereads]


@pytest.mark.parametrize("face", PROPORTIONAL, ids=lambda p: p.stem)
def test_a_stage_s_zero_read_as_the_letter_o_is_read_from_its_glyph(face: Path) -> None:
    for size in (30, 42):
        for printed, read in (("pN0", "pNO"), ("T3N0M0", "T3NOMO"), ("ypN0,", "ypNO,"), ("(cN0)", "(cNO)")):
            assert _read(face, printed, read, size) == (printed, [f"stage_zero:{read}>{printed}"]), (face.stem, size)
    assert _read(face, "ypN0(i+)", "ypNO(i+)") == ("ypN0(i+)", ["stage_zero:ypNO(i+)>ypN0(i+)"])


def test_a_word_whose_glyphs_break_or_touch_stays_as_read() -> None:
    # a serif face's thin s breaks in two at a small size: the glyphs no longer stand one per letter
    assert _read(FACES[2], "cN0(sn)", "cNO(sn)", 30) == ("cNO(sn)", [])


@pytest.mark.parametrize("face", FACES, ids=lambda p: p.stem)
def test_a_round_o_or_a_face_whose_o_is_a_zero_s_shape_stays_as_read(face: Path) -> None:
    for printed in ("pNO", "T3NOMO"):  # the letter printed: its O is as wide as the N before it
        assert _read(face, printed, printed) == (printed, []), (face.stem, printed)
    if face not in PROPORTIONAL:  # a monospace 0 is as wide as its N: the shape cannot tell, the word stays
        assert _read(face, "pN0", "pNO") == ("pNO", [])


def test_only_a_stage_is_read() -> None:
    for word in ("NO", "MO", "TO", "NOTE", "pNOS", "T2NO:x"):  # a word, not a stage, whatever its glyphs
        assert _read(FACES[0], "pN0", word) == (word, [])
