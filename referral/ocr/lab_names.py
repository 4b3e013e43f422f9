"""A lab name's bar-shaped glyph that the models read as another bar, read from its shape:
- the 1 of a name spelled with a digit ("HbAlc" for HbA1c, "FEVl" for FEV1): a stem whose top has a flag
  reaching to the left is a 1; a plain bar stays as read;
- the I that ends a name of two words ("Troponin |" for Troponin I, or glued to it, "hs-Troponin|"): a bar that
  stands exactly from the cap height of the name before it to its baseline is an I; a pipe or a table's rule
  reaches past them.
- the I of a name spelled with one ("PIVKA-IL" for PIVKA-II): a plain bar from the cap height to the baseline of
  the name's capitals is an I; an L has its foot.
Only where the reading makes a name the lab vocabulary knows, and the word as read is none."""

from __future__ import annotations

import re
from functools import cache

import numpy as np
from PIL import Image

from referral.lexicon import clinical_lexicon, load_data, printed_names
from referral.ocr.models import OcrWord, Reread
from referral.ocr.reread import glyph_is_one, line_of, main_rows, placed_glyphs, read_each, without_specks

_EDGES = "()[],.:;="
# how far an I's top may lie below the cap height, and how far its ends may reach past the cap height and the
# baseline together, as shares of the cap height: a pipe reaches past both, an I stands on the baseline
_CAP, _FOOT = 0.15, 0.06
_STEM = 0.3  # of the cap height: the widest an I between capitals may be (a fax thickens it; an L's foot is wider)
_SPECK = 0.1  # of the name's tallest glyph: ink no taller or wider is a speck, no glyph of the name


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


def _band(tops: list[int], bottoms: list[int]) -> tuple[float, float]:
    """The cap height's top and the baseline of glyphs (a descender is the exception)."""
    return float(min(tops)), float(np.median(bottoms))


def _line_band(page: Image.Image, word: OcrWord) -> tuple[float, float] | None:
    """The cap height's top and the baseline of a word, from its glyphs (a speck above or below one, apart from
    it, no part of it)."""
    glyphs = placed_glyphs(page, word.box)
    if len(glyphs) < 3:
        return None
    rows = [(top + start, top + end) for top, glyph in glyphs for start, end in [main_rows(glyph)]]
    return _band([top for top, _ in rows], [bottom for _, bottom in rows])


def _on_band(band: tuple[float, float], top: float, glyph: np.ndarray, widest: float = 0.25) -> bool:
    """A plain bar that stands exactly from the band's cap height to its baseline: an I (a pipe or a table's rule
    reaches past both; a serif I is read as I already)."""
    cap, base = band
    height = base - cap
    bottom = top + glyph.shape[0]
    slack = max(2.0, _FOOT * height)
    overshoot = max(0.0, bottom - base) + max(0.0, cap - top)
    on_band = top - cap <= _CAP * height and bottom >= base - slack and overshoot <= slack
    return on_band and glyph.shape[1] <= widest * height


def _bar_is_capital_i(page: Image.Image, words: list[OcrWord], index: int) -> bool:
    """A bar read as a word of its own after the name it ends ("Troponin |")."""
    line, position = line_of(words, index)
    if position == 0 or f"{line[position - 1].text} i".lower() not in printed_names():
        return False
    band = _line_band(page, line[position - 1])
    glyphs = placed_glyphs(page, words[index].box)
    if band is None or len(glyphs) != 1:
        return False
    shift = words[index].box[1] - line[position - 1].box[1]  # the bar's rows in the name's box
    return _on_band(band, shift + glyphs[0][0], glyphs[0][1])


def _glued_bar_is_capital_i(page: Image.Image, word: OcrWord) -> bool:
    """A bar read glued to the name it ends ("hs-Troponin|"), standing on the band of the name's glyphs."""
    if not word.text.endswith("|") or f"{word.text[:-1]} i".lower() not in printed_names():
        return False
    glyphs = placed_glyphs(page, word.box)
    if len(glyphs) < 3:
        return False  # letters that touch may share a glyph; the bar, narrow and apart, is the last one
    band = _band([top for top, _ in glyphs[:-1]], [top + glyph.shape[0] for top, glyph in glyphs[:-1]])
    return _on_band(band, *glyphs[-1])


@cache
def _capital_i_names() -> frozenset[str]:
    """The lab names printed with a capital I, as printed ("PIVKA-II"; a small i read as l is no I)."""
    names = [*clinical_lexicon().labs, *load_data("lab_tests.yaml")["names"]]
    return frozenset(n for n in names if "I" in n)


def _letter_read_for_i(text: str) -> int | None:
    """Where an L, l, | or 1 read for the I of a known lab name stands in the word ("PIVKA-IL" for PIVKA-II),
    if it is one; the word itself is none."""
    core = text.strip(_EDGES)
    if core.lower() in printed_names():
        return None
    lead = len(text) - len(text.lstrip(_EDGES))
    found = [i for i, c in enumerate(core)
             if c in "Ll|1" and f"{core[:i]}I{core[i + 1 :]}" in _capital_i_names()]  # fmt: skip
    return lead + found[0] if len(found) == 1 else None


def _glyph_is_bar(page: Image.Image, word: OcrWord, position: int) -> bool:
    """The word's glyph at `position` is a plain bar on the band of its capitals (an L has its foot)."""
    glyphs = without_specks(placed_glyphs(page, word.box), _SPECK)
    if len(glyphs) != len(word.text):
        return False  # glyphs that touch or break: the place cannot be told
    tallest = max(glyph.shape[0] for _, glyph in glyphs)  # the speck filter keeps the tallest
    capitals = [(top, glyph) for top, glyph in glyphs if glyph.shape[0] >= 0.8 * tallest]
    band = _band([top for top, _ in capitals], [top + glyph.shape[0] for top, glyph in capitals])
    return _on_band(band, *glyphs[position], widest=_STEM)


def read_lab_name_bars(page: Image.Image, words: list[OcrWord]) -> tuple[list[OcrWord], list[Reread]]:
    place = {id(word): index for index, word in enumerate(words)}

    def reading(word: OcrWord) -> str | None:
        if word.text == "|" and _bar_is_capital_i(page, words, place[id(word)]):
            return "I"
        if _glued_bar_is_capital_i(page, word):
            return f"{word.text[:-1]} I"
        position = _letter_read_for_i(word.text)
        if position is not None and _glyph_is_bar(page, word, position):
            return f"{word.text[:position]}I{word.text[position + 1 :]}"
        position = _one_read_as_bar(word.text)
        if position is not None and glyph_is_one(page, word.box, position):
            return f"{word.text[:position]}1{word.text[position + 1 :]}"
        return None

    return read_each(words, "lab_name", reading)
