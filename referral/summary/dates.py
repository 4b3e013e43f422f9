"""Dates as Korean records print them (2026-06-10, 2026.06.10, 2026/06/22, 2026. 06. 18., 26/06/10,
2026년 6월 12일), found in a line and read as calendar dates; the printed text is what evidence quotes, and the
date as printed but for a first point a scan read as a comma (its digits as printed)."""

from __future__ import annotations

import re
from datetime import date

from referral.summary.vocabulary import spaced_syllables

DATE = re.compile(
    r"(?<![\d.])(?:(?P<y>(?:19|20)\d{2})\s*(?:[-./]\s*|,(?=\d{2}\.)|년\s*)(?P<m>0?[1-9]|1[0-2])\s*(?:[-./]\s*|월\s*)"
    r"(?P<d>0?[1-9]|[12]\d|3[01])(?:\s*일|\.(?!\d))?"
    r"|(?P<yy>\d{2})(?P<sep>[/.])(?P<mm>0[1-9]|1[0-2])(?P=sep)(?P<dd>0[1-9]|[12]\d|3[01]))(?![\d])"
)


def dates_in(text: str) -> list[str]:
    """Every printed date of `text`, as printed: "2026. 06. 18." keeps its last full stop, which is part of that
    style; "2026.06.18." ends a sentence."""
    return [_printed(m.group(0)) for m in DATE.finditer(text)]


def _printed(text: str) -> str:
    text = re.sub(r"^(\d{4}),", r"\1.", text.strip())  # "2027,03.14": a scan read the first point as a comma
    return text if not text.endswith(".") or re.search(r"\.\s", text) else text[:-1]


def as_date(printed: str) -> date | None:
    match = DATE.search(printed)
    if match is None:
        return None
    if match["y"]:
        year, month, day = int(match["y"]), int(match["m"]), int(match["d"])
    else:
        year, month, day = 2000 + int(match["yy"]), int(match["mm"]), int(match["dd"])
    try:
        return date(year, month, day)
    except ValueError:
        return None


# a date printed to the month or the year only, as histories give them ("2019.08", "2012년", "2026년 4월")
PARTIAL_DATE = re.compile(r"(?<![\d.])(?:19|20)\d{2}(?:\s*년(?:\s*\d{1,2}\s*월)?|[./]\s*(?:0?[1-9]|1[0-2])(?![\d.]))")


def dates_or_partial_in(text: str) -> list[tuple[int, str]]:
    """(offset, printed) of every full date, and of every month or year date not part of one."""
    full = [(m.start(), _printed(m.group(0)), m.end()) for m in DATE.finditer(text)]
    partial = [(m.start(), m.group(0).strip(), m.end()) for m in PARTIAL_DATE.finditer(text)
               if not any(start <= m.start() < end for start, _, end in full)]  # fmt: skip
    return sorted((start, printed) for start, printed, _ in full + partial)


# a birth date or the printout's own time, by the label printed before it: not a date of the care
_NOT_CARE = re.compile(r"생\s*년\s*월\s*일|생일|DOB|birth|주민|출력|인쇄", re.I)
_EXAM_LABEL = re.compile(
    spaced_syllables(  # "수술일", or "수 술 일" as a scan's OCR spaces it
        r"(?:검사|검진|촬영|시행|채혈|채취|수술|시술|exam|study|procedure)\s*(?:일시|일자|일|date)\s*[:：]?\s*$"
    ),
    re.I,
)


_SENTENCE_END = re.compile(r"(?:[다요음함됨임]\.?|[.:!?。])\s*$|^\s*$")


class DateContext:
    """The dates of a page by line, for an item printed without its own: the date a header or the sentence
    before gives ("<외래 검사> 2027.01.04" above a table, "같은 날(2027.01.04) ... CA 19-9 41"), and the exam date of a
    report's header ("검사일시: 2026.06.11") for the study it names."""

    def __init__(self, text: str) -> None:
        self._dates: dict[int, list[str]] = {}
        self._exam: dict[int, str] = {}
        self._lines = text.split("\n")
        for number, raw in enumerate(self._lines):
            found, label_from = [], 0
            for match in DATE.finditer(raw):  # "생년월일: 1979-04-18 검진일: 2026-06-05": the second is the care's
                label, label_from = raw[label_from : match.start()], match.end()
                if not _NOT_CARE.search(label):
                    found.append((label, match))
            if found:
                self._dates[number] = [_printed(m.group(0)) for _, m in found]
            for label, match in found:
                if _EXAM_LABEL.search(label):
                    self._exam.setdefault(number, _printed(match.group(0)))

    def before(self, line: int, window: int = 3) -> str | None:
        """The last date printed on this line or the `window` lines above it."""
        for number in range(line, max(-1, line - window - 1), -1):
            if number in self._dates:
                return self._dates[number][-1]
        return None

    def in_sentence(self, line: int, window: int = 3) -> str | None:
        """The last date of the sentence that runs on to this line from the lines above (prose wrapped by the
        printer: "...의뢰되어 2026. 05. 19. 본원에서 / 관상동맥조영술(CAG)을 시행하였고"), if that sentence has one."""
        for number in range(line - 1, max(-1, line - window - 1), -1):
            if _SENTENCE_END.search(self._lines[number]):
                return None
            if number in self._dates:
                return self._dates[number][-1]
        return None

    def exam_near(self, line: int, window: int = 3) -> str | None:
        """The exam date printed within `window` lines, else the page's one exam date (a report's header)."""
        near = sorted((abs(n - line), d) for n, d in self._exam.items() if abs(n - line) <= window)
        if near:
            return near[0][1]
        return next(iter(self._exam.values())) if len(set(self._exam.values())) == 1 else None
