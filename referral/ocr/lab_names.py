"""A lab name's bar-shaped glyph that the models read as another bar, read from its shape:
- the 1 of a name spelled with a digit ("HbAlc" for HbA1c, "FEVl" for FEV1): a stem whose top has a flag
  reaching to the left is a 1; a plain bar stays as read;
- the I that ends a name of two words ("Troponin |" for Troponin I): a bar that stands exactly from the cap
  height of the name before it to its baseline is an I; a pipe or a table's rule reaches past them.
Only where the reading makes a name the lab vocabulary knows, and the word as read is none."""

from __future__ import annotations

import re
from functools import cache

import numpy as np
from PIL import Image

from referral.lexicon import printed_names
from referral.ocr.models import OcrWord, Reread
from referral.ocr.reread import MIN_HEIGHT, glyph_is_one, line_of, placed_glyphs, read_by_shape

_EDGES = "()[],.:;="
# how far an I's top may lie below the cap height, and how far its ends may reach past the cap height and the
# baseline together, as shares of the cap height: a pipe reaches past both, an I stands on the baseline
_CAP, _FOOT = 0.15, 0.06


@cache
def _digit_names() -> frozenset[str]:
    return frozenset(n for n in printed_names() if re.search(r"[A-Za-z]", n) and "1" in n)


def _one_read_as_bar(text: str) -> int | None:
    """Where a bar read for the 1 of a known lab name stands in the word, if it is one; the word itself is none."""
    core = text.strip(_EDGES)
    if core.lower() in printed_names():
        return None
    lead = len(text) - len(text.lstrip(_EDGES))
    found = [i for i, c in enumerate(core) if c in "lI|" and f"{core[:i]}1{core[i + 1 :]}".lower() in _digit_names()]
    return lead + found[0] if len(found) == 1 else None


def _line_band(page: Image.Image, word: OcrWord) -> tuple[float, float] | None:
    """The cap height's top and the baseline of a word, from its glyphs (a descender is the exception)."""
    glyphs = placed_glyphs(page, word.box)
    if len(glyphs) < 3:
        return None
    tops = [word.box[1] + top for top, _ in glyphs]
    bottoms = [word.box[1] + top + glyph.shape[0] for top, glyph in glyphs]
    return float(min(tops)), float(np.median(bottoms))


def _bar_is_capital_i(page: Image.Image, words: list[OcrWord], index: int) -> bool:
    line, position = line_of(words, index)
    if position == 0 or f"{line[position - 1].text} i".lower() not in printed_names():
        return False
    band = _line_band(page, line[position - 1])
    glyphs = placed_glyphs(page, words[index].box)
    if band is None or len(glyphs) != 1:
        return False
    cap, base = band
    height = base - cap
    top = words[index].box[1] + glyphs[0][0]
    bottom = top + glyphs[0][1].shape[0]
    slack = max(2.0, _FOOT * height)
    overshoot = max(0.0, bottom - base) + max(0.0, cap - top)  # a pipe reaches past both
    on_band = top - cap <= _CAP * height and bottom >= base - slack and overshoot <= slack
    return on_band and glyphs[0][1].shape[1] <= 0.25 * height  # a plain bar: a serif I is read as I already


def read_lab_name_bars(page: Image.Image, words: list[OcrWord]) -> tuple[list[OcrWord], list[Reread]]:
    out, rereads = list(words), []
    for index, word in enumerate(words):
        if word.box[3] - word.box[1] < MIN_HEIGHT:
            continue
        if word.text == "|" and _bar_is_capital_i(page, words, index):
            out[index], reread = read_by_shape(word, "I", "lab_name")
            rereads.append(reread)
            continue
        position = _one_read_as_bar(word.text)
        if position is not None and glyph_is_one(page, word.box, position):
            out[index], reread = read_by_shape(word, f"{word.text[:position]}1{word.text[position + 1 :]}", "lab_name")
            rereads.append(reread)
    return out, rereads
