"""Where an item stands in its source: the exact span of a page's text it quotes, and the box of its OCR line."""

from __future__ import annotations

from referral.summary.models import Evidence
from referral.summary.sections import Line
from referral.summary.source import SourcePage


def evidence_of(page: SourcePage, start: int, end: int, line: int) -> list[Evidence]:
    """The quote page.text[start:end], with the box of the page's OCR line `line` where the page has words."""
    boxes = [w.box for w in page.words if w.line == _word_line(page, line)] if page.words else []
    box = None
    if boxes:
        box = (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))
    quote = page.text[start:end]
    return [Evidence(document_key=page.document_key, page=page.page, start=start, end=end, quote=quote, box=box)]


def _word_line(page: SourcePage, text_line: int) -> int:
    """OCR text lines are the words' line ids in sorted order."""
    ids = sorted({w.line for w in page.words})
    return ids[text_line] if text_line < len(ids) else -1


def span_in(line: Line, fragment: str) -> tuple[int, int]:
    """Where a fragment of the line stands in the page's text (the whole line when it is not found)."""
    offset = line.text.find(fragment)
    return (line.start + offset, line.start + offset + len(fragment)) if offset >= 0 else (line.start, line.end)
