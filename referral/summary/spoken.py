"""Medications and allergies as people say them in a dictation or a consultation: "I've been taking some
Paracetamol and Ibuprofen", "she is on warfarin", "I'm allergic to penicillin", "no, no allergies". Spoken text
has no sections and rarely a dose, so a lexicon drug counts when its sentence says it is taken (and does not
deny it), and an allergy when the speaker says "allergic to". Every name is the exact span said."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

from referral.lexicon import clinical_lexicon
from referral.summary.prose import NO_ALLERGY_SENTENCE

_TAKEN = re.compile(
    r"\b(?:take|takes|taking|took|on|use|uses|using|continue|continuing|prescribed|started|starting|복용|투약|먹고)\b",
    re.I,
)
_DENIED = re.compile(r"\b(?:no|not|never|stopped|allergic|without|don't|doesn't|didn't)\b", re.I)
_SENTENCE = re.compile(r"[^.?!\n]+")
# "allergic to, to peanuts", "allergic to penicillin only" → the substance, without fillers or hedges
_ALLERGIC_TO = re.compile(
    r"\ballergic to[,\s]+(?:(?:to|uh|um|the|some)[,\s]+)*(?P<substance>[A-Za-z][A-Za-z-]+(?: [A-Za-z-]+)?)", re.I
)
_NOT_A_SUBSTANCE = re.compile(r"^(?:any|anything|medications?|something|nothing)\b", re.I)
_HEDGE = re.compile(r"\s+(?:only|as well|too|and|or|but)$", re.I)


@dataclass(frozen=True)
class SpokenDrug:
    """A drug said as taken, and the span of the sentence that says so (the evidence)."""

    name: str
    sentence_start: int
    sentence_end: int


@cache
def _drug_names() -> re.Pattern[str]:
    """The lexicon's drugs as one pattern, longest first; built once, not per page."""
    drugs = sorted(clinical_lexicon().drugs, key=len, reverse=True)
    return re.compile(r"\b(" + "|".join(re.escape(d) for d in drugs) + r")\b", re.I)


def spoken_medications(text: str) -> Iterator[SpokenDrug]:
    for sentence in _SENTENCE.finditer(text):
        said = sentence.group(0)
        if not _TAKEN.search(said):
            continue
        for drug in _drug_names().finditer(said):
            if _DENIED.search(said[: drug.start()]):
                continue  # "not taking aspirin", "stopped the warfarin"
            lead = len(said) - len(said.lstrip())
            yield SpokenDrug(drug.group(0), sentence.start() + lead, sentence.end())


@dataclass(frozen=True)
class Span:
    text: str
    start: int
    end: int


def spoken_allergies(text: str) -> Iterator[Span]:
    """Substances the speaker says they are allergic to (questions and denials are not allergies)."""
    for sentence in _SENTENCE.finditer(text):
        for said in _ALLERGIC_TO.finditer(sentence.group(0)):
            substance = _HEDGE.sub("", said.group("substance"))
            if _NOT_A_SUBSTANCE.match(substance) or _DENIED.search(sentence.group(0)[: said.start()]):
                continue
            start = sentence.start() + said.start("substance")
            yield Span(substance, start, start + len(substance))


def spoken_no_allergies(text: str) -> Iterator[Span]:
    """Spoken statements that there are no allergies ("no, no allergies", "no known drug allergies")."""
    for sentence in _SENTENCE.finditer(text):
        said = sentence.group(0)
        if NO_ALLERGY_SENTENCE.search(said) and "?" not in text[sentence.end() : sentence.end() + 1]:
            lead = len(said) - len(said.lstrip())
            yield Span(said.strip(), sentence.start() + lead, sentence.start() + lead + len(said.strip()))
