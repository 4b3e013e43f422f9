"""Medications and allergies as people say them in a dictation or a consultation: "I've been taking some
Paracetamol and Ibuprofen", "she is on warfarin", "I'm allergic to penicillin", "no, no allergies". Spoken text
has no sections and rarely a dose, so a lexicon drug counts when its sentence says it is taken (and does not
deny it), and an allergy when the speaker says "allergic to". Every name is the exact span said."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from referral.lexicon import clinical_lexicon, load_data
from referral.summary.prose import NO_ALLERGY_SENTENCE
from referral.summary.vocabulary import vocabulary

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
    """A drug said as taken, and the span of the sentence that says so (the evidence); a Korean dictation's
    dose and frequency as written units ("오 밀리그램" is 5 mg, "하루 두 번" is 1일 2회)."""

    name: str
    sentence_start: int
    sentence_end: int
    dose: str | None = None
    frequency: str | None = None


@cache
def _drug_names() -> re.Pattern[str]:
    """The lexicon's drugs as one pattern, longest first; built once, not per page."""
    drugs = sorted(clinical_lexicon().drugs, key=len, reverse=True)
    return re.compile(r"\b(" + "|".join(re.escape(d) for d in drugs) + r")\b", re.I)


def spoken_medications(text: str) -> Iterator[SpokenDrug]:
    yield from korean_medications(text)
    for sentence in _SENTENCE.finditer(text):
        if _HANGUL.search(sentence.group(0)):
            continue  # a Korean sentence is read by korean_medications
        said = sentence.group(0)
        if not _TAKEN.search(said):
            continue
        for drug in _drug_names().finditer(said):
            if _DENIED.search(said[: drug.start()]):
                continue  # "not taking aspirin", "stopped the warfarin"
            lead = len(said) - len(said.lstrip())
            yield SpokenDrug(drug.group(0), sentence.start() + lead, sentence.end())


_HANGUL = re.compile(r"[가-힣]")


@cache
def _korean() -> dict[str, Any]:
    loaded: dict[str, Any] = load_data("spoken_korean.yaml")
    return loaded


@cache
def _korean_patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    spoken = _korean()
    number_words = "".join([*spoken["numerals"], *spoken["multipliers"]])
    units = "|".join(sorted(spoken["units"], key=len, reverse=True))
    dose = re.compile(rf"(?P<number>\d+(?:\.\d+)?|[{number_words}]+)\s*(?P<unit>{units}|mg|mcg|g|mL)")
    counts = "|".join(map(str, spoken["counts"]))
    frequency = re.compile(rf"(?:하루|1일)\s*(?:에)?\s*(?P<count>{counts})\s*(?:번|회)|아침|저녁|자기\s*전|취침\s*전")
    taken = re.compile("|".join(map(re.escape, spoken["taken"])))
    denied = re.compile("|".join(map(re.escape, spoken["denied"])))
    return dose, frequency, taken, denied


def _number(said: str) -> str:
    """A number said in Sino-Korean words as digits ("이십오" is 25); digits as they are."""
    if said[0].isdigit():
        return said
    spoken = _korean()
    total = current = 0
    for word in said:
        if word in spoken["numerals"]:
            current = spoken["numerals"][word]
        else:
            total += (current or 1) * spoken["multipliers"][word]
            current = 0
    return str(total + current)


def korean_medications(text: str) -> Iterator[SpokenDrug]:
    """A Korean dictation's drugs ("암로디핀 5밀리 하루 한 번 드시고"): a known drug name in a sentence that says
    it is taken, with the dose and frequency said after it, before the next drug."""
    dose_said, frequency_said, taken, denied = _korean_patterns()
    spoken = _korean()
    for sentence in _SENTENCE.finditer(text):
        said = sentence.group(0)
        if not _HANGUL.search(said) or not taken.search(said):
            continue
        drugs = list(vocabulary().drug.finditer(said))
        for index, drug in enumerate(drugs):
            clause = said[drug.end() : drugs[index + 1].start() if index + 1 < len(drugs) else len(said)]
            if denied.search(clause):
                continue  # "와파린은 중단했습니다"
            dose = dose_said.search(clause)
            frequency = frequency_said.search(clause)
            lead = len(said) - len(said.lstrip())
            written = f"{_number(dose['number'])} {spoken['units'].get(dose['unit'], dose['unit'])}" if dose else None
            count = frequency["count"] if frequency and frequency["count"] else None
            when = f"1일 {spoken['counts'][count]}회" if count else (frequency.group(0) if frequency else None)
            yield SpokenDrug(drug.group(0), sentence.start() + lead, sentence.end(), written, when)


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
