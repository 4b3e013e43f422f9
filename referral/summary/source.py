"""The text a summary is drawn from: the pages of the referral's OCR'd documents, with offsets that evidence
spans refer to."""

from __future__ import annotations

from dataclasses import dataclass

from referral.ocr.models import OcrDocument, OcrWord


@dataclass(frozen=True)
class SourcePage:
    document_key: str
    page: int
    text: str
    words: tuple[OcrWord, ...] = ()
    spoken: bool = False  # a dictation's transcript: no sections, drugs said without doses


def pages_of(document_key: str, document: OcrDocument) -> list[SourcePage]:
    return [SourcePage(document_key, p.page, p.text, tuple(p.words)) for p in document.pages]


def text_page(document_key: str, text: str, page: int = 1, spoken: bool = False) -> SourcePage:
    return SourcePage(document_key, page, text, spoken=spoken)
