"""Study references and the imaging status of a referral (no pixel data ever enters a workflow)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, Field


class StudyRef(BaseModel):
    study_uid: str
    modalities: list[str] = Field(default_factory=list)
    study_date: date | None = None
    description: str | None = None
    series: int | None = None
    instances: int | None = None
    source_org: str

    def label(self) -> str:
        """One line for drafts and the duplicate-test guard: date, modality, description, counts."""
        counts = f"({self.series or '?'} series, {self.instances or '?'} images)"
        parts = [str(self.study_date) if self.study_date else None, "/".join(self.modalities) or None,
                 self.description, counts]  # fmt: skip
        return " ".join(p for p in parts if p)


class StudySearch(BaseModel):
    studies: list[StudyRef] = Field(default_factory=list)
    excluded: dict[str, int] = Field(default_factory=dict, description="studies of the PACS left out, by reason")


class ImagingStep(StrEnum):
    NOT_CONFIGURED = "not_configured"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class StudyTransfer(BaseModel):
    studies: int
    instances: int
    target_org: str


class ImagingStatus(BaseModel):
    search: ImagingStep = ImagingStep.RUNNING
    studies: list[StudyRef] = Field(default_factory=list)
    excluded: dict[str, int] = Field(default_factory=dict)
    transfer: ImagingStep | None = None
    transferred: StudyTransfer | None = None
    error: str | None = None
