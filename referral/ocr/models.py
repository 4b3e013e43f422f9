"""OCR output: per page the text, the words with boxes and confidence, and what post-correction changed."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class OcrWord(BaseModel):
    text: str
    box: tuple[int, int, int, int] = Field(description="left, top, right, bottom in page pixels")
    confidence: float = Field(ge=0, le=100)
    line: int


class Correction(BaseModel):
    kind: Literal["code", "unit", "drug", "lab", "number"]
    before: str
    after: str
    line: int


class OcrPage(BaseModel):
    page: int = Field(ge=1)
    method: Literal["text_layer", "tesseract"]
    text: str
    raw_text: str = Field(description="text before clinical post-correction")
    words: list[OcrWord]
    mean_confidence: float
    width: int
    height: int
    dpi: int
    rotation: int = 0
    skew_degrees: float = 0.0
    corrections: list[Correction] = Field(default_factory=list)


class OcrDocument(BaseModel):
    document_sha256: str
    media_type: str
    engine: str
    pages: list[OcrPage]

    @property
    def text(self) -> str:
        return "\n\f\n".join(p.text for p in self.pages)
