"""A Korean word the page's reading turned into Latin letters, read again by the Korean models alone.

Tesseract's Korean-and-English reading sometimes takes a whole Hangul word for Latin letters ("LHS" for 내역, a
physician's name as capitals, a product name before its strength), worst on faxes, and now and then surely. Where
such a word stands beside Hangul on its line and the vocabulary knows it as nothing clinical, its box is read again
with the Hangul script model; the Hangul reading replaces it when that model is sure of it and surer than the
page's reading was. A reading the script model is unsure of stands when Tesseract's Korean language model, reading
the same box, reads the same word and one of the two is that sure: two models that agree on a word of Hangul have
read print, not a fax's noise. Digits are never involved: a word with a digit is never read again, and a reading
with one is never taken."""

from __future__ import annotations

import re

from PIL import Image

from referral.ocr.models import OcrWord, Reread
from referral.ocr.reread import HANGUL, MIN_HEIGHT, clinical_shape, crop_box, line_of
from referral.ocr.tesseract import korean_models, recognise_lines

SURE = 85.0  # the Korean models' least confidence in a reading that replaces the page's
_LATIN_ONLY = re.compile(r"[^\d가-힣ㄱ-ㅎㅏ-ㅣ]*[A-Za-z][^\d가-힣ㄱ-ㅎㅏ-ㅣ]*")
_HANGUL_READING = re.compile(r"[^\w]*[가-힣]+[^\w]*")


def _beside_hangul(words: list[OcrWord], index: int) -> bool:
    """The word's neighbour on its line, before or after, is Hangul, and the word is no lone letter before a
    number (a code's letter read apart from its digits, "K 29.7"; a product name before its strength is a word)."""
    line, position = line_of(words, index)
    before = line[position - 1].text if position else ""
    after = line[position + 1].text if position + 1 < len(line) else ""
    lone_letter = len(re.findall(r"[A-Za-z]", words[index].text)) == 1
    return bool(HANGUL.search(before) or HANGUL.search(after)) and not (lone_letter and re.match(r"[\d(]", after))


def _candidate(words: list[OcrWord], index: int) -> bool:
    word = words[index]
    return (
        2 <= len(word.text) <= 8
        and _LATIN_ONLY.fullmatch(word.text) is not None
        and word.box[3] - word.box[1] >= MIN_HEIGHT
        and not clinical_shape(word.text)
        and _beside_hangul(words, index)
    )


def _read(reading: list[OcrWord]) -> tuple[str, float]:
    return "".join(r.text for r in reading), min((r.confidence for r in reading), default=0.0)


def read_hangul_again(page: Image.Image, words: list[OcrWord], lang: str) -> tuple[list[OcrWord], list[Reread]]:
    """The words with the reading of `lang`'s Korean model alone ("Hangul" of "Hangul+eng") where it stands; the
    re-reads made."""
    models = korean_models(lang)  # the other Korean model reads a second time what the first is unsure of
    korean, second = [*models, "", ""][:2]
    chosen = [i for i in range(len(words)) if _candidate(words, i)] if korean else []
    crops = [crop_box(page, words[i].box)[0] for i in chosen]
    readings = [_read(reading) for reading in recognise_lines(crops, korean)]
    unsure = [k for k, (i, (text, confidence)) in enumerate(zip(chosen, readings, strict=True))
              if _HANGUL_READING.fullmatch(text) and confidence < max(SURE, words[i].confidence)]  # fmt: skip
    if second and unsure:
        for k, again in zip(unsure, recognise_lines([crops[k] for k in unsure], second), strict=True):
            text, confidence = _read(again)
            if text == readings[k][0]:
                readings[k] = (text, max(confidence, readings[k][1]))  # both models read this word
    out, rereads = list(words), []
    for index, (text, confidence) in zip(chosen, readings, strict=True):
        word = words[index]
        if not _HANGUL_READING.fullmatch(text) or confidence < max(SURE, word.confidence):
            continue
        out[index] = word.model_copy(update={"text": text, "confidence": confidence})
        rereads.append(Reread(reason="hangul_model", before=word.text, after=text, box=word.box,
                              confidence_before=word.confidence, confidence_after=confidence))  # fmt: skip
    return out, rereads
