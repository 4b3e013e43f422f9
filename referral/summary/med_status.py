"""A medication's status (held, stopped, new, changed) read from the words printed with it, the way a pharmacist
reads a list: the drug's own clause first; then a label before the list ("입원 중 중단: A, B"), a mark closing
the line ("..., 5일 (신규)"), the clause of the drug it is listed with ("A + B 투여 (06-01~06-06)"), or a
clock time it was given at. A status word that follows another drug's name is that drug's
("플라빅스정 75mg qd 자렐토 중단 동안 대신 복용")."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

from referral.summary.dates import dates_in
from referral.summary.findings import DOSE, FREQUENCY, ROUTE
from referral.summary.vocabulary import vocabulary

RESUMED = "resumed"
_COURSE = re.compile(
    r"(?:19|20)\d{2}[-./]\d{1,2}[-./]\d{1,2}\s*~\s*(?P<end>(?:(?:19|20)\d{2}[-./])?\d{1,2}[-./]\d{1,2})(?!\d)"
)
_STARTED_ON = re.compile(r"\(\s*(?:(?:19|20)?\d{2}[-./])?\d{1,2}[-./]\d{1,2}\s*~\s*\)")  # "(26.06.30~)": from then on
_LABEL_END = re.compile(r"[:：]\s*$")
_LINE_MARK = re.compile(r"\(\s*([^()]{1,15})\s*\)\s*$")
_JOINED = re.compile(r"[\s,+/&]*(?:및|와|과|and|\+|&)?[\s,]*", re.I)
_CLOCK = re.compile(r"(?<![\d:])(?:[01]?\d|2[0-3]):[0-5]\d(?![\d:])")
_LAST_DOSE = re.compile(r"마지막|최종\s*복용|last\s+dose", re.I)
_PARTICLE = r"\s*(?:은|는|을|를|이|가|의)?\s*"


def status_of(text: str) -> tuple[str | None, str | None]:
    """(status, stop date) from the words of a medication's clause or note: held, stopped, new, changed, or resumed
    (taken again after a stop: the drug is current, whatever an earlier line said)."""
    cues = vocabulary().status_cues
    dates = dates_in(text)
    if cues["resumed"].search(text) and not re.search(r"재개\s*예정|will (?:be )?resume", text, re.I):
        return RESUMED, None  # "CAG 후 48시간 중단 후 재개": taken again
    course = _COURSE.search(text)  # "투여 (2026.06.15~06.19)": a course given and finished
    if course:
        return "stopped", course.group("end")
    if cues["held"].search(text) or (cues["stopped"].search(text) and cues["procedure_cues"].search(text)):
        return "held", dates[0] if dates else None
    if cues["stopped"].search(text):
        return "stopped", dates[0] if dates else None
    if _STARTED_ON.search(text):
        return "new", None
    for kind in ("new", "changed"):
        if cues[kind].search(text):
            return kind, None
    return None, None


def continued(text: str) -> bool:
    """Whether the words say the drug goes on as before ("유지", "계속 복용", "continue")."""
    return bool(vocabulary().status_cues["continued"].search(text))


def own_clause(clause: str, name_end: int) -> str:
    """A drug's clause without the status words of another drug named in it: "플라빅스정 75mg qd 자렐토 중단 동안
    대신 복용" keeps "대신 복용" (the clopidogrel's) and drops "자렐토 중단" (the rivaroxaban's)."""
    return clause[:name_end] + _another_drugs_status().sub(" ", clause[name_end:])


@cache
def _another_drugs_status() -> re.Pattern[str]:
    """A drug name (known, or a product without its dosage form) followed by a status word: built once."""
    vocab = vocabulary()
    cue = "|".join(p.pattern for k, p in vocab.status_cues.items() if k in ("held", "stopped", "new", "changed"))
    return re.compile(f"(?:{vocab.drug.pattern}|{vocab.brand.pattern}){_PARTICLE}(?:{cue})", re.I)


def line_statuses(text: str, spans: Sequence[tuple[int, int, int]]) -> list[tuple[str | None, str | None]]:
    """(status, stop date) of each drug on a line, given each one's (start, end of name, end of clause) in `text`."""
    statuses = [status_of(own_clause(text[start:end], name_end - start)) for start, name_end, end in spans]
    if not spans:
        return statuses
    label = text[: spans[0][0]]
    for index in range(len(spans) - 1, -1, -1):
        start, name_end, end = spans[index]
        clause = text[start:end]
        if statuses[index][0] is not None:
            continue
        later = spans[index + 1][0] if index + 1 < len(spans) else None
        if later is not None and _JOINED.fullmatch(_bare(text, spans[index], later)):
            statuses[index] = statuses[index + 1]  # "A 500mg, B 200mg은 재처방 없음": one status for both
        elif later is None and (mark := _LINE_MARK.search(text, end)) and status_of(mark.group(1))[0]:
            statuses[index] = status_of(mark.group(1) + clause)  # "..., 5일 (신규)" closes the line
        elif _LABEL_END.search(label) and status_of(label)[0]:
            statuses[index] = status_of(label + clause)  # "입원 중 중단: 자낙스정 0.25mg (2027-03-04)"
        elif _given_at_a_time(label, clause):
            statuses[index] = ("new", None)  # "14:20 Ondansetron 4mg IV": given in this visit
    return statuses


def _bare(text: str, span: tuple[int, int, int], later: int) -> str:
    """What a drug's clause says besides its name, strength, frequency and route, up to the next drug."""
    rest = text[span[1] : later]
    for pattern in (DOSE, FREQUENCY, ROUTE):
        rest = pattern.sub(" ", rest)
    return rest


def _given_at_a_time(label: str, clause: str) -> bool:
    """A dose given at a clock time in this visit: the line starts with the time, or the clause names one."""
    if _LAST_DOSE.search(label + clause):
        return False  # "마지막 복용 03/02 08:00": when a current drug was last taken
    return bool(re.fullmatch(rf"\s*[-•·]?\s*{_CLOCK.pattern}\s*", label) or _CLOCK.search(clause))
