"""Diagnosis codes as records print them: KCD/ICD-10 codes checked against the code list and never a number
printed after a label, and a line naming several coded diagnoses taken apart, one diagnosis per code."""

from __future__ import annotations

import re
from functools import cache

from referral.codes import is_diagnosis_code
from referral.lexicon import clinical_lexicon, load_data
from referral.summary.vocabulary import squeeze

# A KCD/ICD-10 code: checked against the code list, and never part of a number printed after a label such as
# 병리번호 S26-014572 or 검체번호 B2606-0417 (a code is not followed by a hyphen and digits), nor a room or bed
# (병실: I02, as a scan reads 102), nor the end of a hyphenated name (HDL-C48 is HDL-C and its value). A scan may
# print its point as a comma ("(N18,3)"): the code is still N18.3, its digits as printed.
_CODE_SHAPE = re.compile(r"\(?(?<![A-Za-z][-‐–])\b([A-Z]\d{2}(?:\.\d{1,2}|,\d(?=\)|\s|$))?)\b(?![-‐–]\d)\)?")
_NUMBER_LABEL = re.compile(
    r"(?:번호|No\.?|ID|#|병\s*실|병\s*동|호\s*실|병\s*상|침\s*상|room|ward|bed)\s*[:：]?\s*$", re.I
)


class _Codes:
    """CODE.search / CODE.sub over real codes only."""

    def real(self, text: str) -> list[re.Match[str]]:
        return [m for m in _CODE_SHAPE.finditer(text)
                if is_diagnosis_code(code_of(m)) and not _NUMBER_LABEL.search(text[: m.start()])]  # fmt: skip

    def search(self, text: str) -> re.Match[str] | None:
        found = self.real(text)
        return found[0] if found else None

    def sub(self, replacement: str, text: str) -> str:
        for match in reversed(self.real(text)):
            text = text[: match.start()] + replacement + text[match.end() :]
        return text


CODE = _Codes()


def code_of(match: re.Match[str]) -> str:
    """The code a match of CODE names, with its point: "N18,3" is N18.3."""
    return match.group(1).replace(",", ".")


_NAME_LEAD = re.compile(r"^.*(?:[:;/]|[은는]\s)\s*")


def coded_parts(text: str) -> list[str]:
    """A line naming several coded diagnoses ("부진단: 심방세동 (I48.9), 본태성 고혈압 (I10)", "고혈압(I10)과 만성
    폐쇄성 폐질환(J44.9)", "Dx) A (C73) / T2DM (E11.9)") as one part per code: the words before it, since the
    previous code or the label, and the code."""
    codes = CODE.real(text)
    if len(codes) < 2:
        return [text]
    parts, start = [], 0
    for code in codes:
        end = code.end() + (1 if text[code.end() : code.end() + 1] == ")" and code.group(0)[-1] != ")" else 0)
        lead = re.match(r"[\s,/;·)]*(?:과|와|및|and)?\s*", text[start:])
        part = text[start + (lead.end() if lead else 0) : end]
        name = _NAME_LEAD.sub("", part[: part.find(code.group(1))])
        parts.append(part[part.find(name) :] if name.strip() else part)
        start = end
    return [p for p in parts if p.strip()]


# A code whose first letter a scan read as the digit it resembles ("심부전 (150.9)"): the letters of
# ocr_digit_letters.yaml read the other way, at the start of the line or against a parenthesis. Taken only where
# the line also names, in full, the diagnosis the code stands for in the clinical lexicon, so the name
# corroborates the letter; the code's digits stay as printed.
_DIGIT_LED = re.compile(r"(?:^|(?<=\())\s*(\d)(\d{2}(?:\.\d{1,2})?)\b(?![/\d.,])|\b(\d)(\d{2}(?:\.\d{1,2})?)(?=\))")


@cache
def _digit_letters() -> dict[str, list[str]]:
    loaded: dict[str, list[str]] = load_data("ocr_digit_letters.yaml")
    return loaded


def _title(text: str) -> str:
    """A diagnosis name as compared: without what is in parentheses, spaces or case."""
    return squeeze(re.sub(r"\([^)]*\)?", "", text))


def letter_read_as_digit(text: str) -> tuple[re.Match[str], str] | None:
    """The match and the code of a diagnosis code printed with its letter read as a digit, where the rest of the
    line names that code's diagnosis; None otherwise."""
    titles, letters = clinical_lexicon().codes, _digit_letters()
    for match in _DIGIT_LED.finditer(text):
        digit, rest = (match.group(1), match.group(2)) if match.group(1) else (match.group(3), match.group(4))
        named = _title(text[: match.start()] + text[match.end() :])
        for letter in letters.get(digit, []):
            code = letter.upper() + rest
            title = titles.get(code)
            if title and is_diagnosis_code(code) and _title(title) in named:
                return match, code
    return None
