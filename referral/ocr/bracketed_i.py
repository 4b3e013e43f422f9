"""An I before a closing parenthesis that the models read as something else, read from its glyphs:
- read with its bracket as one D ("(MRD," for "(MRI),", "(GFR-EPD" for "(GFR-EPI)"): where the page has two
  glyphs for that D, an upright stem and then an arc that bulges to the right and comes back, the word reads I).
  A D printed there is one glyph and stays;
- read as a closing brace ("(GFR-EP})"): where the glyph is a plain upright stem standing from the top to the
  foot of the capital before it, it is an I; a brace reaches above and below a capital. (A bar or an opening
  brace is not read so: in some faces, faxed, they are such a stem.)
The glyphs are counted from the word's end, so that letters touching earlier in the word do not shift them."""

from __future__ import annotations

import re

import numpy as np
from PIL import Image

from referral.ocr.models import OcrWord, Reread
from referral.ocr.reread import placed_glyphs, read_each

# a word that opens a parenthesis, never closes it, and ends in D (and a mark)
_OPEN_D = re.compile(r"^(?P<lead>[(\[][^()\[\]]*?)D(?P<rest>[,.;:]?)$")
# a word that opens a parenthesis and closes it after a capital and a closing brace
_SYMBOL_I = re.compile(r"^(?P<lead>[(\[][^()\[\]]*?[A-Z])}(?P<rest>\)[,.;:]?)$")
_BULGE = 0.45  # of the arc's width: how far its middle stands right of its ends
_ALIGNED = 0.1  # of the capital's height: how far an I's top and foot may stand from the capital's (at least 2 px)


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


def _i_and_arc(page: Image.Image, word: OcrWord, after: int) -> bool:
    """The word's last glyphs but `after` are a stem and an arc (a D printed there is one glyph: the glyph before
    it is a letter of the word, no stem, or the D is no arc)."""
    glyphs = placed_glyphs(page, word.box)
    if len(glyphs) < after + 3:
        return False
    stem, arc = glyphs[-after - 2][1], glyphs[-after - 1][1]
    return _is_stem(stem) and _is_closing_arc(arc, stem.shape[0])


def _stem_as_tall_as_capital(page: Image.Image, word: OcrWord, after: int) -> bool:
    """The word's last glyph but `after` is a plain stem whose top and foot are those of the capital before it."""
    glyphs = placed_glyphs(page, word.box)
    if len(glyphs) < after + 2:
        return False
    (cap_top, capital), (top, stem) = glyphs[-after - 2], glyphs[-after - 1]
    slack = max(2.0, _ALIGNED * capital.shape[0])
    rise, drop = cap_top - top, top + stem.shape[0] - cap_top - capital.shape[0]  # how far it stands past it
    aligned = max(0, rise) + max(0, drop) <= slack and min(rise, drop) >= -slack  # a brace reaches past both
    return aligned and _is_stem(stem) and not _is_stem(capital)


def read_bracketed_i(page: Image.Image, words: list[OcrWord]) -> tuple[list[OcrWord], list[Reread]]:
    def reading(word: OcrWord) -> str | None:
        match = _OPEN_D.match(word.text)
        if match and _i_and_arc(page, word, len(match.group("rest"))):
            return f"{match.group('lead')}I){match.group('rest')}"
        match = _SYMBOL_I.match(word.text)
        if match and _stem_as_tall_as_capital(page, word, len(match.group("rest"))):
            return f"{match.group('lead')}I{match.group('rest')}"
        return None

    return read_each(words, "bracket_i", reading)
