"""The decimal point of a number that the models dropped ("112" for 11.2 on a fax), read from the page: a dot on
the digits' baseline between two of them, of the size of the page's other decimal points.

A lost point makes a value ten times too large; a speck read as a point makes it ten times too small. So a point
is read only where the word's glyphs are its digits and exactly one more, that one a solid dot standing on the
baseline, as tall and as wide as the points the models did read on the same page (three of them at the least:
without them there is nothing to compare with, and the word stays as read for the reviewer), between two digits
that stand farther apart than the page's digits do (a printed point takes room: a speck landing between two
digits does not move them), and never with three digits after it, where it may be a thousands comma the fax
blurred into a dot. Specks apart from a glyph, above or below it in its columns (a table rule's remnant), are no
part of it."""

from __future__ import annotations

import re
from statistics import median

import numpy as np
from PIL import Image

from referral.ocr.models import OcrWord, Reread
from referral.ocr.reread import located_glyphs, main_rows, read_each

_WHOLE = re.compile(r"^\d{2,5}$")
_DECIMAL = re.compile(r"^\d+\.\d+$")
_COMMA = re.compile(r"^\d+,(?:\d{1,2}|\d{4,})$")  # with three digits after it, a comma may group thousands
_MIN_PERIODS = 3  # decimal points read on the page, to know their size
_SIZE = (0.6, 1.7)  # a point's height and width against the page's points
_ON_BASELINE = 0.1  # of the digits' height: how far a point's foot may stand from their baseline
_SOLID = 0.55  # the share of its box a point's ink fills
_SPECK = 0.3  # of a point's area: smaller ink is a fax's speck, not a glyph of the word
_NO_TAIL = 1.2  # of the page's points' height: the most a point read as a comma may measure
_WIDENED = 1.2  # of the page's digit-to-digit distance: the least between the digits either side of a point


Glyphs = list[tuple[int, int, np.ndarray]]


def _page_measures(numbers: list[tuple[OcrWord, Glyphs]]) -> tuple[tuple[float, float], float] | None:
    """The median height and width of the decimal points the models read on this page, and the median distance
    from one digit's centre to the next (digits are set to one width, so a point between two widens it)."""
    sizes, advances = [], []
    for word, glyphs in numbers:
        if len(glyphs) != len(word.text):
            continue
        centres = [left + ink.shape[1] / 2 for left, _, ink in glyphs]
        point = word.text.find(".")
        if point >= 0:
            sizes.append(glyphs[point][2].shape)
        advances += [centres[i + 1] - centres[i] for i in range(len(centres) - 1) if point not in (i, i + 1)]
    if len(sizes) < _MIN_PERIODS or not advances:
        return None
    return (median(h for h, _ in sizes), median(w for _, w in sizes)), median(advances)


def _is_point(top: int, dot: np.ndarray, baseline: int, digit_height: int, period: tuple[float, float]) -> bool:
    height, width = dot.shape
    low, high = _SIZE
    sized = all(low * size <= got <= high * size for got, size in zip((height, width), period, strict=True))
    return (sized and height <= 0.3 * digit_height and abs(top + height - baseline) <= _ON_BASELINE * digit_height
            and float(dot.mean()) >= _SOLID)  # fmt: skip


def _without_specks(located: Glyphs, period: tuple[float, float]) -> Glyphs:
    speck = _SPECK * period[0] * period[1]
    return [glyph for glyph in located if glyph[2].shape[0] * glyph[2].shape[1] >= speck]


def _digit_line(digits: Glyphs) -> tuple[int, int]:
    """The digits' height and their baseline."""
    return int(median(ink.shape[0] for _, _, ink in digits)), int(median(top + ink.shape[0] for _, top, ink in digits))


def _point_at(word: OcrWord, located: Glyphs, period: tuple[float, float], advance: float) -> int | None:
    """Where the word's one dot stands among its digits, if it has one and the digits either side of it stand
    farther apart than the page's digits do (a printed point takes room; a speck on the baseline does not)."""
    trimmed = [(left, t + start, a[start:end]) for left, t, a in located for start, end in [main_rows(a)]]
    glyphs = _without_specks(trimmed, period)  # specks apart from a glyph cut off, and specks alone
    if len(glyphs) != len(word.text) + 1:
        return None
    tallest = max(a.shape[0] for _, _, a in glyphs)
    digits = [g for g in glyphs if g[2].shape[0] > 0.5 * tallest]
    if len(digits) != len(word.text):
        return None
    digit_height, baseline = _digit_line(digits)
    points = [i for i, (_, t, a) in enumerate(glyphs)
              if 0 < i < len(glyphs) - 1 and _is_point(t, a, baseline, digit_height, period)]  # fmt: skip
    if len(points) != 1 or len(glyphs) - 1 - points[0] == 3:
        return None  # three digits after it: a thousands comma looks the same on a fax ("2,640")
    (left, _, before), (right, _, after) = glyphs[points[0] - 1], glyphs[points[0] + 1]
    if (right + after.shape[1] / 2) - (left + before.shape[1] / 2) < _WIDENED * advance:
        return None  # the digits stand as close as any two on the page: the dot is a speck between them
    return points[0]


def _comma_is_point(word: OcrWord, located: Glyphs, period: tuple[float, float]) -> bool:
    """The word's comma is a dot standing on its digits' baseline, of the size of the page's points, and no
    taller than they are or than it is wide (a comma's tail, however short a fax left it, makes it taller)."""
    located = _without_specks(located, period)
    if len(located) != len(word.text):
        return False  # glyphs that touch or break
    at = word.text.index(",")
    digit_height, baseline = _digit_line([glyph for i, glyph in enumerate(located) if i != at])
    _, top, ink = located[at]
    start, end = main_rows(ink)
    dot = ink[start:end]
    short = dot.shape[0] <= min(_NO_TAIL * period[0], dot.shape[1] + 1)
    return short and _is_point(top + start, dot, baseline, digit_height, period)


def read_decimal_points(page: Image.Image, words: list[OcrWord]) -> tuple[list[OcrWord], list[Reread]]:
    if not any(_WHOLE.match(w.text) or _COMMA.match(w.text) for w in words):
        return list(words), []
    located = {id(w): located_glyphs(page, w.box) for w in words
               if _WHOLE.match(w.text) or _DECIMAL.match(w.text) or _COMMA.match(w.text)}  # fmt: skip
    measures = _page_measures([(w, located[id(w)]) for w in words if _WHOLE.match(w.text) or _DECIMAL.match(w.text)])
    if measures is None:
        return list(words), []
    period, advance = measures

    def reading(word: OcrWord) -> str | None:
        if _COMMA.match(word.text):
            return word.text.replace(",", ".") if _comma_is_point(word, located[id(word)], period) else None
        at = _point_at(word, located[id(word)], period, advance) if _WHOLE.match(word.text) else None
        return None if at is None else f"{word.text[:at]}.{word.text[at:]}"

    return read_each(words, "decimal_point", reading)
