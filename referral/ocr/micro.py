"""The μ of a count unit ("10^3/μL", "/μL"), read from its glyph where the models read it as the letter u (or, on
a fax, a), or dropped it between the unit's slash and its L ("10^3/" "L").

A μ is a u with a descender: its left stem runs on below the baseline, where a u ends on it. Only a glyph of
that shape, right after the unit's slash and before its L (which stands on the baseline and gives it), is read
as μ, written as U+03BC (to which Unicode's compatibility form maps the micro sign). A u that ends on the
baseline, a speck under it, and glyphs that touch or break stay as read; a fax's speck beside the unit's glyphs
is no glyph of it."""

from __future__ import annotations

import re

import numpy as np
from PIL import Image

from referral.ocr.models import OcrWord, Reread
from referral.ocr.reread import line_of, placed_glyphs, read_each, without_specks
from referral.ocr.tables import union_box

# a count unit or a unit per microlitre whose μ was read as u or a: "10^3/uL", "x10^6/uL", "/uL", "(10^3/al)"
_PER_MICROLITRE = re.compile(r"^(?P<lead>[(\[]?(?:\d+(?:\.\d+)?[xX×]|[xX×]?)(?:10\^\d)?/)[ua](?P<rest>[Ll][)\],.;:]*)$")
# a count unit read as two words, the μ between them dropped: "10^3/" and "L"
_BEFORE_GAP = re.compile(r"^[(\[]?(?:\d+(?:\.\d+)?[xX×]|[xX×]?)10\^\d/$")
_AFTER_GAP = re.compile(r"^[Ll][)\],.;:]*$")
_DESCENDS = 0.12  # of the L's height: how far below the baseline a descender reaches at the least
_STEM = 0.45  # of the glyph's width: the most a descender's stroke takes
_X_HEIGHT = 0.15  # of the L's height: how far below its top a small letter starts at the least
_SPECK = 0.3  # of the word's tallest glyph: a fax's speck is no taller and no wider


def _descends(glyph: np.ndarray, top: int, baseline: int, cap: int) -> bool:
    """The glyph's ink runs on below the baseline as one stroke on its left, joined to the rest of it."""
    if top + glyph.shape[0] - baseline < max(3, _DESCENDS * cap):
        return False  # no descender
    below = glyph[max(0, baseline - top + 1) :]  # the row on the baseline may still hold the bowl's foot
    if not below.any(axis=1).all():
        return False  # a speck apart from the glyph
    columns = np.flatnonzero(below.any(axis=0))
    width = glyph.shape[1]
    return columns[-1] - columns[0] + 1 <= _STEM * width and columns[-1] < width / 2


def _micro_at(page: Image.Image, box: tuple[int, int, int, int], position: int, length: int) -> bool:
    glyphs = placed_glyphs(page, box)
    if len(glyphs) > length:
        glyphs = without_specks(glyphs, _SPECK)  # more glyphs than characters: a fax's speck among them
    if len(glyphs) != length:
        return False  # glyphs that touch or break: the u cannot be told
    (top, glyph), (l_top, l_glyph) = glyphs[position], glyphs[position + 1]
    baseline = l_top + l_glyph.shape[0]
    return top > l_top + _X_HEIGHT * l_glyph.shape[0] and _descends(glyph, top, baseline, l_glyph.shape[0])


def read_micro_signs(page: Image.Image, words: list[OcrWord]) -> tuple[list[OcrWord], list[Reread]]:
    def reading(word: OcrWord) -> str | None:
        match = _PER_MICROLITRE.match(word.text)
        if not match or not _micro_at(page, word.box, len(match.group("lead")), len(word.text)):
            return None
        return f"{match.group('lead')}μ{match.group('rest')}"

    return read_each(words, "micro", reading)


def _dropped_micro(page: Image.Image, words: list[OcrWord], index: int) -> OcrWord | None:
    """The word after a count unit's slash, when it is the unit's L and the one glyph between them is a μ."""
    line, position = line_of(words, index)
    word = words[index]
    after = line[position + 1] if position + 1 < len(line) else None
    if not _BEFORE_GAP.match(word.text) or after is None or not _AFTER_GAP.match(after.text):
        return None
    top, bottom = min(word.box[1], after.box[1]), max(word.box[3], after.box[3])
    below = (bottom - top) // 2  # room for the μ's descender under the words' boxes
    return after if _micro_at(page, (word.box[2], top, after.box[2], bottom + below), 0, 2) else None


def read_dropped_micro_signs(page: Image.Image, words: list[OcrWord]) -> tuple[list[OcrWord], list[Reread]]:
    """The two words of a count unit whose μ the models dropped ("10^3/" "L"), read as one ("10^3/μL") where the
    one glyph between them is a μ."""
    out, rereads, joined = list(words), [], set()
    for index, word in enumerate(words):
        after = _dropped_micro(page, words, index) if index not in joined else None
        if after is None:
            continue
        text, box = f"{word.text}μ{after.text}", union_box([word, after])
        confidence = min(word.confidence, after.confidence)
        out[index] = word.model_copy(update={"text": text, "box": box, "confidence": confidence})
        joined.add(next(i for i, w in enumerate(words) if w is after))
        rereads.append(Reread(reason="micro", before=f"{word.text} {after.text}", after=text, box=box,
                              confidence_before=confidence, confidence_after=confidence))  # fmt: skip
    return [w for i, w in enumerate(out) if i not in joined], rereads
