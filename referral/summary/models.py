"""The structured clinical summary. Every item carries evidence: the document, page, character span and the
quoted source text (and the OCR box where there is one), so a clinician can check each fact at its source."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, Field


class Evidence(BaseModel):
    document_key: str
    page: int = Field(ge=1)
    start: int = Field(ge=0, description="character offset in the page text")
    end: int
    quote: str = Field(min_length=1)
    box: tuple[int, int, int, int] | None = None
    seconds: float | None = Field(default=None, description="time in the recording, for a dictation's transcript")


class Item(BaseModel):
    evidence: list[Evidence] = Field(min_length=1)


class Problem(Item):
    name: str
    code: str | None = Field(default=None, description="KCD-8 / ICD-10 code where the source gives one")


class Medication(Item):
    name: str
    ingredient: str | None = Field(default=None, description="the ingredient a Korean product or generic name names")
    dose: str | None = None
    route: str | None = None
    frequency: str | None = None
    status: str | None = Field(default=None, description="held, stopped, new or changed where the source says so")
    start: str | None = None
    stop: str | None = None


class Allergy(Item):
    substance: str
    reaction: str | None = None


class Procedure(Item):
    name: str
    date: str | None = None


class LabResult(Item):
    name: str
    value: str
    unit: str | None = None
    reference_range: str | None = None
    flag: str | None = Field(default=None, description="H/L (or ↑/↓) as printed")
    date: str | None = None


class ImagingResult(Item):
    modality: str = Field(description="study type: CT, MRI, US, X-ray, Echocardiography, ECG, EGD ...")
    body_part: str | None = None
    date: str | None = None
    finding: str | None = None


class PathologyFinding(Item):
    text: str
    specimen: str | None = None
    diagnosis: str | None = None
    grade: str | None = None
    size: str | None = None
    margins: str | None = None
    nodes: str | None = None
    stage: str | None = None
    ihc: str | None = None


class Statement(Item):
    """A free-text element (hospital course, plan, pending result, airway note...) quoted from the source."""

    text: str


class AnesthesiaFindings(BaseModel):
    comorbidities: list[Problem] = Field(default_factory=list)
    anticoagulants: list[Medication] = Field(default_factory=list)
    airway: list[Statement] = Field(default_factory=list)
    prior_anesthesia: list[Statement] = Field(default_factory=list)


class ClinicalSummary(BaseModel):
    backend: str
    source_keys: list[str]
    problems: list[Problem] = Field(default_factory=list)
    medications: list[Medication] = Field(default_factory=list)
    allergies: list[Allergy] = Field(default_factory=list)
    no_known_allergies: list[Statement] = Field(default_factory=list)
    procedures: list[Procedure] = Field(default_factory=list)
    labs: list[LabResult] = Field(default_factory=list)
    imaging: list[ImagingResult] = Field(default_factory=list)
    pathology: list[PathologyFinding] = Field(default_factory=list)
    chief_complaint: list[Statement] = Field(default_factory=list)
    hospital_course: list[Statement] = Field(default_factory=list)
    plan: list[Statement] = Field(default_factory=list)
    pending_results: list[Statement] = Field(default_factory=list)
    anesthesia: AnesthesiaFindings = Field(default_factory=AnesthesiaFindings)
    empty_reason: str | None = Field(default=None, description="why nothing was extracted, when nothing was")
    dropped_unquoted: int = Field(default=0, description="model items dropped: their quote is not in the source")
    invalid_outputs: int = Field(default=0, description="model outputs that were not valid JSON of the schema")

    def items(self) -> list[Item]:
        lists: list[Sequence[Item]] = [
            self.problems, self.medications, self.allergies, self.no_known_allergies, self.procedures, self.labs,
            self.imaging, self.pathology, self.chief_complaint, self.hospital_course, self.plan,
            self.pending_results, self.anesthesia.comorbidities, self.anesthesia.anticoagulants,
            self.anesthesia.airway, self.anesthesia.prior_anesthesia,
        ]  # fmt: skip
        return [item for group in lists for item in group]
