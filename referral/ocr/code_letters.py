"""A diagnosis code's first letter that the models read as a digit or a mark, read from its glyph: I read as 1, l
or | ("110" for I10), C read as < ("(<25.0)" for (C25.0)).

An I is a stem, plain or with even serifs, where a 1 has a flag to the left. A C is an arc open to the right, as
tall as the digits after it and standing on their baseline; a < is a small angle at the height of the line's
middle. On a page whose 1s pass the I test themselves (a fax that blurred their flags away), no 1 is read as I.
Only in a code's place (in parentheses, on a line that says it holds codes, first in a code column, or on a line
that prints the code's name) and only where the reading is a real code; everything else stays as read and the
reviewer checks it."""

from __future__ import annotations

import re

import numpy as np
from PIL import Image

from referral.codes import is_diagnosis_code
from referral.lexicon import clinical_lexicon
from referral.ocr.models import OcrWord, Reread
from referral.ocr.reread import (
    HANGUL,
    MIN_HEIGHT,
    capital_i_at,
    is_unit,
    line_of,
    placed_glyphs,
    read_by_shape,
    row_runs,
    word_glyphs,
)

# a code whose first letter was read as a digit or a mark: "110", "(125.1)", "120.8,", "(<25.0)"
_READ_CODE = re.compile(r"^(?P<lead>[(\[]?)(?P<read>[1l|<])(?P<body>\d{2}(?:\.\d{1,2})?)(?P<tail>[)\],.]*)$")
_CODE_KEYWORDS = re.compile(r"KCD|ICD|상병|진단|병명|코드|Dx|Diagnosis|Impression", re.IGNORECASE)
# what may stand before a code that opens a diagnosis line: a bullet, a number, a rank (주, 부) — not a label
# with a colon, a drug or a number of something else (a room number before 호실, digits inside a prescription
# line are no codes)
_LIST_MARK = re.compile(r"[-•·*#.)(]{1,4}|[가-힣]{1,2}\)?|#?\d{1,2}[.)]?")
_ALIGNED = 0.15  # of the digit's height: how far a C's top and foot may lie from the digit's
_OPEN = 0.5  # of the glyph's width: a C's middle rows keep to its left part, open to the right
_ENDS = 0.6  # of the glyph's width: how far right its two ends reach at the least
_ONES_AS_I = 0.5  # of a page's 1s: when the I test takes this many for I, it cannot tell the two apart there
_SURE = 90.0  # the least confidence of the numbers whose 1s are measured
_UPRIGHT = 0.2  # of the glyph's width: a C's middle third keeps to its left edge, where a < comes to a point


def _in_code_context(words: list[OcrWord], index: int, lead: str, code: str) -> bool:
    """Where a diagnosis code is printed: in parentheses, on a line that says so (상병, KCD, Dx ...), before a
    diagnosis name in a code column (first on its line, after a bullet or a rank at most), or on a line that
    prints the name the lexicon gives that code. A number before a unit ("Glucose 110 mg/dL") never is, nor one
    in the middle of a line before a Korean word (a room number)."""
    line, position = line_of(words, index)
    after = line[position + 1].text if position + 1 < len(line) else ""
    if is_unit(after) and not _CODE_KEYWORDS.search(after):
        return False
    in_code_column = HANGUL.match(after) and all(_LIST_MARK.fullmatch(w.text) for w in line[:position])
    text = " ".join(w.text for w in line)
    return bool(lead) or bool(_CODE_KEYWORDS.search(text)) or bool(in_code_column) or _names(code, text)


def _names(code: str, line: str) -> bool:
    """The line prints the lexicon's name for the code, its words in order (a qualifier between them, as in
    "급성(재발성) 심근경색증", and the line's spacing aside)."""
    name = clinical_lexicon().codes.get(code)
    if not name:
        return False
    squeezed, at = "".join(line.split()), 0
    for word in name.split():
        at = squeezed.find(word, at)
        if at < 0:
            return False
        at += len(word)
    return True


def _ones_pass_as_i(page: Image.Image, words: list[OcrWord]) -> bool:
    """Whether the page prints its 1s so that the I test takes half of them or more for I (a fax that blurred their
    flags away): on such a page no 1 is read as I. Measured on the 1s of numbers read surely, before a digit."""
    checked = passed = 0
    for word in words:
        text = word.text
        number = re.fullmatch(r"[\d.,:/-]{3,}", text) and not _READ_CODE.match(text)  # a code's I may stand there
        if not number or word.confidence < _SURE or word.box[3] - word.box[1] < MIN_HEIGHT:
            continue
        ones = [k for k in range(len(text) - 1) if text[k] == "1" and text[k + 1].isdigit()]
        glyphs = word_glyphs(page, word.box) if ones else []
        if ones and len(glyphs) == len(text):
            checked += len(ones)
            passed += sum(capital_i_at(glyphs, k) for k in ones)
    return checked >= 2 and passed >= _ONES_AS_I * checked


