"""The g of a dose in grams ("3g", "(0.5g)"), read from its glyph where the models read it as the digit 9 ("39",
"(0.59)"): a dose read as a number ten times larger, or as no dose at all.

A g is a small letter with a descender: its top lies well below the top of the digit before it and it runs on
below that digit's foot. A 9 is a digit, as tall as its neighbour and standing on the same baseline. Only the last
glyph of a number, of that shape, is read as g; a 9 printed there stays."""

from __future__ import annotations

import re

from PIL import Image

from referral.ocr.models import OcrWord, Reread
from referral.ocr.reread import placed_glyphs, read_each

# a number whose last glyph may be a dose's g: "39", "(0.59)", "29,"
_DOSE = re.compile(r"^(?P<lead>[(\[]?\d+(?:\.\d+)?)9(?P<rest>[)\],.;:]*)$")
_BELOW_TOP = 0.2  # of the digit's height: a small letter starts at least this far below the digit's top
_DESCENDS = 0.12  # and its descender reaches at least this far below the digit's foot


def _is_g(page: Image.Image, word: OcrWord, position: int) -> bool:
    glyphs = placed_glyphs(page, word.box)
    if len(glyphs) != len(word.text) or position < 1:
        return False  # glyphs that touch or break: the g cannot be told
    (digit_top, digit), (top, glyph) = glyphs[position - 1], glyphs[position]
    height = digit.shape[0]
    foot, digit_foot = top + glyph.shape[0], digit_top + height
    return top - digit_top >= _BELOW_TOP * height and foot - digit_foot >= max(2, _DESCENDS * height)


def read_grams(page: Image.Image, words: list[OcrWord]) -> tuple[list[OcrWord], list[Reread]]:
    def reading(word: OcrWord) -> str | None:
        match = _DOSE.match(word.text)
        if not match or not _is_g(page, word, len(match.group("lead"))):
            return None
        return f"{match.group('lead')}g{match.group('rest')}"

    return read_each(words, "gram", reading)
