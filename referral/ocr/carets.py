"""The caret of a count unit ("x10^3/uL", "10^6/μL"), read from its glyph where the models read it as a digit or a
mark ("x1043/uL", "1073/uL", "x10°3/uL").

A caret is no digit: it hangs from the top of the line (a digit stands on the baseline) and opens into two legs at
its foot. Only a glyph of that shape, between the "10" and the power of a count unit, is read as "^"; anything else
(a 4 or a 7 that reaches the baseline, a ring, a blot the fax left) stays as read and the reviewer checks it."""

from __future__ import annotations

import re

import numpy as np
from PIL import Image

from referral.ocr.models import OcrWord, Reread
from referral.ocr.reread import MIN_HEIGHT, placed_glyphs, read_by_shape

# a count unit whose caret was read as a digit or a mark: "x1043/uL", "(1073/uL)", "10°6/μL", "5.8x1043/uL" (the
# value joined to it), "10°3/" (the unit's letters a word of their own)
_COUNT_UNIT = re.compile(
    r"^(?P<lead>[(\[]?(?:\d+(?:\.\d+)?[xX×]|[xX×]?)10)(?P<mark>[0-9°º\"'`*~])(?P<power>\d)"
    r"(?P<rest>/(?:[uμµ]L|L|mm3|HPF)?[)\],.;:]*)$"
)
_FOOT = 0.7  # a caret ends above this share of the power digit's height; a digit reaches the baseline


def _runs(row: np.ndarray) -> list[tuple[int, int]]:
    edges = np.flatnonzero(np.diff(np.concatenate([[0], row.astype(np.int8), [0]])))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _is_caret(glyph: np.ndarray) -> bool:
    """An apex on top, two legs spreading to the glyph's full width at its foot, nothing across its middle."""
    height, width = glyph.shape
    if height < 4 or width < 4:
        return False
    if len(_runs(glyph[0])) != 1 or any(b - a > 0.6 * width for row in glyph for a, b in _runs(row)):
        return False  # a bar across it (an asterisk's arms, a blot): no caret
    lower = glyph[height // 2 :]
    legs = sum(len(_runs(row)) == 2 for row in lower)
    foot = np.flatnonzero(glyph[-1])
    return legs * 3 >= 2 * len(lower) and foot[-1] - foot[0] + 1 >= 0.7 * width  # a ring narrows at its foot


def _caret_at(page: Image.Image, box: tuple[int, int, int, int], position: int) -> bool:
    """The word's glyph at `position` hangs from the top of the line and has a caret's shape."""
    glyphs = placed_glyphs(page, box)
    if len(glyphs) <= position + 1:
        return False
    (top, mark), (power_top, power) = glyphs[position], glyphs[position + 1]
    bottom = top + mark.shape[0]
    return bottom <= power_top + _FOOT * power.shape[0] and _is_caret(mark)


def read_carets(page: Image.Image, words: list[OcrWord]) -> tuple[list[OcrWord], list[Reread]]:
    out, rereads = list(words), []
    for index, word in enumerate(words):
        match = _COUNT_UNIT.match(word.text)
        if not match or word.box[3] - word.box[1] < MIN_HEIGHT:
            continue
        if not _caret_at(page, word.box, len(match.group("lead"))):
            continue
        text = f"{match.group('lead')}^{match.group('power')}{match.group('rest')}"
        out[index], reread = read_by_shape(word, text, "caret")
        rereads.append(reread)
    return out, rereads