def _is_c(glyph: np.ndarray, top: int, digit: np.ndarray, digit_top: int) -> bool:
    """An arc as tall as the digit after it, top and foot level with the digit's, its middle third one stroke
    along its left edge, its two ends reaching right: a C. A < is shorter and hangs at the middle of the line, or
    where a face draws it as tall, its two strokes meet at a point, away from the left edge but in the middle."""
    height, width = glyph.shape
    tall = digit.shape[0]
    if abs(top - digit_top) > _ALIGNED * tall or abs(top + height - digit_top - tall) > _ALIGNED * tall:
        return False
    rows = [row_runs(row) for row in glyph]
    middle = rows[height // 3 : height - height // 3]
    if not middle or any(len(runs) != 1 or runs[0][1] > _OPEN * width or runs[0][0] > _UPRIGHT * width
                         for runs in middle):  # fmt: skip
        return False
    reach = [max((end for _, end in runs), default=0) for runs in rows]
    return max(reach[: height // 4]) >= _ENDS * width and max(reach[-(height // 4) :]) >= _ENDS * width


def _holds_bracketed(page: Image.Image, box: tuple[int, int, int, int], text: str) -> bool:
    """The box holds the word's glyphs, its brackets taller than the glyphs between them."""
    heights = [glyph.shape[0] for _, glyph in placed_glyphs(page, box)]
    close = text.rindex(")")
    return len(heights) == len(text) and min(heights[0], heights[close]) > 1.05 * float(np.median(heights[1:close]))


def _ink_box(page: Image.Image, word: OcrWord) -> tuple[int, int, int, int]:
    """Where the code's glyphs stand. In a line of Hangul and Latin the models may box a word most of its width to
    one side; a bracketed code is looked for where its box does not hold it, brackets and all: the nearest
    stretch of the box's rows within its width either way, about as wide and overlapping it, that holds exactly
    the word's glyphs between blank columns, brackets in their places. Where none does (glyphs that touch), and
    for a code without brackets, the box as the models gave it."""
    left, top, right, bottom = word.box
    width, count = right - left, len(word.text)
    if not (word.text.startswith("(") and word.text.rstrip(",.").endswith(")")):
        return word.box
    if _holds_bracketed(page, word.box, word.text):
        return word.box
    start = max(0, left - width)
    ink = np.asarray(page.crop((start, top, right + width, bottom)).convert("L"), dtype=np.uint8) < 128
    runs = row_runs(np.asarray(ink.any(axis=0)))
    middle = (left + right) / 2 - start
    windows = [(runs[i][0], runs[i + count - 1][1]) for i in range(len(runs) - count + 1)]
    windows = [(a, b) for a, b in windows  # about as wide as the box, and overlapping it
               if 0.75 * width <= b - a <= 1.4 * width and a < right - start and b > left - start]  # fmt: skip
    for a, b in sorted(windows, key=lambda w: abs((w[0] + w[1]) / 2 - middle)):
        if _holds_bracketed(page, (start + a, top, start + b, bottom), word.text):
            return start + a, top, start + b, bottom
    return word.box


def _letter(glyphs: list[tuple[int, np.ndarray]], text: str, read: str, at: int) -> str | None:
    """The code's first letter as its glyph at `at` among the word's placed glyphs shows it, or None."""
    if read == "<":
        if len(glyphs) != len(text):
            return None  # glyphs that touch or break: the letter cannot be told
        return "C" if _is_c(glyphs[at][1], glyphs[at][0], glyphs[at + 1][1], glyphs[at + 1][0]) else None
    return "I" if capital_i_at([glyph for _, glyph in glyphs], at) else None


def read_code_letters(page: Image.Image, words: list[OcrWord]) -> tuple[list[OcrWord], list[Reread]]:
    out, rereads = list(words), []
    blurred: bool | None = None  # whether the page's 1s pass as I, measured once a 1 may be read as I
    for index, word in enumerate(words):
        match = _READ_CODE.match(word.text)
        if not match:
            continue
        lead, read, body = match.group("lead"), match.group("read"), match.group("body")
        if not _in_code_context(words, index, lead, ("C" if read == "<" else "I") + body):
            continue
        if read != "<":
            blurred = _ones_pass_as_i(page, words) if blurred is None else blurred
            if blurred:
                continue
        glyphs = placed_glyphs(page, _ink_box(page, word))  # cut once for the letter and for the body's 1
        letter = _letter(glyphs, word.text, read, len(lead))
        if letter is None or not is_diagnosis_code(letter + body):
            continue
        one = len(lead) + 1 + body.index("1") if "1" in body else -1
        if letter == "I" and one >= 0 and capital_i_at([glyph for _, glyph in glyphs], one):
            continue  # this face draws its 1 as a bar too: the shape cannot tell I from 1
        out[index], reread = read_by_shape(word, f"{lead}{letter}{body}{match.group('tail')}", "code_letter")
        rereads.append(reread)
    return out, rereads
