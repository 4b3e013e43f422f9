"""The day a footnote gives to results that a table above it prints under another day: "* TSH, Free T4는
2027/01/05 결과" under a table headed "Lab) 2027/02/01" says those two were taken on 2027/01/05. A result whose
own row prints its day keeps it; the footnote's line joins the result's evidence."""

from __future__ import annotations

import re

from referral.summary.dates import DATE, dates_in
from referral.summary.models import LabResult
from referral.summary.source import SourcePage
from referral.summary.spans import evidence_of
from referral.summary.vocabulary import squeeze

_FOOTNOTE = re.compile(
    rf"^[ \t]*[*※]+[ \t]*(?P<names>[^:：\n]{{2,80}}?)[ \t]*(?:은|는|의)?[ \t]*(?P<on>{DATE.pattern})[ \t]*(?:의[ \t]*)?"
    r"(?:결과|검사|시행|채혈)",
    re.M,
)


def _named(names: str) -> set[str]:
    return {squeeze(name) for name in re.split(r"[,/·]|\s및\s|\sand\s", names) if name.strip()}


def _line_of(text: str, at: int) -> str:
    end = text.find("\n", at)
    return text[text.rfind("\n", 0, at) + 1 : end if end >= 0 else len(text)]


def date_by_footnotes(labs: list[LabResult], page: SourcePage) -> None:
    """Each result of this page named in a footnote below its row, printed without a day of its own, takes the
    footnote's day."""
    for note in _FOOTNOTE.finditer(page.text):
        named, on = _named(note["names"]), dates_in(note["on"])[0]
        for lab in labs:
            rows = [e for e in lab.evidence if (e.document_key, e.page) == (page.document_key, page.page)]
            if squeeze(lab.name) not in named or not rows or any(e.start > note.start() for e in rows):
                continue
            if any(lab.date and lab.date in dates_in(_line_of(page.text, e.start)) for e in rows):
                continue  # the row prints its own day
            lab.date = on
            lab.evidence += evidence_of(page, note.start(), note.end(), page.text.count("\n", 0, note.start()))
