"""ReviewRoundWorkflow: one review round of one referral, a child workflow of ReferralWorkflow per side and round
(the 진료의뢰서 at the referring hospital; the outside-record summary, a planned operation's pre-anesthesia
assessment and the 회송 documents at the receiving one). The referral stays the state machine; the round's
waiting, reminders and decisions live here, in their own history.

    draft (summary activity, GPU queue) → tasks on the side's board → await decisions
      approve → signed document            reject → REVIEW_REJECTED, the reason kept on this side
      redraft / identity "remove page" / an operator's re-processing → draft again, new tasks

A decision is never taken from a message: the webhook receiver and the fleet reconciler only hint (through the
referral) that tasks changed, and the round reads the decisions of its pending tasks from Label Studio itself (an
activity, with the service token). The reminder timer looks too, so a lost webhook loses nothing; reminders follow
a configured interval and escalate after N. Each change is reported to the referral (signal `review_progress`)."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, CancelledError

with workflow.unsafe.imports_passed_through():
    from activities.review import (
        CreateReviewTasksInput,
        FetchDecisionsInput,
        RetireReviewTasksInput,
        ReviewActivities,
        SignDocumentInput,
    )
    from activities.summarize import SummaryActivities
    from flows.referral.contract import ReviewProgress, ReviewRoundInput, ReviewRoundReceiver, ReviewRoundState
    from flows.referral.failures import MODEL_RETRY, failure_detail
    from flows.referral.io import PageRef, ProcessingStage, ReprocessRequest
    from review.models import Decision, ReviewDecision, ReviewState, undecided

# Label Studio may be down for a while (restart, upgrade): keep trying, backing off to a minute.
_LABEL_STUDIO_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1))
# signing is retried the same way, except when the reviewer may not sign: that is an answer, not an outage
_SIGN_REFUSALS = {"NotOnRoster": "signer_not_on_roster", "NotInDepartment": "signer_not_in_department",
                  "NoSigningKey": "signer_has_no_signing_key"}  # fmt: skip
_SIGN_RETRY = dataclasses.replace(_LABEL_STUDIO_RETRY, non_retryable_error_types=[*_SIGN_REFUSALS, "UnsignedDecision"])


def _cancelled(err: BaseException) -> bool:
    return isinstance(err, asyncio.CancelledError) or isinstance(getattr(err, "cause", None), CancelledError)


@workflow.defn
class ReviewRoundWorkflow(ReviewRoundState):
    @workflow.init
    def __init__(self, inp: ReviewRoundInput) -> None:
        self._inp = inp
        self._settings = inp.settings
        self._progress = ReviewProgress(
            round_id=inp.round_id, task_round=inp.first_task_round - 1, excluded_pages=inp.drafting.excluded_pages
        )
        self._reviews: dict[int, ReviewState] = {}
        self._inbox: list[ReviewDecision] = []
        self._look = False  # a hint arrived: read the pending tasks' decisions
        self._seen_annotations: set[int] = set()  # annotation ids of this board already taken in
        self._reprocess: ReprocessRequest | None = None

    @workflow.run
    async def run(self, inp: ReviewRoundInput) -> ReviewProgress:
        try:
            while await self._draft() and await self._review() == Decision.REDRAFT:
                pass
        except (asyncio.CancelledError, ActivityError) as err:
            if not _cancelled(err):
                raise
            # the referral closed: its undecided drafts are taken off the board, so nobody reviews them for nothing
            await self._retire([s for s in self._reviews.values() if s.status == "pending"], "closed")
            raise
        return self._sync()

    # ---- from the referral ------------------------------------------------------------------------------------
    @workflow.signal
    def review_updated(self, task_ids: list[int]) -> None:
        """Tasks changed on the board: look, if one of them is pending here. The hint is no decision."""
        pending = {task_id for task_id, state in self._reviews.items() if state.status == "pending"}
        self._look = self._look or bool(pending & set(task_ids))

    @workflow.signal
    def reprocess(self, request: ReprocessRequest) -> None:
        """An operator's re-processing (a new model version): the drafts are made again, only while none of them
        has a decision. The referral's validator checks that too; the round checks again itself, since anyone able
        to signal the round could send this straight here, and reads the board before it supersedes anything."""
        self._reprocess = self._reprocess or request

    @workflow.query
    def progress(self) -> ReviewProgress:
        """What the round holds now: the referral reads it back each time the round reports."""
        return self._sync()

    # ---- the round --------------------------------------------------------------------------------------------
    def _sync(self) -> ReviewProgress:
        self._progress.reviews = list(self._reviews.values())
        return self._progress

    async def _report(self, stage: ProcessingStage | None = None) -> None:
        if stage is not None:
            self._progress.stage = stage
        parent = workflow.info().parent
        assert parent is not None, "a review round runs as a referral's child workflow"
        handle = workflow.get_external_workflow_handle(parent.workflow_id)
        await handle.signal(ReviewRoundReceiver.review_progress, self._sync())

    async def _draft(self) -> bool:
        """The round's drafts (again, after a re-draft or without a removed page). False when the summary failed.
        The referral hears of the drafts once their tasks are on the board: two reports (drafting, drafts made)
        only where it could not know: drafting again, or a board slow to take the tasks."""
        if self._progress.task_round >= self._inp.first_task_round:  # drafting again; the first time it knows
            await self._report(ProcessingStage.SUMMARY_RUNNING)
        drafting = self._inp.drafting.model_copy(update={"excluded_pages": self._progress.excluded_pages})
        try:
            self._progress.summary = await workflow.execute_activity_method(
                SummaryActivities.summarize_records,
                drafting,
                task_queue=self._settings.gpu_task_queue,
                start_to_close_timeout=timedelta(minutes=15),
                heartbeat_timeout=timedelta(seconds=self._settings.ocr_heartbeat_timeout_s),
                retry_policy=MODEL_RETRY,
            )
        except ActivityError as err:
            if _cancelled(err):
                raise
            self._progress.stage_error = failure_detail(err)
            workflow.logger.warning("drafting failed: %s", self._progress.stage_error)
            await self._report(ProcessingStage.SUMMARY_FAILED)
            return False
        task_round = self._progress.task_round + 1  # new drafts get new tasks; the old ones keep their decisions
        summary = self._progress.summary
        creating = workflow.start_activity_method(
            ReviewActivities.create_review_tasks,
            CreateReviewTasksInput(
                referral_id=self._inp.drafting.referral.referral_id,
                org=self._inp.org,  # on that institution's board, for its clinicians only
                round=task_round,
                drafts=summary.drafts,
                ocr=self._inp.drafting.ocr,
                transcripts=self._inp.drafting.transcripts,
                identity=summary.identity,
            ),
            start_to_close_timeout=timedelta(minutes=2),
            retry_policy=_LABEL_STUDIO_RETRY,
        )
        try:
            await workflow.wait_condition(creating.done, timeout=timedelta(seconds=self._settings.review_board_wait_s))
        except TimeoutError:  # Label Studio is down or slow: the referral shows its drafts meanwhile
            await self._report(ProcessingStage.AWAITING_REVIEW)
        except asyncio.CancelledError:
            creating.cancel()  # the referral closed: no tasks for drafts nobody will review
            raise
        tasks = await creating
        self._progress.task_round = task_round
        self._reviews = {task.task_id: ReviewState(task=task, side=self._inp.side) for task in tasks}
        await self._report(ProcessingStage.AWAITING_REVIEW)
        return True

    async def _review(self) -> Decision:
        """Wait for the decisions of this draft's tasks; a reminder is a durable timer that also looks."""
        while any(state.status == "pending" for state in self._reviews.values()):
            reminder_due = False
            try:
                await workflow.wait_condition(
                    lambda: self._look or self._reprocess is not None,
                    timeout=timedelta(seconds=self._settings.review_reminder_s),
                )
            except TimeoutError:  # look once more, then remind if still undecided
                self._look = reminder_due = True
            if self._reprocess is not None:
                request, self._reprocess = self._reprocess, None
                await self._read_decisions()  # a decision made on the board and not yet read wins
                if self._inbox or not undecided(list(self._reviews.values())):
                    self._progress.reprocess_refused.append(f"{request.actor}: {request.reason}")
                    workflow.logger.warning("re-processing refused: a draft of this round already has a decision")
                    await self._report()
                else:  # new drafts replace these: new tasks
                    if request.gpu_task_queue:
                        self._settings = self._settings.model_copy(update={"gpu_task_queue": request.gpu_task_queue})
                    self._progress.superseded += list(self._reviews.values())
                    await self._retire(list(self._reviews.values()), "superseded")
                    return Decision.REDRAFT
            if self._look:
                self._look = False
                await self._read_decisions()
            if reminder_due and not self._inbox:
                await self._remind()
            while self._inbox:
                outcome = await self._apply(self._inbox.pop(0))
                await self._report()
                if outcome is not None:
                    return outcome
        await self._report(ProcessingStage.SIGNED)
        return Decision.APPROVE

    async def _retire(self, states: list[ReviewState], status: str) -> None:
        """Mark these tasks `status` and take them off the board that holds them."""
        if not states:
            return
        for state in states:
            state.status = status
        await workflow.execute_activity_method(
            ReviewActivities.retire_review_tasks,
            RetireReviewTasksInput(org=self._inp.org, task_ids=[state.task.task_id for state in states]),
            start_to_close_timeout=timedelta(minutes=2),
            retry_policy=_LABEL_STUDIO_RETRY,
        )

    async def _read_decisions(self) -> None:
        pending = [state.task for state in self._reviews.values() if state.status == "pending"]
        try:
            found = await workflow.execute_activity_method(
                ReviewActivities.fetch_decisions,
                FetchDecisionsInput(referral_id=self._inp.drafting.referral.referral_id, tasks=pending),
                start_to_close_timeout=timedelta(minutes=1),
                retry_policy=RetryPolicy(maximum_attempts=3),
            )
        except ActivityError as err:
            if _cancelled(err):
                raise
            workflow.logger.warning("Label Studio unreachable; the next hint or reminder looks again")
            return
        for decision in found:
            state = self._reviews.get(decision.task_id)
            if state is None or state.status != "pending" or decision.annotation_id in self._seen_annotations:
                continue  # a task of an older draft, one already decided, or a decision already taken in
            self._seen_annotations.add(decision.annotation_id)
            self._inbox.append(decision)

    async def _remind(self) -> None:
        progress = self._progress
        progress.reminders += 1
        progress.escalated = progress.reminders >= self._settings.review_escalate_after
        workflow.logger.warning("review reminder %d (escalated: %s)", progress.reminders, progress.escalated)
        await self._report()

    async def _apply(self, decision: ReviewDecision) -> Decision | None:
        state = self._reviews[decision.task_id]
        state.decision = decision
        summary = self._progress.summary
        identity = summary.identity if summary else []
        if decision.decision == Decision.APPROVE and identity and decision.identity is None:
            # no signature while a page may be another patient's: the task stays open, an updated annotation counts
            self._refuse(state, decision, "identity_unmarked")
            return None
        if decision.decision == Decision.APPROVE and identity and decision.identity == "remove":
            for finding in identity:
                page = PageRef(document_key=finding.document_key, page=finding.page)
                if page not in self._progress.excluded_pages:
                    self._progress.excluded_pages.append(page)
            state.status = "redraft"
            return Decision.REDRAFT  # the drafts are made again without the removed pages; new tasks follow
        if decision.decision == Decision.APPROVE:
            try:
                state.signed = await workflow.execute_activity_method(
                    ReviewActivities.sign_document,
                    SignDocumentInput(
                        referral_id=self._inp.drafting.referral.referral_id,
                        org=self._inp.org,
                        task=state.task,
                        decision=decision,
                        identity=identity,
                        departments=self._settings.review_plan.departments(state.task.kind),
                    ),  # fmt: skip
                    start_to_close_timeout=timedelta(minutes=2),
                    retry_policy=_SIGN_RETRY,
                )
            except ActivityError as err:
                if not isinstance(err.cause, ApplicationError) or err.cause.type not in _SIGN_REFUSALS:
                    raise
                # not a clinician who may sign this draft for this institution: the task stays open for one who may
                self._refuse(state, decision, _SIGN_REFUSALS[err.cause.type])
                return None
            state.refused = None
            state.status = "approved"
            return None
        if decision.decision == Decision.REJECT:
            state.status = "rejected"
            reason = decision.reason or "사유 없음 (no reason given)"
            self._progress.stage_error = f"반려 (rejected) {state.task.kind}: {reason}"
            self._progress.stage = ProcessingStage.REVIEW_REJECTED
            return Decision.REJECT
        state.status = "redraft"
        return Decision.REDRAFT

    def _refuse(self, state: ReviewState, decision: ReviewDecision, why: str) -> None:
        """The approval is not signed; the task stays open and an updated annotation counts again."""
        state.refused = why
        self._seen_annotations.discard(decision.annotation_id)
        workflow.logger.warning("approval refused: %s (task %d)", why, decision.task_id)
