"""Medications as people say them in a dictation or a consultation: "I've been taking some Paracetamol and
Ibuprofen", "she is on warfarin". Spoken text has no sections and rarely a dose, so a lexicon drug counts when
its sentence says it is taken (and does not deny it). Every name is the exact span said, for exact evidence."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from referral.lexicon import clinical_lexicon

_TAKEN = re.compile(
    r"\b(?:take|takes|taking|took|on|use|uses|using|continue|continuing|prescribed|started|starting|복용|투약|먹고)\b",
    re.I,
)
_DENIED = re.compile(r"\b(?:no|not|never|stopped|allergic|without|don't|doesn't|didn't)\b", re.I)
_SENTENCE = re.compile(r"[^.?!\n]+")


@dataclass(frozen=True)
class SpokenDrug:
    name: str
    start: int
    end: int
    sentence_start: int
    sentence_end: int


def spoken_medications(text: str) -> Iterator[SpokenDrug]:
    drugs = clinical_lexicon().drugs
    pattern = re.compile(r"\b(" + "|".join(re.escape(d) for d in sorted(drugs, key=len, reverse=True)) + r")\b", re.I)
    for sentence in _SENTENCE.finditer(text):
        said = sentence.group(0)
        if not _TAKEN.search(said):
            continue
        for drug in pattern.finditer(said):
            if _DENIED.search(said[: drug.start()]):
                continue  # "not taking aspirin", "stopped the warfarin"
            yield SpokenDrug(drug.group(0), sentence.start() + drug.start(), sentence.start() + drug.end(),
                             sentence.start() + len(said) - len(said.lstrip()), sentence.end())  # fmt: skip
