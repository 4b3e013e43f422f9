"""The review rounds of ReferralWorkflow (a mixin, so the workflow file stays one screen per concern): each round
of the review plan runs as a child workflow (flows/referral/review_round.py) on its side's board, one at a time.
When a round reports a change, the referral reads the round back (a query the round's worker answers) and mirrors
that (drafts, tasks, decisions, reminders, stage) in its status and search attributes; at the end it takes the
round's result. It passes hints and an operator's re-processing on to the round under way."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from typing import TYPE_CHECKING

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, CancelledError, ChildWorkflowError, FailureError

with workflow.unsafe.imports_passed_through():
    from activities.round_progress import RoundProgressActivities
    from activities.summarize import SummarizeInput
    from flows.referral.contract import ReviewProgress, ReviewRoundInput, ReviewRoundReceiver, round_workflow_id
    from flows.referral.io import (
        OcrSummary,
        PageRef,
        ProcessingStage,
        ReprocessRequest,
        SummaryResult,
        TranscriptSummary,
        WorkflowSettings,
    )
    from flows.referral.review_round import ReviewRoundWorkflow
    from referral.models import Referral, Side
    from referral.pacs.models import ImagingStatus
    from referral.review_plan import ROUND_SIDE, PlannedOperation, ReviewRoundName
    from referral.search_attributes import REVIEW_ESCALATED, REVIEW_REMINDERS
    from review.models import ReviewState, undecided


class ReviewStage(ReviewRoundReceiver):
    _referral: Referral
    _settings: WorkflowSettings
    _summary: SummaryResult | None
    _ocr: list[OcrSummary]
    _transcripts: list[TranscriptSummary]
    _imaging: ImagingStatus | None
    _operation: PlannedOperation | None
    _stage_error: str | None
    _stage: ProcessingStage

    def _init_review(self) -> None:
        self._reviews: dict[int, ReviewState] = {}  # the current (or last) round's tasks, as it last reported
        self._review_side: Side | None = None
        self._reminders = 0
        self._escalated = False
        self._review_round = 0  # task rounds opened over the whole referral
        self._superseded: list[ReviewState] = []
        self._excluded_pages: list[PageRef] = []
        self._round: ReviewRoundName | None = None  # the review plan's round whose drafts are (or were last) reviewed
        self._round_child: workflow.ChildWorkflowHandle[ReviewRoundWorkflow, ReviewProgress] | None = None
        self._round_id: str | None = None  # the round under way, from before its child has started until it ends
        self._rounds_started = 0
        self._reprocess_asked_at: int | None = None  # the task round an operator's re-processing replaces
        self._reprocess_refused: list[str] = []  # by the round under review (or the last one)
        self._past_reviews: list[ReviewState] = []
        self._round_reported = False  # the round under way said it changed: read it back

    if TYPE_CHECKING:  # provided by ReferralWorkflow or another of its stages: declared here, never shadowed

        def _set_stage(self, stage: ProcessingStage) -> None: ...

    async def _run_round(self, name: ReviewRoundName) -> bool:
        """One round of the review plan, as a child workflow on its side's board; rounds take turns. True when
        every draft of the round was signed."""
        planned = self._settings.review_plan.round(name)
        if not planned.drafts:
            return False  # this deployment makes no drafts at this point
        while self._round_id is not None:  # one round at a time: re-checked on waking, set below before any await
            await workflow.wait_condition(lambda: self._round_id is None)
        side = ROUND_SIDE[name]
        self._past_reviews += [*self._reviews.values(), *self._superseded]
        self._reviews, self._superseded = {}, []
        self._summary = None  # the last round's drafts were its side's: none of them shows in this round
        self._round, self._review_side = name, side
        self._reminders, self._escalated = 0, False  # reminders are about the drafts now under review
        self._rounds_started += 1
        self._set_stage(ProcessingStage.SUMMARY_RUNNING)
        self._round_id = round_workflow_id(self._referral.referral_id, name, self._rounds_started)
        request = ReviewRoundInput(
            round_id=self._round_id,
            name=name,
            side=side,
            org=self._referral.party(side).org,
            drafting=SummarizeInput(
                referral=self._referral,
                ocr=self._ocr,
                transcripts=self._transcripts,
                studies=self._imaging.studies if self._imaging else [],
                excluded_pages=self._excluded_pages,
                kinds=planned.drafts,
                with_pathology=planned.with_pathology,
                operation=self._operation if name == ReviewRoundName.OPERATION else None,
            ),  # fmt: skip
            settings=self._settings,
            first_task_round=self._review_round + 1,
        )
        try:
            self._round_child = child = await workflow.start_child_workflow(
                ReviewRoundWorkflow.run,
                request,
                id=request.round_id,
                parent_close_policy=workflow.ParentClosePolicy.REQUEST_CANCEL,
            )
            try:
                while not child.done():
                    await workflow.wait_condition(lambda: self._round_reported or child.done())
                    if not child.done():
                        await self._read_round_back_until_it_ends(request.round_id, child)
            except asyncio.CancelledError:
                child.cancel()  # the referral closes: its round takes the undecided drafts off the board first
                with contextlib.suppress(asyncio.CancelledError, ChildWorkflowError):
                    await child
                raise
            self._mirror(await child)  # the round's result: written by the round alone
        except (asyncio.CancelledError, ChildWorkflowError) as err:
            if isinstance(err, ChildWorkflowError) and not isinstance(err.cause, CancelledError):
                raise
            # the referral closed while the round was under review: the round took its open tasks off the board
            for state in self._reviews.values():
                if state.status == "pending":
                    state.status = "closed"
            if isinstance(err, asyncio.CancelledError):
                raise
            return False
        finally:
            self._round_child, self._round_id = None, None
        return self._stage == ProcessingStage.SIGNED

    @workflow.signal
    def review_progress(self, progress: ReviewProgress) -> None:
        """A round says it changed: read it back from the round (what the signal carries is not taken, since
        anyone able to signal this referral could send it), unless it is a late word of an ended round."""
        if progress.round_id == self._round_id:
            self._round_reported = True

    async def _read_round_back_until_it_ends(self, round_id: str, child: asyncio.Future[ReviewProgress]) -> None:
        """Read the round back, unless it ends first: its result then says all, and a read-back that has not
        come back (its query unanswered on a worker too busy, or its local activity lost across workflow task
        time-outs, as a burst of 1,000 decisions showed) can no longer hold the referral."""
        reading = asyncio.create_task(self._read_round_back(round_id))
        try:
            await workflow.wait_condition(lambda: reading.done() or child.done())
        finally:
            if not reading.done():
                reading.cancel()

    async def _read_round_back(self, round_id: str) -> None:
        self._round_reported = False
        try:
            progress = await workflow.execute_local_activity_method(
                RoundProgressActivities.read_round_progress,
                round_id,
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=RetryPolicy(maximum_attempts=3),
            )
        except ActivityError as err:
            # the round's next report, or its result, is read instead
            workflow.logger.warning("the review round could not be read back: %s", err.cause or err)
            return
        if progress.round_id == self._round_id == round_id:
            self._mirror(progress)

    def _mirror(self, progress: ReviewProgress) -> None:
        self._summary = progress.summary
        self._reviews = {state.task.task_id: state for state in progress.reviews}
        self._superseded = progress.superseded
        self._excluded_pages = progress.excluded_pages
        self._reprocess_refused = progress.reprocess_refused
        if progress.task_round > self._review_round:
            self._review_round = progress.task_round
            self._reprocess_asked_at = None  # its new tasks are there
        if progress.stage_error:
            self._stage_error = progress.stage_error
        if progress.stage != self._stage:
            self._set_stage(progress.stage)
        if (progress.reminders, progress.escalated) != (self._reminders, self._escalated):
            self._reminders, self._escalated = progress.reminders, progress.escalated
            workflow.upsert_search_attributes(
                [REVIEW_REMINDERS.value_set(self._reminders), REVIEW_ESCALATED.value_set(self._escalated)]
            )

    async def _hint(self, task_ids: list[int]) -> None:
        """Tasks changed on a board: tell the round under way, which looks if one of them is its own."""
        if self._round_child is None:
            return  # no round is waiting for a decision
        try:
            await self._round_child.signal(ReviewRoundWorkflow.review_updated, task_ids)
        except FailureError:
            workflow.logger.info("the review round ended before the hint reached it")

    def _may_reprocess(self) -> bool:
        return (
            self._round_child is not None
            and self._stage == ProcessingStage.AWAITING_REVIEW
            and undecided(list(self._reviews.values()))
            and self._reprocess_asked_at is None
        )

    async def _reprocess_round(self, request: ReprocessRequest) -> None:
        assert self._round_child is not None  # the validator refuses otherwise
        self._reprocess_asked_at = self._review_round
        await self._round_child.signal(ReviewRoundWorkflow.reprocess, request)
