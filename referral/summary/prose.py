"""Lists written as English prose, as dictated notes have them: "The patient takes Tylenol PM, Lasix and
Coumadin.", "No medications other than recent amoxicillin.", "Bactrim, which causes nausea, and adhesive tape."
Each part returned is a substring of the input, so evidence spans stay exact."""

from __future__ import annotations

import re

_SENTENCE = re.compile(r"(?:[^.]|\.(?=\d)|(?<=\b(?:Dr|Mr|Ms|St))\.|(?<=\bMrs)\.)+(?:\.|$)")
_LEAD_IN = re.compile(
    r"^(?:(?:the patient|patient|he|she|they)\s+)?(?:also\s+)?(?:(?:is|was|are|were|used to be)\s+)?(?:currently\s+)?"
    r"(?:takes|taking|on|include[sd]?|listed as|allergic to|to|prescribed medications (?:were|are)"
    r"|(?:his|her|their) (?:only )?medications? (?:are|is|were)|medications? (?:are|were|include))\s+",
    re.I,
)
_NEGATIVE = re.compile(r"^(?:no|not|none|denies|without)\b|\bnot (?:on|taking)\b", re.I)
_EXCEPT = re.compile(r"\b(?:other than|except(?: for)?)\s+(?:(?:the|recent)\s+)*", re.I)
_SEPARATOR = re.compile(r",\s*(?:and\s+)?|;\s*(?:and\s+)?|\s+and\s+|\s+as well as\s+")
_RELATIVE = re.compile(r",?\s*(?:(?:both|all|some|one|none) of )?(?:which|that|whom)\s[^,]*(?:,|$)")
MEDICATION_CUE = re.compile(r"\b(?:takes|taking|is on|was on|are on|currently on|medications?)\b", re.I)
_VERB = re.compile(r"\b(?:has|have|had|is|was|are|were)\b", re.I)
NO_ALLERGY_SENTENCE = re.compile(
    r"^(?:없음|없다|무|none|nkda)$|\bno (?:known )?(?:drug )?(?:allerg|intoleran)|\bno allergies\b"
    r"|(?:알레르기|알러지|과민\s*반응|부작용)\S{0,2}\s*[:：]?\s*(?:\S{1,4}\s*)?(?:없[음다었습]|\(-\)|무(?![가-힣]))",
    re.I,
)


def sentences(text: str) -> list[str]:
    """Sentences, not split at decimals ("2.5 mg") or after Dr./Mr./Mrs./Ms./St."""
    return [s.strip().rstrip(".").strip() for s in _SENTENCE.findall(text) if s.strip(" .")]


def list_parts(text: str, skip_statements: bool = False) -> list[str]:
    """The names a prose list gives. With skip_statements, sentences with a verb (descriptions, not lists)
    are skipped — what an allergy section needs."""
    parts: list[str] = []
    for sentence in sentences(text):
        exception = _EXCEPT.search(sentence)
        if exception:
            sentence = sentence[exception.end() :]
        elif _NEGATIVE.search(sentence):
            continue
        sentence = _RELATIVE.sub(", ", _LEAD_IN.sub("", sentence))
        if skip_statements and _VERB.search(sentence):
            continue
        parts += [p.strip(" .,;") for p in _SEPARATOR.split(sentence) if p.strip(" .,;")]
    return parts


def letters_and_marks(text: str) -> tuple[int, int]:
    """Letters, and marks no name is written with (what OCR makes of a table's rules: |, ㅣ, 、, ~)."""
    return len(re.findall(r"[A-Za-z가-힣]", text)), len(re.findall(r"[^A-Za-z가-힣0-9\s,.()/+\-:;'%·]", text))
