"""A counter's syllable that the models read as digits, read again by the Korean models: "1일 1회" read "14 13",
"1일" read "121" or "1g", "1회" read "13]" or "18)", "4주 후" read "44 후".

A Hangul syllable is about as wide as a digit is tall; a digit is about two thirds as wide (the package's twelve
faces at three sizes, plain and faxed: digits at most 0.82 of the height of a 1, syllables at least 0.88; the
corpus' sure digits: median 0.61, 99% within 0.91). Where a word read as a number with one or two more characters is
read by the Korean models as the same leading digits and a counter (counters.yaml: 일, 회, 주, 정 ...) in place of
the rest, and the ink of that rest is at least as wide as the leading digits are tall, the rest was the counter's
syllable, not digits. The leading digits are never changed; when the two Korean models read different counters
nothing is read; a word beside it that already holds the syllable (readings merged over the same ink) keeps it.
Each such word becomes a check for the reviewer: its digits differ from the page's first reading."""

from __future__ import annotations

import re
from functools import cache

from PIL import Image

from referral.lexicon import load_data
from referral.ocr.models import Check, OcrWord, Reread
from referral.ocr.reread import MIN_HEIGHT, crop_box, located_glyphs, without_specks
from referral.ocr.tesseract import korean_models, recognise_lines

SYLLABLE_WIDTH = 0.9  # of the leading digits' height: the rest's ink at least this wide is a syllable, no digit
_SPECK = 0.25  # of the word's tallest glyph: ink no larger is a speck, no part of a glyph
# leading digits and one or two characters a syllable is read as: a digit, a bracket, a g, an I or l
_CANDIDATE = re.compile(r"(?P<digits>\d+)(?P<rest>[\d\])}gIl|]{1,2})")


@cache
def _counters() -> frozenset[str]:
    return frozenset(load_data("counters.yaml")["syllables"])


def _reading(word: OcrWord, reading: list[OcrWord]) -> str | None:
    """The word's leading digits and a counter, if the Korean reading is that and replaces the rest."""
    text = "".join(r.text for r in reading).strip()
    match = re.fullmatch(r"(\d+)(\S)", text)
    if not match or match.group(2) not in _counters():
        return None
    kept = match.group(1)
    rest = word.text[len(kept) :]
    return text if word.text.startswith(kept) and 1 <= len(rest) <= 2 else None


def _rest_is_wide(page: Image.Image, word: OcrWord, leading: int) -> bool:
    """The ink after the word's first `leading` glyphs is at least SYLLABLE_WIDTH of their height wide."""
    glyphs = without_specks(located_glyphs(page, word.box), _SPECK)
    if len(glyphs) <= leading:
        return False
    digits, rest = glyphs[:leading], glyphs[leading:]
    height = max(top + g.shape[0] for _, top, g in digits) - min(top for _, top, _ in digits)
    width = max(left + g.shape[1] for left, _, g in rest) - rest[0][0]
    return width >= SYLLABLE_WIDTH * height


def read_counter_syllables(
    page: Image.Image, words: list[OcrWord], lang: str
) -> tuple[list[OcrWord], list[Reread], list[Check]]:
    """The words with each counter read back where the models took its syllable for digits; the re-reads made and
    the checks."""
    models = korean_models(lang)
    chosen = [i for i, w in enumerate(words) if _CANDIDATE.fullmatch(w.text) and w.box[3] - w.box[1] >= MIN_HEIGHT]
    if not models or not chosen:
        return words, [], []
    crops = [crop_box(page, words[i].box)[0] for i in chosen]
    readings = [[_reading(words[i], r) for i, r in zip(chosen, recognise_lines(crops, model), strict=True)]
                for model in models]  # fmt: skip
    out, rereads, checks = list(words), [], []
    for k, index in enumerate(chosen):
        found = {text for text in (r[k] for r in readings) if text is not None}
        if len(found) != 1:
            continue  # neither model reads a counter there, or the two read different ones
        text = next(iter(found))
        word = words[index]
        if not _rest_is_wide(page, word, len(text) - 1):
            continue
        after = words[index + 1] if index + 1 < len(words) else None
        if after and after.line == word.line and after.box[0] < word.box[2] and after.text.startswith(text[-1]):
            text = text[:-1]  # the next word, over the same ink, holds the syllable already
        out[index] = word.model_copy(update={"text": text})
        rereads.append(Reread(reason="counter_syllable", before=word.text, after=text, box=word.box,
                              confidence_before=word.confidence, confidence_after=word.confidence))  # fmt: skip
        checks.append(Check(text=word.text, box=word.box, line=word.line, confidence=word.confidence,
                            why="readings_differ"))  # fmt: skip
    return out, rereads, checks
