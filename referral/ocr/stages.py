"""The 0 of a TNM stage that the models read as the letter O ("ypNO(i+)" for ypN0(i+), "T2NOMO" for T2N0M0), read
from its glyph. A stage's T, N or M is followed by a digit, never by an O; but a digit is only ever read from the
page: a 0 is a narrow oval, narrower than the capital before it, where a capital O is as wide as that capital or
wider. A face whose O and 0 are alike (a monospace face), a 0 as wide as a T before it, and glyphs that break or
touch give no answer: the word stays as read."""

from __future__ import annotations

import re

from PIL import Image

from referral.ocr.models import OcrWord, Reread
from referral.ocr.reread import MIN_HEIGHT, read_by_shape, word_glyphs

# a stage as printed: each category with its prefix (c, p, yp, r ...), category value and sub-letters, a
# parenthesised note ("(i+)", "(mol-)"); at least one category
_STAGE = re.compile(
    r"^[(\[]?(?=[a-z]{0,2}[TNM])(?:[a-z]{0,2}T(?:[0-4][a-d]?|is|x))?(?:[a-z]{0,2}N(?:[0-3][a-c]?|x))?"
    r"(?:[a-z]{0,2}M(?:[01][a-c]?|x))?(?:\([^)]{1,6}\))?[)\],.;:]*$"
)
_PREFIXED = re.compile(r"[a-z][TNM]")
_ZERO_SHAPE = 0.72  # width over height: a 0 is narrower than this, a capital O is rounder
_NARROWER = 0.95  # and narrower than the category's capital before it


def _stage_zeros(text: str) -> list[int]:
    """Where an O after T, N or M makes the word a stage when read as 0; none unless the word is one then."""
    places = [i for i, c in enumerate(text) if c == "O" and i > 0 and text[i - 1] in "TNM"]
    if not places:
        return []
    read = "".join("0" if i in places else c for i, c in enumerate(text))
    stage = _STAGE.match(read)
    # a prefix (pN0) or two categories (T2N0) make it a stage; a lone "NO" or "MO" is a word
    return places if stage and (_PREFIXED.search(read) or len(re.findall(r"[TNM]", read)) >= 2) else []


def read_stage_zeros(page: Image.Image, words: list[OcrWord]) -> tuple[list[OcrWord], list[Reread]]:
    out, rereads = list(words), []
    for index, word in enumerate(words):
        places = _stage_zeros(word.text)
        if not places or word.box[3] - word.box[1] < MIN_HEIGHT:
            continue
        glyphs = word_glyphs(page, word.box)
        if len(glyphs) != len(word.text):
            continue  # glyphs that touch or break: the places cannot be told
        zeros = [glyphs[i].shape[1] <= _ZERO_SHAPE * glyphs[i].shape[0]
                 and glyphs[i].shape[1] < _NARROWER * glyphs[i - 1].shape[1] for i in places]  # fmt: skip
        if not all(zeros):
            continue
        text = "".join("0" if i in places else c for i, c in enumerate(word.text))
        out[index], reread = read_by_shape(word, text, "stage_zero")
        rereads.append(reread)
    return out, rereads
