"""The IU of a dose in international units ("30/3000IU", "10IU"), read from its glyphs where the models read it as
digits ("30/300010", "30/30001U"): a dose of insulin or heparin read ten times too large is the worst reading of
all. The I is a plain bar (or one with even serifs), not a 1 with its flag; the U is open at its top, where a 0 is
closed. Only when both glyphs have those shapes is the word read as IU; a 1 or a 0 stays as printed."""

from __future__ import annotations

import re

import numpy as np
from PIL import Image

from referral.ocr.models import OcrWord, Reread
from referral.ocr.reread import capital_i_at, read_each, row_runs, word_glyphs

# a dose whose IU was read as digits or half so: the number, then I as 1, l, | or I, then U as 0, O, U or u
_DOSE_IU = re.compile(r"^(?P<lead>[(\[]?\d+(?:[.,]\d+)?(?:/\d+(?:[.,]\d+)?)*?)[1lI|][0OUu](?P<rest>[)\],.;:]*)$")
_SERIF = 0.12  # of the glyph's height: a serif face's U may narrow its opening above this
_TOP = 0.4  # of the glyph's height: where a U is still open and its strokes upright


def _gaps(row: np.ndarray) -> list[int]:
    """The blank stretches between a row's strokes."""
    runs = row_runs(row)
    return [right[0] - left[1] for left, right in zip(runs, runs[1:], strict=False)]


def _is_u(glyph: np.ndarray) -> bool:
    """Two upright strokes apart all down its top, as far apart just under its serifs as anywhere (a 0 or an O,
    even one a fax broke at the top, curves in towards it), joined at its foot: a U."""
    height, width = glyph.shape
    top = [_gaps(row) for row in glyph[max(1, int(_SERIF * height)) : max(2, int(_TOP * height))]]
    if not top or any(len(g) != 1 for g in top) or _gaps(glyph[-1]):
        return False
    widest = max(g[0] for g in top)
    return top[0][0] >= 0.85 * widest and widest >= 0.4 * width


def _iu_at(page: Image.Image, box: tuple[int, int, int, int], at: int, length: int) -> bool:
    glyphs = word_glyphs(page, box)
    if len(glyphs) != length:
        return False  # glyphs that touch or break: the I and the U cannot be told
    return _is_u(glyphs[at + 1]) and capital_i_at(glyphs, at)


def read_international_units(page: Image.Image, words: list[OcrWord]) -> tuple[list[OcrWord], list[Reread]]:
    def reading(word: OcrWord) -> str | None:
        match = _DOSE_IU.match(word.text)
        if not match or not _iu_at(page, word.box, len(match.group("lead")), len(word.text)):
            return None
        return f"{match.group('lead')}IU{match.group('rest')}"

    return read_each(words, "unit_iu", reading)
