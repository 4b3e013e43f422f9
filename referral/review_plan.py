"""Which drafts each side of a referral makes, at which point, and which department signs them.

A referral has two halves, each reviewed by its own institution (domain.md): the referring side signs its
진료의뢰서 before anything leaves; the receiving side, once the referral is delivered, signs its own summary of the
outside records, a 마취 전 상태평가 when it plans an operation, and at the end the 퇴원요약 and 회송서. The plan is
part of the network file (`review_plan:`), with the pilot's defaults below; a draft kind named under
`signing_departments` is signed only by a clinician of one of those departments (the roster's `department`).
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from referral.models import Side


class DraftKind(StrEnum):
    REFERRAL_LETTER = "referral_letter"
    OUTSIDE_RECORD_SUMMARY = "outside_record_summary"
    PRE_ANESTHESIA = "pre_anesthesia"
    PATHOLOGY_REVIEW = "pathology_review"
    DISCHARGE_SUMMARY = "discharge_summary"
    RETURN_LETTER = "return_letter"


class OperationPlan(BaseModel):
    """What the receiving side says of a planned operation (the HTTP body): who records it, what and when."""

    actor: str = Field(min_length=1, max_length=100)
    procedure: str = Field(min_length=1, max_length=200, description="the planned operation, as the surgeon names it")
    planned_on: date
    department: str = Field(default="", max_length=100, description="the operating department")


class PlannedOperation(OperationPlan):
    """A planned operation as the referral records it: its 마취 전 상태평가 is drafted for the anaesthesiologist."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    org: str = Field(description="institution code of the caller: the receiving side")


class ReviewRoundName(StrEnum):
    REFERRAL = "referral"  # at submission: the referring side's letter
    RECEIPT = "receipt"  # once delivered: the receiving side reads the outside records
    OPERATION = "operation"  # the receiving side records a planned operation
    OUTCOME = "outcome"  # the receiving side asks for the 회송 documents


# Whose clinicians review each round: fixed by when the round happens, not configurable.
ROUND_SIDE = {
    ReviewRoundName.REFERRAL: Side.REFERRING,
    ReviewRoundName.RECEIPT: Side.RECEIVING,
    ReviewRoundName.OPERATION: Side.RECEIVING,
    ReviewRoundName.OUTCOME: Side.RECEIVING,
}


class ReviewRound(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    drafts: list[DraftKind] = Field(default_factory=list, description="made every time; none: no round")
    with_pathology: list[DraftKind] = Field(
        default_factory=list, description="made too when the records hold a pathology report"
    )


def _default_rounds() -> dict[ReviewRoundName, ReviewRound]:
    return {
        ReviewRoundName.REFERRAL: ReviewRound(drafts=[DraftKind.REFERRAL_LETTER]),
        ReviewRoundName.RECEIPT: ReviewRound(
            drafts=[DraftKind.OUTSIDE_RECORD_SUMMARY], with_pathology=[DraftKind.PATHOLOGY_REVIEW]
        ),
        ReviewRoundName.OPERATION: ReviewRound(drafts=[DraftKind.PRE_ANESTHESIA]),
        ReviewRoundName.OUTCOME: ReviewRound(
            drafts=[DraftKind.DISCHARGE_SUMMARY, DraftKind.RETURN_LETTER], with_pathology=[DraftKind.PATHOLOGY_REVIEW]
        ),
    }


def _default_departments() -> dict[DraftKind, list[str]]:
    # 전문과목 names of the 의료법 시행규칙 (Korean) with their usual English names
    return {
        DraftKind.PRE_ANESTHESIA: ["마취통증의학과", "Anesthesiology"],
        DraftKind.PATHOLOGY_REVIEW: ["병리과", "Pathology"],
    }


class ReviewPlan(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    rounds: dict[ReviewRoundName, ReviewRound] = Field(default_factory=_default_rounds)
    signing_departments: dict[DraftKind, list[str]] = Field(default_factory=_default_departments)

    def round(self, name: ReviewRoundName) -> ReviewRound:
        return self.rounds.get(name, ReviewRound())

    def departments(self, kind: DraftKind | str) -> list[str]:
        """The departments whose clinicians may sign `kind`; empty: any clinician of the side's roster."""
        return self.signing_departments.get(DraftKind(kind), [])


def in_department(department: str, allowed: list[str]) -> bool:
    """Whether a roster department is one of `allowed` (spacing and case aside)."""
    wanted = "".join(department.split()).casefold()
    return any("".join(a.split()).casefold() == wanted for a in allowed)
