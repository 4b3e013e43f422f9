"""A second reading of the words Tesseract's Korean model reads worst: Latin letters, digits, codes and doses.

The Korean model reads "100mg" as "10000" and "1T" as "17"; the English model, shown only that word's box,
reads it right. Both readings are kept: the one with the higher confidence wins, and where they disagree on a
number the word becomes a check for the reviewer. A code whose first letter the models read as a digit
("110" for I10) is read again by the shape of that glyph: a stem, plain or with even serifs, is I; a 1 has a flag.
A dose whose 1 the models read as a letter ("Img") is read by the same shape: a flag to the left is a 1. Here too
are the glyph primitives the other shape readers share (code_letters.py, carets.py ...)."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import TypeVar

import numpy as np
from PIL import Image

from referral.codes import is_diagnosis_code
from referral.lexicon import clinical_lexicon, printed_names
from referral.ocr.correct import NUMBER
from referral.ocr.models import Check, GlyphReason, OcrWord, Reread
from referral.ocr.tesseract import recognise_lines

LATIN = re.compile(r"[0-9A-Za-z]")
HANGUL = re.compile(r"[가-힣ㄱ-ㅎㅏ-ㅣ]")
LOW_CONFIDENCE = 80.0
MIN_HEIGHT = 12  # pixels at 300 dpi: a smaller "word" is a speck, not print


def crop_box(page: Image.Image, box: tuple[int, int, int, int]) -> tuple[Image.Image, tuple[int, int]]:
    """The box with a margin, and where the crop's corner lies on the page."""
    left, top, right, bottom = box
    pad = max(4, (bottom - top) // 3)
    corner = (max(0, left - pad), max(0, top - pad))
    return page.crop((*corner, right + pad, bottom + pad)), corner


def clinical_shape(token: str) -> bool:
    """A token the clinical vocabulary knows: a lab or drug name, a unit (alone or after a number), a code."""
    core = token.strip("()[],.:;‘’'\"“”")
    lexicon = clinical_lexicon()
    if core.lower() in _known_words() or is_diagnosis_code(core):
        return True
    unit = re.fullmatch(r"[<>≤≥]?\d+(?:\.\d+)?(?P<unit>[A-Za-zµμ%/^]+(?:/[A-Za-z0-9.]+)?)", core)
    return bool(unit and unit.group("unit") in lexicon.units)


@cache
def _known_words() -> frozenset[str]:
    return printed_names() | {u.lower() for u in clinical_lexicon().units}


def read_boxes_again(page: Image.Image, boxes: list[tuple[int, int, int, int]], lang: str) -> list[list[OcrWord]]:
    """Each box read again on its own as one line, its words placed back in the page's coordinates."""
    crops = [crop_box(page, box) for box in boxes]
    out = []
    for crop, words in zip(crops, recognise_lines([c[0] for c in crops], lang), strict=True):
        left, top = crop[1]
        out.append([w.model_copy(update={"box": (w.box[0] + left, w.box[1] + top, w.box[2] + left, w.box[3] + top)})
                    for w in words])  # fmt: skip
    return out


def read_latin_again(page: Image.Image, words: list[OcrWord]) -> tuple[list[OcrWord], list[Reread], list[Check]]:
    """Words with the English model's reading where it is surer; rereads made; numbers whose readings differ."""
    chosen = [i for i, w in enumerate(words) if LATIN.search(w.text) and not HANGUL.search(w.text)]
    second = recognise_lines([crop_box(page, words[i].box)[0] for i in chosen], "eng")
    out, rereads, checks = list(words), [], []
    for index, alternative in zip(chosen, second, strict=True):
        word = words[index]
        if not alternative or word.box[3] - word.box[1] < MIN_HEIGHT:
            continue
        text = "".join(a.text for a in alternative)
        confidence = min(a.confidence for a in alternative)
        if text == word.text:
            continue
        if NUMBER.findall(text) != NUMBER.findall(word.text):
            checks.append(Check(text=word.text, box=word.box, line=word.line,
                                confidence=min(confidence, word.confidence), why="readings_differ"))  # fmt: skip
        if takes_second_reading(word, text, confidence):
            out[index] = word.model_copy(update={"text": text, "confidence": confidence})
            rereads.append(Reread(reason="latin_model", before=word.text, after=text, box=word.box,
                                  confidence_before=word.confidence, confidence_after=confidence))  # fmt: skip
    return out, rereads, checks


def takes_second_reading(word: OcrWord, text: str, confidence: float) -> bool:
    """The English model's reading `text` of the word's box replaces the page's reading: a reading the clinical
    vocabulary knows wins over one it does not, else the surer one wins, unless the change is one a crop makes."""
    if _unit_from_beside(word, text, confidence) or keeps_first(word.text, text):
        return False
    return (clinical_shape(text), confidence) > (clinical_shape(word.text), word.confidence)


def _unit_from_beside(word: OcrWord, text: str, confidence: float) -> bool:
    """A bare number read again as that number with a unit, less surely: the unit's letters are the next word's
    edge in the crop's margin ("1" of "1일" read as "1g" at 54 against 93), not print."""
    bare = re.fullmatch(r"\d+", word.text)
    added = text.startswith(word.text) and re.fullmatch(r"[A-Za-zµμ]+", text[len(word.text) :])
    return bool(bare and added and confidence < min(word.confidence - 10, LOW_CONFIDENCE))


_PLAIN_NUMBER = re.compile(r"[<>≤≥]?\d+(?:[.,]\d+)*")
_DECIMAL_POINT = re.compile(r"(?<=\d)\.(?=\d)")


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def decimal_points(text: str) -> int:
    """Points between two digits: a decimal point, or a date's."""
    return len(_DECIMAL_POINT.findall(text))


def keeps_first(first: str, second: str) -> bool:
    """What the crop's reading may not change, however sure it is:
    - a decimal point read on the page: the crop loses a thin point ("3.6" as "36") or takes it for a comma
      ("2.14" as "2,14"); with the same digits, the reading that has the point stands;
    - a number the page's model read in its line: a crop of digits alone gains or drops a digit at its edge
      ("127" as "27", "8" as "81");
    - the word itself with marks from the crop's margin at an end ("therapy" as "therapy=")."""
    if digits(first) == digits(second) and decimal_points(first) > decimal_points(second):
        return True
    if _PLAIN_NUMBER.fullmatch(first) and _PLAIN_NUMBER.fullmatch(second):
        return True
    for added in (second.removeprefix(first), second.removesuffix(first)):
        if added != second and not any(c.isalnum() for c in added):
            return True
    return False


def row_runs(row: np.ndarray) -> list[tuple[int, int]]:
    """The strokes of one row of a glyph's ink: (first column, column after the last) of each."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], row.astype(np.int8), [0]])))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def located_glyphs(page: Image.Image, box: tuple[int, int, int, int]) -> list[tuple[int, int, np.ndarray]]:
    """The ink of each glyph of the word, left to right, each cut to its own rows, with its left column and top
    row in the box."""
    ink = np.asarray(page.crop(box).convert("L"), dtype=np.uint8) < 128
    columns = np.concatenate([[False], ink.any(axis=0), [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(columns))
    out = []
    for start, end in zip(edges[::2], edges[1::2], strict=True):
        cut = ink[:, start:end]
        rows = np.flatnonzero(cut.any(axis=1))
        out.append((int(start), int(rows[0]), cut[rows[0] : rows[-1] + 1]))
    return out


def placed_glyphs(page: Image.Image, box: tuple[int, int, int, int]) -> list[tuple[int, np.ndarray]]:
    """The ink of each glyph of the word, left to right, each cut to its own rows, with its top row in the box."""
    return [(top, ink) for _, top, ink in located_glyphs(page, box)]


Placed = TypeVar("Placed", tuple[int, np.ndarray], tuple[int, int, np.ndarray])


def without_specks(glyphs: list[Placed], share: float) -> list[Placed]:
    """A word's placed (or located) glyphs less a fax's specks: ink no taller and no wider than `share` of its
    tallest glyph."""
    tallest = max((placed[-1].shape[0] for placed in glyphs), default=0)
    return [placed for placed in glyphs if max(placed[-1].shape) > share * tallest]


def word_glyphs(page: Image.Image, box: tuple[int, int, int, int]) -> list[np.ndarray]:
    """The ink of each glyph of the word, left to right, each cut to its own rows."""
    return [glyph for _, glyph in placed_glyphs(page, box)]


def _stem(glyph: np.ndarray, top: float = 0.25) -> tuple[np.ndarray, np.ndarray, float, float] | None:
    """A glyph's left and right ink edges per row and its stem's left edge and stroke, when it is an upright stem
    (no wider than a stroke below its `top` share and above its bottom quarter); else None."""
    height = glyph.shape[0]
    filled = [np.flatnonzero(row) for row in glyph]
    lefts = np.array([f[0] if f.size else -1 for f in filled])
    rights = np.array([f[-1] if f.size else -1 for f in filled])
    middle = slice(int(height * top), height - height // 4)  # serifs, flags and feet lie outside the middle
    stem_left, stem_right = float(np.median(lefts[middle])), float(np.median(rights[middle]))
    stroke = stem_right - stem_left + 1
    if height < 8 or height < 4 * stroke or min(lefts[middle]) < 0:
        return None
    if (rights[middle] - lefts[middle] + 1).max() > 1.5 * stroke + 1:
        return None  # the middle is wider than a stem
    return lefts, rights, stem_left, stroke


def _top_reach(lefts: np.ndarray, rights: np.ndarray, stem_left: float, stroke: float) -> tuple[float, float]:
    """How far the glyph's top quarter reaches out of its stem, to the left and to the right."""
    top = slice(0, max(1, len(lefts) // 4))  # where a 1 has its flag
    stem_right = stem_left + stroke - 1
    return float(np.clip(stem_left - lefts[top], 0, None).max()), float(
        np.clip(rights[top] - stem_right, 0, None).max()
    )


def capital_i_at(glyphs: list[np.ndarray], position: int) -> bool:
    """The word's glyph at `position` (of its glyphs as word_glyphs cuts them) is a capital I, not a 1: a vertical
    stem as tall as the digit after it, plain (a sans-serif I) or with a top serif that reaches as far left as
    right (a serif or monospace I; on a fax, where the thickened stem leaves the serifs short, as far to within a
    pixel). A 1's flag reaches to the left only, farther than anything it has on the right. A speck apart from the
    glyph, above or below, is no part of it."""
    if len(glyphs) <= position + 1:
        return False
    stem, digit = main_part(glyphs[position]), main_part(glyphs[position + 1])
    found = _stem(stem)
    if found is None or stem.shape[0] < 0.85 * digit.shape[0]:
        return False
    lefts, rights, stem_left, stroke = found
    spans = rights - lefts + 1
    if spans.max() <= 1.5 * float(np.median(spans)) + 1 and np.abs(lefts - stem_left).max() <= stroke:
        return True  # a plain bar from end to end, upright
    left, right = _top_reach(lefts, rights, stem_left, stroke)
    serif, even = max(2.0, 0.5 * stroke), max(2.0, 0.6 * stroke)
    if min(left, right) >= serif and abs(left - right) <= even:
        return True  # a serif reaching out on both sides alike
    return min(left, right) >= 2 and abs(left - right) <= 1  # serifs a fax's thickened stem left short, still even


def main_rows(glyph: np.ndarray) -> tuple[int, int]:
    """The glyph's tallest run of inked rows (first, after the last): a speck under or over it, apart from it, is
    no part of it."""
    inked = np.concatenate([[0], glyph.any(axis=1).astype(np.int8), [0]])
    edges = np.flatnonzero(np.diff(inked))
    start, end = max(zip(edges[::2], edges[1::2], strict=True), key=lambda run: run[1] - run[0])
    return int(start), int(end)


def main_part(glyph: np.ndarray) -> np.ndarray:
    start, end = main_rows(glyph)
    return glyph[start:end]


def stem_and_reach(glyph: np.ndarray, top: float = 0.25) -> tuple[float, float, float] | None:
    """How far the top quarter of an upright stem reaches out of it to the left and to the right, and its stroke
    (None where the glyph is no upright stem below its `top` share)."""
    found = _stem(glyph, top)
    if found is None:
        return None
    return (*_top_reach(*found), found[3])


def glyph_is_one(page: Image.Image, box: tuple[int, int, int, int], position: int) -> bool:
    """The word's glyph at `position` is a 1: an upright stem whose top has a flag reaching to the left only."""
    glyphs = word_glyphs(page, box)
    found = stem_and_reach(main_part(glyphs[position]), top=1 / 3) if len(glyphs) > position else None  # a long flag
    if found is None:
        return False
    left, right, stroke = found
    return left >= max(2.0, 0.5 * stroke) and right <= max(1.0, 0.25 * stroke) and left >= right + 2


def is_unit(token: str) -> bool:
    """A unit printed after a number: "mg/dL", "%", "/uL", "bpm" (not a word such as "Killip" or "DM")."""
    core = token.strip("(),.;:")
    return bool(re.match(r"[%/µμ]", core)) or core.lower() in _units()


@cache
def _units() -> frozenset[str]:
    return frozenset(u.lower() for u in clinical_lexicon().units)


def line_of(words: list[OcrWord], index: int) -> tuple[list[OcrWord], int]:
    """The words of the word's printed line, left to right, and the word's place among them."""
    line = sorted((w for w in words if w.line == words[index].line), key=lambda w: w.box[0])
    return line, line.index(words[index])


def read_by_shape(word: OcrWord, text: str, reason: GlyphReason) -> tuple[OcrWord, Reread]:
    """The word as its glyph's shape reads it, and the reread that records it (the models' confidence kept)."""
    return word.model_copy(update={"text": text}), Reread(
        reason=reason, before=word.text, after=text, box=word.box,
        confidence_before=word.confidence, confidence_after=word.confidence,
    )  # fmt: skip


def read_each(
    words: list[OcrWord], reason: GlyphReason, reading: Callable[[OcrWord], str | None]
) -> tuple[list[OcrWord], list[Reread]]:
    """Each word of print height as `reading` reads it from its glyphs (None: as the models read it), with the
    rereads that record the changed ones."""
    out, rereads = list(words), []
    for index, word in enumerate(words):
        text = reading(word) if word.box[3] - word.box[1] >= MIN_HEIGHT else None
        if text is not None and text != word.text:
            out[index], reread = read_by_shape(word, text, reason)
            rereads.append(reread)
    return out, rereads


# a dose whose first 1 was read as I, l or |: "Img", "I5mg", "(l.5mg)", "IT"
_BAR_DOSE = re.compile(r"^(?P<lead>[(\[]?)[Il|](?P<rest>[\d.]*(?P<unit>[A-Za-zµμ/]+|[가-힣]{1,2})[)\],.]*)$")
_DOSE_FORMS = frozenset({"t", "c", "tab", "tabs", "cap", "caps", "정", "캡슐", "포", "매", "병"})


def read_dose_ones(page: Image.Image, words: list[OcrWord]) -> tuple[list[OcrWord], list[Reread]]:
    """A dose's 1 that the models read as a letter ("Img" for 1mg), read from the shape of its glyph: a stem with a
    flag reaching to the left only. A plain bar or an I with even serifs stays as read: the reviewer checks it."""
    out, rereads = list(words), []
    for index, word in enumerate(words):
        match = _BAR_DOSE.match(word.text)
        if not match or match.group("unit").lower() not in _units() | _DOSE_FORMS:
            continue
        lead = match.group("lead")
        if word.box[3] - word.box[1] < MIN_HEIGHT or not glyph_is_one(page, word.box, len(lead)):
            continue
        out[index], reread = read_by_shape(word, f"{lead}1{match.group('rest')}", "dose_one")
        rereads.append(reread)
    return out, rereads


def low_confidence_numbers(words: list[OcrWord]) -> list[Check]:
    return [Check(text=w.text, box=w.box, line=w.line, confidence=w.confidence, why="low_confidence")
            for w in words if w.confidence < LOW_CONFIDENCE and re.search(r"\d", w.text)
            and w.box[3] - w.box[1] >= MIN_HEIGHT]  # fmt: skip
