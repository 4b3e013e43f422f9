"""The decimal point of a number that the models dropped ("112" for 11.2 on a fax), read from the page: a dot on
the digits' baseline between two of them, of the size of the page's other decimal points.

A lost point makes a value ten times too large; a speck read as a point makes it ten times too small. So a point
is read only where the word's glyphs are its digits and exactly one more, that one a solid dot standing on the
baseline, as tall and as wide as the points the models did read on the same page (three of them at the least:
without them there is nothing to compare with, and the word stays as read for the reviewer), and never with three
digits after it, where it may be a thousands comma the fax blurred into a dot."""

from __future__ import annotations

import re
from statistics import median

import numpy as np
from PIL import Image

from referral.ocr.models import OcrWord, Reread
from referral.ocr.reread import placed_glyphs, read_each

_WHOLE = re.compile(r"^\d{2,5}$")
_DECIMAL = re.compile(r"^\d+\.\d+$")
_MIN_PERIODS = 3  # decimal points read on the page, to know their size
_SIZE = (0.6, 1.7)  # a point's height and width against the page's points
_ON_BASELINE = 0.1  # of the digits' height: how far a point's foot may stand from their baseline
_SOLID = 0.55  # the share of its box a point's ink fills
_SPECK = 0.3  # of a point's area: smaller ink is a fax's speck, not a glyph of the word


def _period_size(page: Image.Image, words: list[OcrWord]) -> tuple[float, float] | None:
    """The median height and width of the decimal points the models read on this page."""
    sizes = []
    for word in words:
        if _DECIMAL.match(word.text):
            glyphs = placed_glyphs(page, word.box)
            if len(glyphs) == len(word.text):
                sizes.append(glyphs[word.text.index(".")][1].shape)
    if len(sizes) < _MIN_PERIODS:
        return None
    return median(h for h, _ in sizes), median(w for _, w in sizes)


def _is_point(top: int, dot: np.ndarray, baseline: int, digit_height: int, period: tuple[float, float]) -> bool:
    height, width = dot.shape
    sized = all(low * size <= got <= high * size for got, size in zip((height, width), period, strict=True)
                for low, high in [_SIZE])  # fmt: skip
    return (sized and height <= 0.3 * digit_height and abs(top + height - baseline) <= _ON_BASELINE * digit_height
            and float(dot.mean()) >= _SOLID)  # fmt: skip


def _point_at(page: Image.Image, word: OcrWord, period: tuple[float, float]) -> int | None:
    """Where the word's one dot stands among its digits, if it has one."""
    speck = _SPECK * period[0] * period[1]
    glyphs = [(t, a) for t, a in placed_glyphs(page, word.box) if a.shape[0] * a.shape[1] >= speck]
    if len(glyphs) != len(word.text) + 1:
        return None
    digits = [g for g in glyphs if g[1].shape[0] > 0.5 * max(a.shape[0] for _, a in glyphs)]
    if len(digits) != len(word.text):
        return None
    digit_height = int(median(a.shape[0] for _, a in digits))
    baseline = int(median(t + a.shape[0] for t, a in digits))
    points = [i for i, (t, a) in enumerate(glyphs)
              if 0 < i < len(glyphs) - 1 and _is_point(t, a, baseline, digit_height, period)]  # fmt: skip
    if len(points) != 1 or len(glyphs) - 1 - points[0] == 3:
        return None  # three digits after it: a thousands comma looks the same on a fax ("2,640")
    return points[0]


def read_decimal_points(page: Image.Image, words: list[OcrWord]) -> tuple[list[OcrWord], list[Reread]]:
    candidates = [w for w in words if _WHOLE.match(w.text)]
    period = _period_size(page, words) if candidates else None
    if period is None:
        return list(words), []

    def reading(word: OcrWord) -> str | None:
        at = _point_at(page, word, period) if _WHOLE.match(word.text) else None
        return None if at is None else f"{word.text[:at]}.{word.text[at:]}"

    return read_each(words, "decimal_point", reading)
