"""Section headings of Korean and English clinical records, and the lines under them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

# kind -> headings (compared case-insensitively, without spaces, bullets, '#', trailing ':' and a parenthesis)
HEADINGS: dict[str, tuple[str, ...]] = {
    "chief_complaint": ("주소", "주호소", "chiefcomplaint", "cc", "내원사유"),
    "hpi": ("현병력", "hpi", "historyofpresentillness", "presentillness"),
    "problems": ("진단", "진단명", "상병", "상병명", "최종진단", "퇴원진단", "과거력", "과거병력", "diagnosis",
                 "diagnoses", "problemlist", "problems", "pastmedicalhistory", "pmh", "impression",
                 "finaldiagnosis", "dischargediagnosis", "dischargediagnoses"),
    "medications": ("투약", "복용약", "복용약물", "약물", "처방", "투약내역", "퇴원약", "medications", "medication",
                    "currentmedications", "dischargemedications", "meds",
                    "thepatientwasprescribedthefollowingmedications"),
    "allergies": ("알레르기", "알러지", "allergies", "allergy", "drugallergies"),
    "labs": ("검사", "검사결과", "진단검사", "혈액검사", "labs", "laboratory", "labresults", "laboratoryresults"),
    "imaging": ("영상", "영상검사", "영상의학", "영상소견", "imaging", "radiology"),
    "pathology": ("병리", "병리검사", "병리판독", "병리소견", "조직검사", "pathology", "pathologyreport"),
    "procedures": ("수술", "시술", "수술력", "수술및시술", "procedures", "operations", "pastsurgicalhistory",
                   "surgicalhistory", "procedure", "thefollowingprocedureswereconducted"),
    "course": ("경과", "입원경과", "치료경과", "hospitalcourse", "course", "clinicalcourse"),
    "plan": ("계획", "치료계획", "권고", "권고사항", "향후계획", "plan", "assessmentandplan", "recommendations",
             "followup", "추적관찰",
             "thepatientwasplacedonacareplan"),
    "pending": ("미결검사", "결과대기", "대기중인검사", "pendingresults", "pending", "pendingtests"),
    "airway": ("기도", "기도평가", "airway"),
    "anesthesia": ("마취력", "마취병력", "마취", "prioranesthesia", "anesthesiahistory", "anesthesia"),
    "other": ("사회력", "가족력", "socialhistory", "familyhistory", "의뢰사유", "reasonforreferral", "특이사항"),
}  # fmt: skip
_ALIASES = {alias: kind for kind, aliases in HEADINGS.items() for alias in aliases}
_DECOR = re.compile(r"^[#\s\-•*·\d.)]*")
_PAREN = re.compile(r"\s*[\(\[（].*?[\)\]）]\s*")


@dataclass(frozen=True)
class Line:
    """One line of a page: its section, and the span of its content (bullets and heading stripped)."""

    section: str | None
    start: int
    end: int
    text: str
    number: int


def heading_of(line: str) -> tuple[str, str] | None:
    """(kind, rest of the line) when the line starts a section; `rest` is content after a colon."""
    head, sep, rest = line.partition(":")
    candidates = [head] if sep else [line]
    for candidate in candidates:
        bare = _PAREN.sub("", _DECOR.sub("", candidate)).replace(" ", "").lower()
        if bare in _ALIASES and (sep or len(line) <= 60):
            return _ALIASES[bare], rest if sep else ""
    return None


_BULLET = re.compile(r"^\s*(?:[-•*·~]|\d{1,2}[.)])\s*")


def lines_of(text: str, section: str | None = None) -> Iterator[Line]:
    """Content lines with their section. `section` carries over from the previous page of the document."""
    offset = 0
    for number, raw in enumerate(text.split("\n")):
        line_start = offset
        offset += len(raw) + 1
        found = heading_of(raw)
        if found is not None and section == "pathology" and found[1].strip():
            found = None  # "진단: 선암" inside a pathology report is a field of the report, not a new section
        if found is not None:
            section, rest = found
            if not rest.strip():
                continue
            start = line_start + raw.index(rest, raw.index(":")) + (len(rest) - len(rest.lstrip()))
            yield Line(section, start, line_start + len(raw.rstrip()), rest.strip(), number)
            continue
        bullet = _BULLET.match(raw)
        content_start = line_start + (bullet.end() if bullet else len(raw) - len(raw.lstrip()))
        content = text[content_start : line_start + len(raw.rstrip())]
        if content:
            yield Line(section, content_start, content_start + len(content), content, number)


def last_section(text: str, section: str | None) -> str | None:
    """The section in force at the end of a page, to carry over to the next page of the same document."""
    for line in lines_of(text, section):
        section = line.section
    tail = text.rstrip().split("\n")[-1] if text.strip() else ""
    found = heading_of(tail)
    if found is not None and not found[1].strip() and section != "pathology":
        return found[0]
    return section
