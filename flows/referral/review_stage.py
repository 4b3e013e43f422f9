"""The clinician review stage of ReferralWorkflow (a mixin, so the workflow file stays one screen per concern).

Drafts become Label Studio tasks. A decision is never taken from a message: the webhook receiver and the
fleet reconciler (flows/fleet/review_reconciler.py) only hint that tasks changed, and the workflow then reads the
decisions of its pending tasks from Label Studio (an activity, with the service token). The reminder timer looks
too, so a lost webhook and a missed reconciler run lose nothing; reminders follow a configured interval and
escalate after N. approve → signed document; reject → back to the referring side with the reason; redraft → the
summary stage runs again. An operator's re-processing request (a new model version) supersedes an undecided
round the same way: the summary runs again and the new drafts get new tasks."""

from __future__ import annotations

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
    from referral.models import Referral, Side
    from referral.review_plan import ROUND_SIDE, ReviewRoundName
    from referral.search_attributes import REVIEW_ESCALATED, REVIEW_REMINDERS
    from referral.workflow_io import (
        OcrSummary,
        PageRef,
        ProcessingStage,
        ReprocessRequest,
        SummaryResult,
        TranscriptSummary,
        WorkflowSettings,
    )
    from review.models import Decision, ReviewDecision, ReviewState

# Label Studio may be down for a while (restart, upgrade): keep trying, backing off to a minute.
_LABEL_STUDIO_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1))
# signing is retried the same way, except when the reviewer may not sign: that is an answer, not an outage
_SIGN_REFUSALS = {"NotOnRoster": "signer_not_on_roster", "NotInDepartment": "signer_not_in_department"}
_SIGN_RETRY = dataclasses.replace(_LABEL_STUDIO_RETRY, non_retryable_error_types=[*_SIGN_REFUSALS, "UnsignedDecision"])


