"""Allergies as a record states them: under an allergy heading (an allergen and its reaction, a list, or no known
allergies: NKDA / 알레르기 없음 / (-) / 무, never an allergen), in a letter's sentence ("약물 부작용은 없었습니다."),
and a reaction told in another section ("<drug> 경미한 두드러기 병력 있어 …")."""

from __future__ import annotations

import re
from collections.abc import Callable

from referral.summary.dates import dates_in
from referral.summary.models import Allergy, Medication, Statement
from referral.summary.prose import MEDICATION_CUE, NO_ALLERGY_SENTENCE, letters_and_marks, list_parts, sentences
from referral.summary.reaction_history import reaction_histories
from referral.summary.reading import Builder
from referral.summary.sections import Line
from referral.summary.source import SourcePage
from referral.summary.spans import evidence_of, span_in

# reads one part of a line as a medication (the extractor's), for drugs an allergy section names in passing
MedicationReader = Callable[[SourcePage, Line, str, bool], "tuple[str, Medication] | None"]

NO_ALLERGY = re.compile(
    r"^(?:(?:알레르기|약물\s*알레르기|특이\s*알레르기)\s*[:：]?\s*)?(?:없음|없다|무|\(-\)|none|nkda|nka"
    r"|no known (?:drug )?allergies)\.?(?:\s*\((?:nkda|nka|none|-)\))?\.?$",
    re.I,
)
ALLERGY_LINE = re.compile(
    r"^(?P<substance>[^:：–—(]{1,40}?)\s*(?:[:：]|\s[–—-]\s|(?<=[A-Za-z])에\s)\s*(?P<reaction>.+)$"
)
NOT_ALLERGEN = re.compile(r"(?:니다|세요|바랍|부탁|요청|예정|하였|했음|^\d+\s*/\s*\d+$|\d{5,}|[\[\]【】<>■▶◎])")
# SNOMED semantic tags are part of a name, not a reaction: "tree nut (substance)"
SEMANTIC_TAG = re.compile(r"\((?:substance|organism|disorder|finding|procedure|situation|product|qualifier value)\)$")


def read_allergies(builder: Builder, page: SourcePage, line: Line, medication: MedicationReader) -> None:
    """A line of an allergy section: no known allergies, an allergen and its reaction, or a list of them (drugs
    the patient takes, told there in passing, as medications)."""
    pieces = list(re.finditer(r"\S+(?:\s\S+)*", line.text))  # "없음     음식 알레르기: 없음": two statements
    if len(pieces) > 1:
        for piece in pieces:
            start, end = line.start + piece.start(), line.start + piece.end()
            read_allergies(builder, page, Line(line.section, start, end, piece.group(0), line.number), medication)
        return
    if NO_ALLERGY.match(line.text.strip()) or NO_ALLERGY_SENTENCE.search(line.text.strip()):
        evidence = evidence_of(page, line.start, line.end, line.number)
        builder.add(builder.summary.no_known_allergies, "none", Statement(text=line.text, evidence=evidence))
        return
    one = ALLERGY_LINE.match(line.text)  # "Amoxicillin – 두드러기 (2019년)", "조영제: 호흡곤란, 두드러기"
    if one:
        if allergen(one["substance"]) and dates_in(one["reaction"]) != [one["reaction"].strip()]:
            start, end = span_in(line, line.text.strip())
            builder.add(builder.summary.allergies, one["substance"].strip(), Allergy(
                substance=one["substance"].strip(), reaction=one["reaction"].strip() or None,
                evidence=evidence_of(page, start, end, line.number)))  # fmt: skip
        return
    for sentence in sentences(line.text):
        if MEDICATION_CUE.search(sentence):  # "She is on benzoyl peroxide and Daypro." under Allergies
            for part in list_parts(sentence):
                made = medication(page, line, part, False)
                if made:
                    builder.add(builder.summary.medications, *made)
        if NO_ALLERGY_SENTENCE.search(sentence):
            start, end = span_in(line, sentence)
            evidence = evidence_of(page, start, end, line.number)
            builder.add(builder.summary.no_known_allergies, "none", Statement(text=sentence, evidence=evidence))
    for part in list_parts(line.text, skip_statements=True):
        if NO_ALLERGY_SENTENCE.search(part) or any(part in s for s in sentences(line.text) if MEDICATION_CUE.search(s)):
            continue
        if not allergen(part):
            continue
        tagged = SEMANTIC_TAG.search(part)  # "tree nut (substance)": the tag is part of the name
        substance, _, reaction = (part, "", "") if tagged else part.partition("(")
        start, end = span_in(line, part)
        builder.add(builder.summary.allergies, substance.strip(), Allergy(
            substance=substance.strip(), reaction=reaction.rstrip(")").strip() or None,
            evidence=evidence_of(page, start, end, line.number)))  # fmt: skip


def allergen(text: str) -> bool:
    """Whether a part of an allergy section can name an allergen: short, not a sentence, a date or a label."""
    text = text.strip()
    letters, marks = letters_and_marks(text)
    return (0 < len(text) <= 40 and not NOT_ALLERGEN.search(text) and not dates_in(text)
            and letters >= 2 and marks <= len(text) // 10)  # fmt: skip


def no_allergy_sentences(builder: Builder, page: SourcePage, line: Line) -> None:
    """ "약물 부작용은 없었습니다." in a letter, "음주 가끔 / 약물 부작용 없음" in a history: no known allergies."""
    for sentence in [] if page.spoken else sentences(line.text):
        if NO_ALLERGY_SENTENCE.search(sentence):
            start, end = span_in(line, sentence)
            statement = Statement(text=sentence, evidence=evidence_of(page, start, end, line.number))
            builder.add(builder.summary.no_known_allergies, "none", statement)


def reactions_told(builder: Builder, page: SourcePage, line: Line) -> None:
    """ "<drug> 경미한 두드러기 병력 있어 …" in any section but the allergies': an allergy to that drug."""
    for told in [] if page.spoken else reaction_histories(line.text):
        evidence = evidence_of(page, line.start + told.start, line.start + told.end, line.number)
        allergy = Allergy(substance=told.substance, reaction=told.reaction, evidence=evidence)
        builder.add(builder.summary.allergies, told.substance, allergy)
