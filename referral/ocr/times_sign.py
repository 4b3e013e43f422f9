"""The small x of a count unit ("x10^3/uL"), read from its glyph where the models read it as a capital X
("X10^3/uL").

A count unit's x is a letter of the x-height: it starts well below the top of the 1 after it and is shorter than
it. A capital X is as tall as the 1. Only an X of the small letter's size, before the "10" of a count unit, is read
as x; a capital X printed there stays, and nothing else is read."""

from __future__ import annotations

import re

from PIL import Image

from referral.ocr.models import OcrWord, Reread
from referral.ocr.reread import placed_glyphs, read_each

# a count unit, the value joined to it or not: "X10^3/uL", "4.2X10^9/L", "(X10^6/μL)"
_COUNT_UNIT = re.compile(r"^(?P<lead>[(\[]?(?:\d+(?:\.\d+)?)?)X(?P<rest>10\^\d/\S*)$")
_SMALL = 0.85  # of the 1's height: a small x is shorter than this (an x-height is about 0.7 of a capital's)
_BELOW_TOP = 0.15  # of the 1's height: and starts at least this far below the 1's top


def _small_x(page: Image.Image, box: tuple[int, int, int, int], position: int) -> bool:
    glyphs = placed_glyphs(page, box)
    if len(glyphs) <= position + 1:
        return False
    (top, x), (one_top, one) = glyphs[position], glyphs[position + 1]
    height = one.shape[0]
    return x.shape[0] < _SMALL * height and top - one_top >= _BELOW_TOP * height


def read_times_signs(page: Image.Image, words: list[OcrWord]) -> tuple[list[OcrWord], list[Reread]]:
    def reading(word: OcrWord) -> str | None:
        match = _COUNT_UNIT.match(word.text)
        if not match or not _small_x(page, word.box, len(match.group("lead"))):
            return None
        return f"{match.group('lead')}x{match.group('rest')}"

    return read_each(words, "times_sign", reading)