class ReviewStage:
    _referral: Referral
    _settings: WorkflowSettings
    _summary: SummaryResult | None
    _ocr: list[OcrSummary]
    _transcripts: list[TranscriptSummary]
    _stage_error: str | None
    _stage: ProcessingStage

    def _init_review(self) -> None:
        self._reviews: dict[int, ReviewState] = {}
        self._inbox: list[ReviewDecision] = []
        self._look = False  # a hint arrived: read the pending tasks' decisions
        self._review_side: Side | None = None
        self._seen_annotations: set[tuple[str, int]] = set()  # (board's institution, annotation id): ids are per board
        self._reminders = 0
        self._escalated = False
        self._review_round = 0
        self._reprocess: ReprocessRequest | None = None
        self._superseded: list[ReviewState] = []
        self._excluded_pages: list[PageRef] = []
        self._round: ReviewRoundName | None = None  # the review plan's round whose drafts are (or were last) reviewed
        self._round_open = False
        self._past_reviews: list[ReviewState] = []

    def _set_stage(self, stage: ProcessingStage) -> None:
        raise NotImplementedError

    async def _summarize(self) -> bool:
        raise NotImplementedError

    def _hint(self, task_ids: list[int]) -> None:
        """Tasks changed on the board: look, if one of them is pending here. The hint is no decision."""
        pending = {task_id for task_id, state in self._reviews.items() if state.status == "pending"}
        self._look = self._look or bool(pending & set(task_ids))

    def _receive(self, decision: ReviewDecision) -> None:
        state = self._reviews.get(decision.task_id)
        if state is None or state.status != "pending":
            return  # a task of an older draft, or one already decided
        seen = (state.task.org, decision.annotation_id)
        if seen in self._seen_annotations:
            return  # a repeated webhook, or a poll that found a known decision
        self._seen_annotations.add(seen)
        self._inbox.append(decision)

    async def _run_round(self, name: ReviewRoundName) -> bool:
        """One round of the review plan: its drafts made and reviewed by its side's clinicians until decided.
        Rounds of one referral take turns (their drafts and tasks are the workflow's current ones). True when
        every draft of the round was signed."""
        if not self._settings.review_plan.round(name).drafts:
            return False  # this deployment makes no drafts at this point
        await workflow.wait_condition(lambda: not self._round_open)
        self._round_open = True
        try:
            self._past_reviews += list(self._reviews.values())
            self._reviews = {}
            self._summary = None  # the last round's drafts were its side's: none of them shows in this round
            self._round = name
            self._reminders, self._escalated = 0, False  # reminders are about the drafts now under review
            if not await self._summarize():
                return False
            await self._review_until_decided(ROUND_SIDE[name])
        except ActivityError as err:
            if not isinstance(err.cause, CancelledError):
                raise
            return False  # the referral closed while the round was under review
        finally:
            self._round_open = False
        return self._stage == ProcessingStage.SIGNED

    async def _review_until_decided(self, side: Side) -> None:
        """Review rounds of `side`'s clinicians until every draft is decided (a re-draft starts a new round)."""
        self._review_side = side
        while self._summary is not None:
            self._review_round += 1  # a re-draft gets new tasks; the old ones keep their decisions
            tasks = await workflow.execute_activity_method(
                ReviewActivities.create_review_tasks,
                CreateReviewTasksInput(
                    referral_id=self._referral.referral_id,
                    org=self._referral.party(side).org,  # on that institution's board, for its clinicians only
                    round=self._review_round,
                    drafts=self._summary.drafts,
                    ocr=self._ocr,
                    transcripts=self._transcripts,
                    identity=self._summary.identity,
                ),
                start_to_close_timeout=timedelta(minutes=2),
                retry_policy=_LABEL_STUDIO_RETRY,
            )
            self._reviews = {task.task_id: ReviewState(task=task, side=side) for task in tasks}
            if await self._await_decisions() != Decision.REDRAFT or not await self._summarize():
                return

    async def _retire_open_tasks(self) -> None:
        """The referral closed: its undecided drafts are taken off the board, so nobody reviews them for nothing."""
        await self._retire([state for state in self._reviews.values() if state.status == "pending"], "closed")

    async def _retire(self, states: list[ReviewState], status: str) -> None:
        """Mark these tasks of the current round `status` and take them off the board that holds them."""
        if not states:
            return
        for state in states:
            state.status = status
        await workflow.execute_activity_method(
            ReviewActivities.retire_review_tasks,
            RetireReviewTasksInput(org=states[0].task.org, task_ids=[state.task.task_id for state in states]),
            start_to_close_timeout=timedelta(minutes=2),
            retry_policy=_LABEL_STUDIO_RETRY,
        )

    async def _await_decisions(self) -> Decision:
        while any(state.status == "pending" for state in self._reviews.values()):
            reminder_due = False
            try:
                await workflow.wait_condition(
                    lambda: self._look or self._reprocess is not None,
                    timeout=timedelta(seconds=self._settings.review_reminder_s),
                )
            except TimeoutError:  # a durable timer: look once more, then remind if still undecided
                self._look = reminder_due = True
            if self._reprocess is not None:  # new drafts replace these: a new round with new tasks
                self._reprocess = None
                self._superseded += list(self._reviews.values())
                await self._retire(list(self._reviews.values()), "superseded")
                return Decision.REDRAFT
            if self._look:
                self._look = False
                await self._read_decisions()
            if reminder_due and not self._inbox:
                self._remind()
            while self._inbox:
                decision = self._inbox.pop(0)
                outcome = await self._apply(decision)
                if outcome is not None:
                    return outcome
        self._set_stage(ProcessingStage.SIGNED)
        return Decision.APPROVE

    async def _read_decisions(self) -> None:
        pending = [state.task for state in self._reviews.values() if state.status == "pending"]
        try:
            found = await workflow.execute_activity_method(
                ReviewActivities.fetch_decisions,
                FetchDecisionsInput(referral_id=self._referral.referral_id, tasks=pending),
                start_to_close_timeout=timedelta(minutes=1),
                retry_policy=RetryPolicy(maximum_attempts=3),
            )
        except ActivityError:
            workflow.logger.warning("Label Studio unreachable; the next hint or reminder looks again")
            return
        for decision in found:
            self._receive(decision)

    def _remind(self) -> None:
        self._reminders += 1
        self._escalated = self._reminders >= self._settings.review_escalate_after
        workflow.logger.warning("review reminder %d (escalated: %s)", self._reminders, self._escalated)
        workflow.upsert_search_attributes(
            [REVIEW_REMINDERS.value_set(self._reminders), REVIEW_ESCALATED.value_set(self._escalated)]
        )

    async def _apply(self, decision: ReviewDecision) -> Decision | None:
        state = self._reviews[decision.task_id]
        state.decision = decision
        identity = self._summary.identity if self._summary else []
        if decision.decision == Decision.APPROVE and identity and decision.identity is None:
            # no signature while a page may be another patient's: the task stays open, an updated annotation counts
            state.refused = "identity_unmarked"
            self._seen_annotations.discard((state.task.org, decision.annotation_id))
            workflow.logger.warning("approval without the identity mark refused (task %d)", decision.task_id)
            return None
        if decision.decision == Decision.APPROVE and identity and decision.identity == "remove":
            for finding in identity:
                page = PageRef(document_key=finding.document_key, page=finding.page)
                if page not in self._excluded_pages:
                    self._excluded_pages.append(page)
            state.status = "redraft"
            return Decision.REDRAFT  # the summary runs again without the removed pages; new tasks follow
        if decision.decision == Decision.APPROVE:
            party = self._referral.party(state.side)
            try:
                state.signed = await workflow.execute_activity_method(
                    ReviewActivities.sign_document,
                    SignDocumentInput(
                        referral_id=self._referral.referral_id,
                        org=party.org,
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
                state.refused = _SIGN_REFUSALS[err.cause.type]
                self._seen_annotations.discard((state.task.org, decision.annotation_id))
                workflow.logger.warning("approval refused: %s (task %d)", state.refused, decision.task_id)
                return None
            state.refused = None
            state.status = "approved"
            return None
        if decision.decision == Decision.REJECT:
            state.status = "rejected"
            self._stage_error = f"반려 (rejected) {state.task.kind}: {decision.reason or '사유 없음 (no reason given)'}"
            self._set_stage(ProcessingStage.REVIEW_REJECTED)
            return Decision.REJECT
        state.status = "redraft"
        return Decision.REDRAFT
