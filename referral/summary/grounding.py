"""Model output → evidence-backed items. A language model's item is kept only when its quote is found verbatim
in the chunk it read; every other item is dropped and counted. Pure functions, no model needed."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from referral.summary.models import (
    Allergy,
    ClinicalSummary,
    Evidence,
    ImagingResult,
    LabResult,
    Medication,
    PathologyFinding,
    Problem,
    Procedure,
    Statement,
)
from referral.summary.source import SourcePage

ItemType = Literal["problem", "medication", "allergy", "procedure", "lab", "imaging", "pathology", "course", "plan",
                   "pending", "chief_complaint"]  # fmt: skip


class ModelItem(BaseModel):
    type: ItemType
    quote: str = Field(min_length=1)
    name: str | None = None
    code: str | None = None
    dose: str | None = None
    route: str | None = None
    frequency: str | None = None
    value: str | None = None
    unit: str | None = None
    date: str | None = None
    finding: str | None = None


class ModelOutput(BaseModel):
    items: list[ModelItem]


SCHEMA_HINT = (
    '{"items": [{"type": "problem|medication|allergy|procedure|lab|imaging|pathology|course|plan|pending|'
    'chief_complaint", "quote": "<exact text copied from the record>", "name": "...", "code": "...", "dose": "...", '
    '"value": "...", "unit": "...", "date": "..."}]}'
)


@dataclass
class Chunk:
    """Consecutive lines of one document, with where each piece sits in its page."""

    text: str = ""
    pieces: list[tuple[SourcePage, int, int, int]] = field(default_factory=list)  # page, page_start, chunk_start, len

    def locate(self, start: int, end: int) -> tuple[SourcePage, int, int] | None:
        for page, page_start, chunk_start, length in self.pieces:
            if chunk_start <= start and end <= chunk_start + length:
                return page, page_start + start - chunk_start, page_start + end - chunk_start
        return None


def chunk_pages(pages: list[SourcePage], max_chars: int) -> list[Chunk]:
    """Pack whole lines into chunks of at most max_chars (a longer line is cut); never mix documents."""
    chunks: list[Chunk] = []
    current = Chunk()
    for page in pages:
        if current.pieces and current.pieces[-1][0].document_key != page.document_key:
            chunks.append(current)
            current = Chunk()
        offset = 0
        for line in page.text.split("\n"):
            for cut in range(0, max(len(line), 1), max_chars):
                segment = line[cut : cut + max_chars]
                if current.text and len(current.text) + len(segment) + 1 > max_chars:
                    chunks.append(current)
                    current = Chunk()
                if current.text:
                    current.text += "\n"
                current.pieces.append((page, offset + cut, len(current.text), len(segment)))
                current.text += segment
            offset += len(line) + 1
    if current.text.strip():
        chunks.append(current)
    return [c for c in chunks if c.text.strip()]


def parse_output(raw: str) -> ModelOutput | None:
    """The first JSON object in the model's text, validated; None when there is none that fits the schema."""
    start, end = raw.find("{"), raw.rfind("}")
    if start < 0 or end <= start:
        return None
    try:
        return ModelOutput.model_validate(json.loads(raw[start : end + 1]))
    except (json.JSONDecodeError, ValidationError):
        return None


def ground(item: ModelItem, chunk: Chunk) -> Evidence | None:
    at = chunk.text.find(item.quote)
    if at < 0:
        return None
    located = chunk.locate(at, at + len(item.quote))
    if located is None:
        return None  # the quote spans two pages: not one source span
    page, start, end = located
    if page.text[start:end] != item.quote:
        return None
    return Evidence(document_key=page.document_key, page=page.page, start=start, end=end, quote=item.quote)


def add_item(summary: ClinicalSummary, item: ModelItem, evidence: Evidence) -> None:
    e = [evidence]
    name = item.name or item.quote
    match item.type:
        case "problem":
            summary.problems.append(Problem(name=name, code=item.code, evidence=e))
        case "medication":
            summary.medications.append(Medication(name=name, dose=item.dose, route=item.route,
                                                  frequency=item.frequency, evidence=e))  # fmt: skip
        case "allergy":
            summary.allergies.append(Allergy(substance=name, evidence=e))
        case "procedure":
            summary.procedures.append(Procedure(name=name, date=item.date, evidence=e))
        case "lab":
            summary.labs.append(
                LabResult(name=name, value=item.value or "", unit=item.unit, date=item.date, evidence=e)
            )
        case "imaging":
            summary.imaging.append(ImagingResult(modality=name, date=item.date, finding=item.finding, evidence=e))
        case "pathology":
            summary.pathology.append(PathologyFinding(text=item.quote, evidence=e))
        case "course":
            summary.hospital_course.append(Statement(text=item.quote, evidence=e))
        case "plan":
            summary.plan.append(Statement(text=item.quote, evidence=e))
        case "pending":
            summary.pending_results.append(Statement(text=item.quote, evidence=e))
        case "chief_complaint":
            summary.chief_complaint.append(Statement(text=item.quote, evidence=e))
