"""A modality's capital T that the models read as a small r ("Neck Cr" for Neck CT), read from its glyph: a T
stands as tall as the capital before it and its top is a bar reaching out on both sides of its stem; an r stands
no higher than the small letters (creatinine's "Cr" keeps its r). Only where the reading makes a study the
modality vocabulary names (modalities.yaml)."""

from __future__ import annotations

import numpy as np
from PIL import Image

from referral.lexicon import modality_terms
from referral.ocr.models import OcrWord, Reread
from referral.ocr.reread import main_part, read_each, stem_and_reach, word_glyphs

_EDGES = "()[],.:;"
_CAPITAL = 0.9  # of the capital before it: how tall a T stands at the least (an r is about two thirds)
_LOW = ".,:;'’"  # marks that stand below a letter's height: a speck of their size beside the word is no letter
_SMALL = 0.4  # of the word's tallest glyph: a glyph lower than this is such a mark or a speck


def _r_for_t(core: str) -> int | None:
    """Where an r read for the T of a modality stands in the word, if it is one."""
    found = [i for i, c in enumerate(core) if c == "r" and i > 0 and f"{core[:i]}T{core[i + 1 :]}" in modality_terms()]
    return found[0] if len(found) == 1 else None


def _glyph_is_t(glyphs: list[np.ndarray], from_end: int) -> bool:
    """The glyph `from_end` places before the word's last is a T, the one before it the capital it stands beside
    (counted from the end: letters that touch earlier in the word, as "ET" may, do not shift it)."""
    if len(glyphs) < from_end + 2:
        return False
    capital, glyph = main_part(glyphs[-from_end - 2]), main_part(glyphs[-from_end - 1])
    found = stem_and_reach(glyph)
    if found is None or glyph.shape[0] < _CAPITAL * capital.shape[0]:
        return False
    left, right, stroke = found
    return min(left, right) >= max(2.0, 0.5 * stroke)


def read_modality_letters(page: Image.Image, words: list[OcrWord]) -> tuple[list[OcrWord], list[Reread]]:
    def reading(word: OcrWord) -> str | None:
        core = word.text.strip(_EDGES)
        position = _r_for_t(core)
        if position is None:
            return None
        at = len(word.text) - len(word.text.lstrip(_EDGES)) + position
        glyphs = word_glyphs(page, word.box)
        tallest = max((glyph.shape[0] for glyph in glyphs), default=0)
        letters = [glyph for glyph in glyphs if glyph.shape[0] >= _SMALL * tallest]  # a fax's specks, a comma
        if not _glyph_is_t(letters, sum(c not in _LOW for c in word.text[at + 1 :])):
            return None
        return f"{word.text[:at]}T{word.text[at + 1 :]}"

    return read_each(words, "modality_letter", reading)
