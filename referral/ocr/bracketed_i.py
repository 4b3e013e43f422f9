"""An I before a closing parenthesis that the models read as one D ("(MRD," for "(MRI),", "(GFR-EPD" for
"(GFR-EPI)"), read from its glyphs: where the page has two glyphs for that D, an upright stem and then an arc
that bulges to the right and comes back, the word reads I). A D printed there is one glyph and stays."""

from __future__ import annotations

import re

import numpy as np
from PIL import Image

from referral.ocr.models import OcrWord, Reread
from referral.ocr.reread import placed_glyphs, read_each

# a word that opens a parenthesis, never closes it, and ends in D (and a mark)
_OPEN_D = re.compile(r"^(?P<lead>[(\[][^()\[\]]*?)D(?P<rest>[,.;:]?)$")
_BULGE = 0.45  # of the arc's width: how far its middle stands right of its ends


def _is_stem(glyph: np.ndarray) -> bool:
    """An upright stroke, serifs or not: its middle half no wider than a third of its height's stroke band."""
    height, width = glyph.shape
    middle = glyph[height // 4 : height - height // 4]
    spans = [np.flatnonzero(row) for row in middle]
    return bool(spans) and all(s.size and s[-1] - s[0] + 1 <= max(3, 0.2 * height) for s in spans)


def _is_closing_arc(glyph: np.ndarray, cap: int) -> bool:
    """A ")" : as tall as a capital at the least, one stroke per row, whose middle stands right of its two ends."""
    height, width = glyph.shape
    rows = [np.flatnonzero(row) for row in glyph]
    if height < cap or any(r.size == 0 or r[-1] - r[0] + 1 > 0.6 * width for r in rows):
        return False
    centre = [float(r.mean()) for r in rows]
    return max(centre[height // 3 : height - height // 3]) - max(centre[0], centre[-1]) >= _BULGE * width


def _i_and_arc(page: Image.Image, word: OcrWord, at: int) -> bool:
    glyphs = placed_glyphs(page, word.box)
    if len(glyphs) != len(word.text) + 1:
        return False  # a D printed there is one glyph
    stem, arc = glyphs[at][1], glyphs[at + 1][1]
    return _is_stem(stem) and _is_closing_arc(arc, stem.shape[0])


def read_bracketed_i(page: Image.Image, words: list[OcrWord]) -> tuple[list[OcrWord], list[Reread]]:
    def reading(word: OcrWord) -> str | None:
        match = _OPEN_D.match(word.text)
        if not match or not _i_and_arc(page, word, len(match.group("lead"))):
            return None
        return f"{match.group('lead')}I){match.group('rest')}"

    return read_each(words, "bracket_i", reading)
