"""The caret of a count unit ("x10^3/uL", "10^6/μL"), read from its glyph where the models read it as a digit or a
mark ("x1043/uL", "1073/uL", "x10°3/uL").

A caret is no digit: it hangs from the top of the line (a digit stands on the baseline) and opens into two legs
that spread to its foot. Only a glyph of that shape, between the "10" and the power of a count unit, is read as
"^"; anything else (a 4 or a 7 that reaches the baseline, a ring, a blot the fax left) stays as read and the
reviewer checks it."""

from __future__ import annotations

import re

import numpy as np
from PIL import Image

from referral.ocr.models import OcrWord, Reread
from referral.ocr.reread import placed_glyphs, read_each, row_runs

# a count unit whose caret was read as a digit or a mark: "x1043/uL", "(1073/uL)", "10°6/μL", "5.8x1043/uL" (the
# value joined to it), "10°3/" (the unit's letters a word of their own)
_COUNT_UNIT = re.compile(
    r"^(?P<lead>[(\[]?(?:\d+(?:\.\d+)?[xX×]|[xX×]?)10)(?P<mark>[0-9°º\"'`*~])(?P<power>\d)"
    r"(?P<rest>/(?:[uμµap]?L|mm3|HPF)?[)\],.;:]*)$"
)
_FOOT = 0.7  # a caret ends above this share of the power digit's height; a digit reaches the baseline


def _is_caret(glyph: np.ndarray) -> bool:
    """An apex on top, then two legs that spread apart to the glyph's foot, where it is widest. A fax fills the
    apex in (a solid wedge above the legs), which is still a caret; an asterisk is widest across its arms, a ring
    closes again at its foot, a blot has no legs."""
    height, width = glyph.shape
    if height < 4 or width < 4 or len(row_runs(glyph[0])) != 1:
        return False
    lower = [row_runs(row) for row in glyph[height // 2 :]]
    legs = [runs for runs in lower if len(runs) == 2]
    if not legs or len(legs) * 3 < 2 * len(lower):
        return False
    gaps = [right[0] - left[1] for left, right in legs]
    if gaps[-1] < max(gaps) - 1 or gaps[-1] <= gaps[0]:
        return False  # legs that close again below (a ring, an 8's loop) are no caret's
    foot = max(right[1] - left[0] for left, right in legs[-3:])
    above = max((runs[-1][1] - runs[0][0] for row in glyph[: height // 2] if (runs := row_runs(row))), default=0)
    return above <= foot + 1 and foot >= 0.7 * width


def _caret_at(page: Image.Image, box: tuple[int, int, int, int], position: int) -> bool:
    """The word's glyph at `position` hangs from the top of the line and has a caret's shape."""
    glyphs = placed_glyphs(page, box)
    if len(glyphs) <= position + 1:
        return False
    (top, mark), (power_top, power) = glyphs[position], glyphs[position + 1]
    bottom = top + mark.shape[0]
    return bottom <= power_top + _FOOT * power.shape[0] and _is_caret(mark)


def read_carets(page: Image.Image, words: list[OcrWord]) -> tuple[list[OcrWord], list[Reread]]:
    def reading(word: OcrWord) -> str | None:
        match = _COUNT_UNIT.match(word.text)
        if not match or not _caret_at(page, word.box, len(match.group("lead"))):
            return None
        return f"{match.group('lead')}^{match.group('power')}{match.group('rest')}"

    return read_each(words, "caret", reading)
