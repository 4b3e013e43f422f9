"""A Latin word the Korean model broke into jamo and marks, read again by the English model as one word.

On a fax Tesseract's Korean-and-English reading now and then splits a Latin term printed inside Korean prose into
pieces of another script: a C read as ㄷ ("ㄷ AG" for CAG), "ray" as a vowel jamo and a digit ("×- ㅠ 3" for
X-ray). Korean print never stands a lone jamo beside Latin letters or digits without a space, so such a run is no
reading of print. The run's box (the pieces with no Hangul syllable, no space between them) is read again by the
English model alone, cropped so that its neighbours' edges stay out; the reading replaces the pieces only when it
is a term the package's vocabularies name (a procedure, a modality, a lab or a drug). A run whose pieces held a
digit becomes a check for the reviewer, as any second reading that disagrees on a number does."""

from __future__ import annotations

import re

from PIL import Image

from referral.lexicon import latin_terms
from referral.ocr.correct import NUMBER
from referral.ocr.models import Check, OcrWord, Reread
from referral.ocr.reread import LATIN, MIN_HEIGHT
from referral.ocr.tables import is_space, union_box
from referral.ocr.tesseract import recognise_lines

_LONE_JAMO = re.compile(r"[ㄱ-ㅎㅏ-ㅣ]")
_SYLLABLE = re.compile(r"[가-힣]")
_MARKS_ONLY = re.compile(r"[|()\[\]{}\-–—‘’'\"“”.,:;]+")
_MARGIN = "!|_‘’'\"“”"  # what the crop's margin adds at a word's ends (a neighbour's edge): never kept
_PUNCTUATION = "()[],.:;"  # a word's own, kept, but no part of the term


def _glued(left: OcrWord, right: OcrWord) -> bool:
    height = max(left.box[3] - left.box[1], right.box[3] - right.box[1])
    return left.line == right.line and not is_space(left, right, height)  # no space: one printed word


def _runs(words: list[OcrWord]) -> list[tuple[int, int]]:
    """(first, after last) of each run of glued words without a Hangul syllable that holds a lone jamo and a Latin
    letter or digit. `words` are in reading order, a line's words left to right."""
    runs: list[tuple[int, int]] = []
    first: int | None = None
    for index in range(len(words) + 1):
        latin = index < len(words) and not _SYLLABLE.search(words[index].text)
        if latin and first is not None and _glued(words[index - 1], words[index]):
            continue
        if first is not None:
            run = _without_marks(words, first, index)
            text = "".join(w.text for w in words[run[0] : run[1]])
            if _LONE_JAMO.search(text) and LATIN.search(text):
                runs.append(run)
        first = index if latin else None
    return runs


def _without_marks(words: list[OcrWord], first: int, end: int) -> tuple[int, int]:
    """The run less the words of marks alone at its ends (a bullet's dash read as |, an opening bracket): print of
    its own, kept as read."""
    while first < end and _MARKS_ONLY.fullmatch(words[first].text):
        first += 1
    while end > first and _MARKS_ONLY.fullmatch(words[end - 1].text):
        end -= 1
    return first, end


def _crop(page: Image.Image, words: list[OcrWord], first: int, end: int) -> Image.Image:
    """The run's box with a margin that stops short of the glued words beside it."""
    left, top, right, bottom = union_box(words[first:end])
    pad = max(4, (bottom - top) // 3)
    before = words[first - 1] if first and words[first - 1].line == words[first].line else None
    after = words[end] if end < len(words) and words[end].line == words[end - 1].line else None
    reach_left = min(pad, (left - before.box[2]) // 2) if before else pad
    reach_right = min(pad, (after.box[0] - right) // 2) if after else pad
    return page.crop((max(0, left - max(1, reach_left)), max(0, top - pad), right + max(1, reach_right), bottom + pad))


def read_latin_spans(page: Image.Image, words: list[OcrWord]) -> tuple[list[OcrWord], list[Reread], list[Check]]:
    """The words with each broken Latin term read as one word where the English model reads a known term; the
    re-reads made and the checks for runs that held a digit."""
    runs = [(a, b) for a, b in _runs(words) if max(w.box[3] - w.box[1] for w in words[a:b]) >= MIN_HEIGHT]
    readings = recognise_lines([_crop(page, words, a, b) for a, b in runs], "eng")
    out, rereads, checks = list(words), [], []
    for (first, end), reading in reversed(list(zip(runs, readings, strict=True))):
        term = "".join(r.text for r in reading).strip(_MARGIN)
        if term.strip(_PUNCTUATION).lower() not in latin_terms():
            continue
        pieces = words[first:end]
        before = " ".join(w.text for w in pieces)
        box = union_box(pieces)
        confidence = min(r.confidence for r in reading)
        out[first:end] = [pieces[0].model_copy(update={"text": term, "box": box, "confidence": confidence})]
        first_confidence = min(w.confidence for w in pieces)
        rereads.append(Reread(reason="latin_span", before=before, after=term, box=box,
                              confidence_before=first_confidence, confidence_after=confidence))  # fmt: skip
        if NUMBER.findall(before):
            checks.append(Check(text=before, box=box, line=pieces[0].line, confidence=confidence,
                                why="readings_differ"))  # fmt: skip
    return out, rereads[::-1], checks[::-1]
