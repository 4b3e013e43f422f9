"""A Korean word the page's reading turned into Latin letters, read again by the Hangul model alone.

Tesseract's Korean-and-English reading sometimes takes a whole Hangul word for Latin letters ("LHS" for 내역, a
physician's name as capitals), worst on faxes. Where such a word stands beside Hangul on its line, unsure, and the
vocabulary knows it as nothing clinical, its box is read again with the Hangul script model; the Hangul reading
replaces it when that model is sure of it. Digits are never involved: a word with a digit is never read again,
and a reading with one is never taken."""

from __future__ import annotations

import re

from PIL import Image

from referral.ocr.models import OcrWord, Reread
from referral.ocr.reread import HANGUL, LOW_CONFIDENCE, MIN_HEIGHT, clinical_shape, crop_box, line_of
from referral.ocr.tesseract import recognise_lines

SURE = 85.0  # the Hangul model's least confidence in a reading that replaces the page's
_LATIN_ONLY = re.compile(r"[^\d가-힣ㄱ-ㅎㅏ-ㅣ]*[A-Za-z][^\d가-힣ㄱ-ㅎㅏ-ㅣ]*")
_HANGUL_READING = re.compile(r"[^\w]*[가-힣]+[^\w]*")


def _beside_hangul(words: list[OcrWord], index: int) -> bool:
    """The word's neighbour on its line, before or after, is Hangul, and no number follows it (a code's letter
    read apart from its digits, "F 05.9", is no word)."""
    line, position = line_of(words, index)
    before = line[position - 1].text if position else ""
    after = line[position + 1].text if position + 1 < len(line) else ""
    return bool(HANGUL.search(before) or HANGUL.search(after)) and not re.match(r"[\d(]", after)


def _candidate(words: list[OcrWord], index: int) -> bool:
    word = words[index]
    return (
        2 <= len(word.text) <= 8
        and _LATIN_ONLY.fullmatch(word.text) is not None
        and word.confidence < LOW_CONFIDENCE
        and word.box[3] - word.box[1] >= MIN_HEIGHT
        and not clinical_shape(word.text)
        and _beside_hangul(words, index)
    )


def read_hangul_again(page: Image.Image, words: list[OcrWord], lang: str) -> tuple[list[OcrWord], list[Reread]]:
    """The words with the reading of `lang`'s Korean model alone ("Hangul" of "Hangul+eng") where it stands; the
    re-reads made."""
    korean = "+".join(model for model in lang.split("+") if model != "eng")
    chosen = [i for i in range(len(words)) if _candidate(words, i)] if korean else []
    readings = recognise_lines([crop_box(page, words[i].box)[0] for i in chosen], korean)
    out, rereads = list(words), []
    for index, reading in zip(chosen, readings, strict=True):
        word = words[index]
        text = "".join(r.text for r in reading)
        confidence = min((r.confidence for r in reading), default=0.0)
        if not _HANGUL_READING.fullmatch(text) or confidence < max(SURE, word.confidence):
            continue
        out[index] = word.model_copy(update={"text": text, "confidence": confidence})
        rereads.append(Reread(reason="hangul_model", before=word.text, after=text, box=word.box,
                              confidence_before=word.confidence, confidence_after=confidence))  # fmt: skip
    return out, rereads
