"""Diagnosis codes as records print them: KCD/ICD-10 codes checked against the code list and never a number
printed after a label, and a line naming several coded diagnoses taken apart, one diagnosis per code."""

from __future__ import annotations

import re

from referral.codes import is_diagnosis_code

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
