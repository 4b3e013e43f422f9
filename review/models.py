"""What review exchanges with the workflow: tasks, decisions, signed documents."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

from referral.identity import IdentityFinding
from referral.models import Side


class Decision(StrEnum):
    APPROVE = "approve"  # 승인
    REJECT = "reject"  # 반려
    REDRAFT = "redraft"  # 수정 요청


class ReviewTaskRef(BaseModel):
    kind: str
    task_id: int
    project_id: int
    draft_key: str
    org: str = ""  # the institution whose board holds it (its own, or the deployment's: review.board.review_board)


class ReviewDecision(BaseModel):
    """One submitted annotation: from the webhook or from the reconciler's poll."""

    annotation_id: int
    task_id: int
    decision: Decision
    final_text: str = ""
    reason: str | None = None
    reviewer_id: int | None = None
    identity: Literal["keep", "remove"] | None = None  # the reviewer's mark on pages with an identity finding


class SignedDocumentRef(BaseModel):
    kind: str
    json_key: str
    pdf_key: str
    sha256: str
    reviewer: str
    signed_at: datetime
    edit_ratio: float


class ReviewState(BaseModel):
    task: ReviewTaskRef
    side: Side = Side.REFERRING  # whose clinicians review it: only that side sees the draft and its decision
    status: str = "pending"  # pending | approved | rejected | redraft | superseded | closed (the referral closed)
    refused: str | None = None  # why a submitted approval was not signed (the task stays open)
    decision: ReviewDecision | None = None
    signed: SignedDocumentRef | None = None


def undecided(states: list[ReviewState]) -> bool:
    """A round's tasks are all open and none holds a decision or a refused approval (what re-processing may
    replace without throwing a clinician's work away). False for a round with no tasks yet."""
    return bool(states) and all(state.status == "pending" and state.decision is None for state in states)


class SignedDocument(BaseModel):
    """The immutable signed document: what the clinician approved, who, when, and how it differs from the AI."""

    referral_id: str
    kind: str
    title: str
    text: str
    sha256: str
    reviewer_email: str
    reviewer_name: str
    reviewer_licence: str  # 의사 면허번호, from the signing roster
    reviewer_department: str
    reviewer_org: str  # the institution the clinician signed for
    reviewer_id: int | None
    signed_at: datetime
    ai_backend: str
    draft_key: str
    diff: str
    edit_ratio: float = Field(ge=0, le=1, description="share of the draft the clinician changed (0 = as drafted)")
    annotation_id: int
    identity_findings: list[IdentityFinding] = Field(default_factory=list)
    identity_choice: Literal["keep"] | None = None  # signed with flagged pages the reviewer confirmed as this patient's
