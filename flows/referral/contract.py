"""The contract between a referral (ReferralWorkflow, the parent) and each of its review rounds
(ReviewRoundWorkflow, a child workflow per side and round): what a round is given, what it reports while it runs
and returns when it ends, the signal it reports through and the query its progress is read back by. Both workflows
import this module, never each other's."""

from __future__ import annotations

from pydantic import BaseModel, Field
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.summarize import SummarizeInput
    from flows.referral.io import PageRef, ProcessingStage, SummaryResult, WorkflowSettings
    from referral.models import Side
    from referral.review_plan import ReviewRoundName
    from review.models import ReviewState


def round_workflow_id(referral_id: str, name: ReviewRoundName, n: int) -> str:
    """The child workflow id of a referral's n-th review round (counted over all its rounds): shown in the
    Temporal UI beside the referral's own."""
    return f"{referral_id}.review.{name.value}.{n}"


class ReviewRoundInput(BaseModel):
    """One round: whose board (the side's institution), the drafts to make and from what."""

    round_id: str  # the child workflow's id (round_workflow_id)
    name: ReviewRoundName
    side: Side
    org: str  # the institution whose clinicians review: its own board, nobody else's
    drafting: SummarizeInput  # what the summary activity makes this round's drafts from
    settings: WorkflowSettings
    first_task_round: int = Field(ge=1)  # task rounds are numbered over the whole referral (a re-draft: the next)


class ReviewProgress(BaseModel):
    """What a round reports to its referral each time it changes, and returns when it ends: the referral mirrors
    it in its status and search attributes. Decisions here were read back from the board, never from a message."""

    round_id: str
    stage: ProcessingStage = ProcessingStage.SUMMARY_RUNNING
    stage_error: str | None = None
    summary: SummaryResult | None = None  # the drafts under review now
    reviews: list[ReviewState] = Field(default_factory=list)  # their tasks and decisions
    superseded: list[ReviewState] = Field(default_factory=list)  # tasks an operator's re-processing replaced
    task_round: int = 0  # the last task round opened (0: none yet)
    reminders: int = 0
    escalated: bool = False
    excluded_pages: list[PageRef] = Field(default_factory=list)  # pages removed as another patient's, so far
    reprocess_refused: list[str] = Field(default_factory=list)  # "actor: reason" of re-processing asked too late


class ReviewRoundReceiver:
    """The referral's end of the contract: the signal its review rounds report through. ReferralWorkflow overrides
    it (Temporal checks the override keeps the signal); a round signals it by this method reference."""

    @workflow.signal
    def review_progress(self, progress: ReviewProgress) -> None:
        """A review round changed: new drafts, new tasks, a decision, a reminder, or its end."""
        raise NotImplementedError


class ReviewRoundState:
    """The round's end of the contract: its progress as the round itself holds it, read back by the referral
    (a query its worker answers from the round's state) whenever the round reports, so that what the referral
    shows and acts on never comes from a signal, which anyone able to signal the referral could send."""

    @workflow.query
    def progress(self) -> ReviewProgress:
        raise NotImplementedError
