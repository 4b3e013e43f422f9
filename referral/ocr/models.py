"""OCR output: per page the text, the words with boxes and confidence, and what post-correction changed."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class OcrWord(BaseModel):
    text: str
    box: tuple[int, int, int, int] = Field(description="left, top, right, bottom in page pixels")
    confidence: float = Field(ge=0, le=100)
    line: int


class TableCell(BaseModel):
    text: str
    box: tuple[int, int, int, int]


class TableRow(BaseModel):
    """One printed row whose words fall into columns: the cells a table's reader keeps together."""

    line: int
    cells: list[TableCell]


class Correction(BaseModel):
    kind: Literal["code", "unit", "drug", "lab", "term"]
    before: str
    after: str
    line: int
    box: tuple[int, int, int, int] | None = None


# what a glyph read by its shape was read as (referral/ocr/reread.py and the readers beside it)
GlyphReason = Literal[
    "code_letter", "dose_one", "unit_iu", "caret", "micro", "lab_name", "stage_zero", "decimal_point", "bracket_i",
    "times_sign", "gram", "modality_letter", "counter_syllable",
]  # fmt: skip


class Reread(BaseModel):
    """A word read a second time from its image: by the Latin or the Korean model (a Latin term broken into jamo and
    marks by the Latin model as one word), or a glyph by its shape (a code's first letter, a dose's 1, IU or g, a
    count unit's caret, μ or x, a lab name's 1 or I, a stage's 0, a number's point, an I before its closing bracket,
    a modality's T, a counter's syllable read as digits)."""

    reason: Literal["latin_model", "hangul_model", "latin_span"] | GlyphReason
    before: str
    after: str
    box: tuple[int, int, int, int]
    confidence_before: float
    confidence_after: float


class Check(BaseModel):
    """A number or code the reviewer must compare with the page image: low confidence, or two readings differ."""

    text: str
    box: tuple[int, int, int, int]
    line: int
    confidence: float
    why: Literal["low_confidence", "readings_differ"]


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
    rereads: list[Reread] = Field(default_factory=list)
    checks: list[Check] = Field(default_factory=list)
    noise: float = Field(default=0.0, description="share of isolated specks among dark pixels; decides clean-up")
    rows: list[TableRow] = Field(default_factory=list)
    image_key: str | None = Field(default=None, description="stored PNG of the page as recognised (boxes refer to it)")
    image: bytes | None = Field(default=None, exclude=True, repr=False)  # that PNG until it is stored


class OcrDocument(BaseModel):
    document_sha256: str
    media_type: str
    engine: str
    pages: list[OcrPage]

    @property
    def text(self) -> str:
        return "\n\f\n".join(p.text for p in self.pages)
