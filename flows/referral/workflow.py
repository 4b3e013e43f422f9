"""ReferralWorkflow: one durable workflow per referral (workflow id = referral id).

Exposes:
- update `apply_event` (validated against the state machine of referral.states and the caller's side);
- signal `review_updated` (a hint that review tasks changed; decisions are read back, flows/referral/review_stage.py);
- queries `status`, `history`, `available_actions`.
Stages run as activities: intake validation (CPU queue) → OCR and dictation ASR (GPU queue) with the prior-imaging
search (CPU queue) → summary and drafts (GPU queue) → clinician review → delivery, then the studies are copied
to the receiving PACS → the 회송 loop (flows/referral/outcome_stage.py).
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, CancelledError

from flows.referral.delivery_stage import DeliveryStage
from flows.referral.media_stage import MediaStage
from flows.referral.orders_stage import OrderStage
from flows.referral.outcome_stage import OutcomeStage
from flows.referral.review_stage import ReviewStage
from flows.referral.sla import SlaTimers

with workflow.unsafe.imports_passed_through():
    from activities.intake import IntakeActivities, VerifyDocumentsInput
    from activities.ocr import OcrActivities, OcrDocumentInput
    from flows.referral.failures import DOCUMENT_ERRORS, MODEL_RETRY, failure_detail
    from flows.referral.io import (
        Appointment,
        EventRequest,
        OcrSummary,
        ProcessingStage,
        ReferralParticulars,
        ReferralStatus,
        ReferralWorkflowInput,
        ReprocessRecord,
        ReprocessRequest,
        SummaryResult,
        TransitionRecord,
    )
    from referral.models import DocumentRef, Side
    from referral.reasons import ReasonRefused
    from referral.review_plan import ReviewRoundName
    from referral.search_attributes import (
        RECEIVING_ORG,
        REFERRAL_DUE_TIME,
        REFERRAL_PRIORITY,
        REFERRAL_STAGE,
        REFERRAL_STATUS,
        REFERRING_ORG,
    )
    from referral.states import (
        SYSTEM_EVENTS,
        TERMINAL_STATES,
        ReferralEvent,
        ReferralState,
        TransitionRefused,
        available_events,
        check_event,
    )

# The accept/decline clock starts at receipt and keeps running through review and information requests.
_CLOCK_CONTINUES = {ReferralState.UNDER_REVIEW, ReferralState.INFO_REQUESTED}


@workflow.defn
class ReferralWorkflow(ReviewStage, DeliveryStage, OutcomeStage, SlaTimers, MediaStage, OrderStage):
    @workflow.init
    def __init__(self, inp: ReferralWorkflowInput) -> None:
        self._referral = inp.referral
        self._settings = inp.settings
        self._state = ReferralState.DRAFT
        self._stage = ProcessingStage.SUBMITTED
        self._stage_error: str | None = None
        self._stage_unlisted = False  # a stage set that the worklist's search attribute does not show yet
        self._history: list[TransitionRecord] = []
        self._ocr: list[OcrSummary] = []
        self._summary: SummaryResult | None = None
        self._init_review()
        self._init_delivery()
        self._init_outcome()
        self._init_sla()
        self._init_media()
        self._init_orders()
        self._reprocessed: list[ReprocessRecord] = []
        self._due_at: datetime | None = None
        self._appointment: Appointment | None = None

    @workflow.run
    async def run(self, inp: ReferralWorkflowInput) -> ReferralStatus:
        self._restart_clock()
        self._mirror_search_attributes()
        pipelines = [asyncio.create_task(self._process_documents())]
        notifier = asyncio.create_task(self._notify_referring_side())
        while self._state not in TERMINAL_STATES:
            seen = len(self._history)
            timeout = self._sla_timeout()
            try:
                await workflow.wait_condition(
                    lambda seen=seen: (
                        self._state in TERMINAL_STATES  # type: ignore[misc]
                        or self._outcome is not None
                        or bool(self._interim)
                        or self._operation_asked
                        or len(self._history) != seen
                    ),
                    timeout=timeout,
                )
            except TimeoutError:  # the current wait is past due: remind, and escalate after N reminders
                self._sla_remind()
                continue
            if self._interim:  # documents of the stay: OCR them now, for the outcome drafts
                pipelines.append(asyncio.create_task(self._interim_pipeline(self._interim)))
                self._interim = []
            if self._operation_asked:  # a planned operation: its pre-anesthesia assessment, for the anaesthesiologist
                self._operation_asked = False
                pipelines.append(asyncio.create_task(self._operation_pipeline()))
            if self._outcome is not None:  # the receiving side asked for the 회송 documents
                pipelines.append(asyncio.create_task(self._outcome_pipeline(self._outcome)))
                self._outcome = None
        for pipeline in pipelines:
            if not pipeline.done():
                pipeline.cancel()  # a closed referral needs no more processing
            with contextlib.suppress(asyncio.CancelledError):
                await pipeline
        await workflow.wait_condition(lambda: not self._updates)  # the last acts (a decline) reach the referrer too
        notifier.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await notifier
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.status()

    # ---- stages -------------------------------------------------------------------------------------------
    async def _process_documents(self) -> None:
        try:
            await workflow.execute_activity_method(
                IntakeActivities.verify_documents,
                VerifyDocumentsInput(documents=self._referral.documents),
                start_to_close_timeout=timedelta(minutes=5),
                retry_policy=RetryPolicy(
                    initial_interval=timedelta(seconds=1),
                    maximum_interval=timedelta(seconds=30),
                    maximum_attempts=10,
                    non_retryable_error_types=DOCUMENT_ERRORS,
                ),
            )
        except ActivityError as err:
            self._fail(ProcessingStage.INTAKE_FAILED, err)
            return
        self._set_stage(ProcessingStage.INTAKE_VALIDATED)

        self._set_stage(ProcessingStage.OCR_RUNNING)
        # dictations (ASR) and prior imaging (PACS search) are read beside the documents
        imaging = asyncio.create_task(self._find_studies())
        try:
            self._ocr, self._transcripts = await asyncio.gather(
                self._ocr_documents(self._referral.documents), self._transcribe_dictations()
            )
        except ActivityError as err:
            imaging.cancel()
            heard = err.activity_type == "transcribe_dictation"
            self._fail(ProcessingStage.TRANSCRIPTION_FAILED if heard else ProcessingStage.OCR_FAILED, err)
            return
        self._set_stage(ProcessingStage.OCR_DONE)
        await imaging

        # the referring side's half: its letter, signed by its clinicians, delivered with the records and studies
        if not await self._run_round(ReviewRoundName.REFERRAL):
            return
        await self._deliver(self._referral.receiving.org, "referral")
        if self._stage != ProcessingStage.DELIVERED:
            return
        await self._transfer_studies(self._referral.receiving.org)
        # the receiving side's half begins at receipt: its own reading of the outside records, on its own board
        await self._run_round(ReviewRoundName.RECEIPT)

    async def _ocr_documents(self, documents: list[DocumentRef]) -> list[OcrSummary]:
        return list(
            await asyncio.gather(
                *(
                    workflow.execute_activity_method(
                        OcrActivities.ocr_document,
                        OcrDocumentInput(document=document, lang=self._settings.ocr_lang),
                        task_queue=self._settings.gpu_task_queue,
                        # ~4 s a page on one core, with room for a busy worker
                        start_to_close_timeout=timedelta(seconds=120 + 60 * document.page_count),
                        heartbeat_timeout=timedelta(seconds=self._settings.ocr_heartbeat_timeout_s),
                        retry_policy=MODEL_RETRY,
                    )
                    for document in documents
                )
            )
        )

    @workflow.signal
    async def review_updated(self, task_ids: list[int]) -> None:
        """From the webhook receiver or the fleet reconciler: these review tasks changed. A hint only, passed on
        to the review round under way, which reads the decisions from Label Studio itself."""
        await self._hint(task_ids)

    def _fail(self, stage: ProcessingStage, err: ActivityError) -> None:
        cause = err.cause
        if isinstance(cause, CancelledError):
            return  # the referral closed while the stage ran; nothing failed
        detail = failure_detail(err)
        self._stage_error = detail
        workflow.logger.warning("stage %s failed: %s", stage, detail)
        self._set_stage(stage)

    def _set_stage(self, stage: ProcessingStage) -> None:
        """The stage now; the worklist's copy is written once the workflow's current step has run, so stages
        passed through within one step (intake checked → OCR running) cost the server one write, not two."""
        self._stage = stage
        if not self._stage_unlisted:
            self._stage_unlisted = True
            asyncio.get_running_loop().call_soon(self._list_stage)

    def _list_stage(self) -> None:
        self._stage_unlisted = False
        workflow.upsert_search_attributes([REFERRAL_STAGE.value_set(self._stage.value)])

    # ---- state machine ------------------------------------------------------------------------------------
    @workflow.update
    def apply_event(self, request: EventRequest) -> TransitionRecord:
        record = self._transition(request)
        if request.side == Side.RECEIVING:  # the referring side's system learns what the receiving side did
            self._notify(record)
        return record

    def _transition(self, request: EventRequest) -> TransitionRecord:
        transition = check_event(self._state, request.event, request.side, request.reason)
        coded = self._settings.reason_codes.check(request.event, request.reason_code, request.reason)
        record = TransitionRecord(
            seq=len(self._history) + 1,
            event=request.event,
            from_state=self._state,
            to_state=transition.target,
            side=request.side,
            org=request.org,
            actor=request.actor,
            at=workflow.now(),
            reason=request.reason,
            reason_code=request.reason_code,
            reason_display=coded.display if coded else None,
            appointment=request.appointment,
        )
        if request.appointment is not None:
            self._appointment = request.appointment
        self._history.append(record)
        self._state = transition.target
        self._restart_clock()
        self._mirror_search_attributes()
        return record

    @apply_event.validator
    def validate_event(self, request: EventRequest) -> None:
        # A validator raises to reject: the event never enters history and nothing changes.
        if request.event in SYSTEM_EVENTS:
            raise ApplicationError(f"event {request.event} is recorded from the gateway's receipt, never sent",
                                   type="TransitionRefused", non_retryable=True)  # fmt: skip
        try:
            check_event(self._state, request.event, request.side, request.reason)
            self._settings.reason_codes.check(request.event, request.reason_code, request.reason)
        except TransitionRefused as err:
            raise ApplicationError(str(err), type="TransitionRefused", non_retryable=True) from None
        except ReasonRefused as err:
            raise ApplicationError(str(err), type="ReasonRequired", non_retryable=True) from None
        if (request.event == ReferralEvent.SCHEDULE) != (request.appointment is not None):
            raise ApplicationError("schedule, and only schedule, books an appointment (start, place)",
                                   type="AppointmentRequired", non_retryable=True)  # fmt: skip
        party = self._referral.party(request.side)
        if request.org != party.org:
            raise ApplicationError(
                f"institution {request.org} is not the {request.side} side of this referral",
                type="NotAParty",
                non_retryable=True,
            )

    def _restart_clock(self) -> None:
        if self._state in _CLOCK_CONTINUES:
            return
        if self._state == ReferralState.DRAFT:
            seconds: int | None = self._settings.receipt_sla_seconds.get(self._referral.priority)
        else:
            seconds = self._settings.sla_seconds.get(self._state)
        self._due_at = workflow.now() + timedelta(seconds=seconds) if seconds else None
        self._sla_reset()

    def _mirror_search_attributes(self) -> None:
        due = REFERRAL_DUE_TIME.value_set(self._due_at) if self._due_at else REFERRAL_DUE_TIME.value_unset()
        workflow.upsert_search_attributes(
            [
                REFERRAL_STATUS.value_set(self._state.value),
                REFERRAL_STAGE.value_set(self._stage.value),
                REFERRAL_PRIORITY.value_set(self._referral.priority.value),
                REFERRING_ORG.value_set(self._referral.referring.org),
                RECEIVING_ORG.value_set(self._referral.receiving.org),
                due,
            ]
        )

    # ---- re-processing (operators, e.g. a new model version) ---------------------------------------------------
    @workflow.update
    async def reprocess_summary(self, request: ReprocessRequest) -> ReprocessRecord:
        if request.gpu_task_queue:  # later model activities of this referral go to the new model's workers
            self._settings = self._settings.model_copy(update={"gpu_task_queue": request.gpu_task_queue})
        record = ReprocessRecord(**request.model_dump(), at=workflow.now(), review_round=self._review_round + 1)
        self._reprocessed.append(record)
        await self._reprocess_round(request)
        return record

    @reprocess_summary.validator
    def validate_reprocess(self, request: ReprocessRequest) -> None:
        if not self._may_reprocess():
            raise ApplicationError(
                f"only drafts still awaiting their first decision can be re-processed (stage {self._stage})",
                type="NotReprocessable", non_retryable=True,
            )  # fmt: skip

    # ---- queries ------------------------------------------------------------------------------------------
    @workflow.query
    def status(self) -> ReferralStatus:
        return ReferralStatus(
            referral_id=self._referral.referral_id,
            state=self._state,
            stage=self._stage,
            stage_error=self._stage_error,
            priority=self._referral.priority,
            referring_org=self._referral.referring.org,
            receiving_org=self._referral.receiving.org,
            due_at=self._due_at,
            fingerprint=self._referral.fingerprint,
            document_keys=[d.key for d in self._referral.documents],
            ocr=self._ocr,
            summary=self._summary,
            reviews=list(self._reviews.values()),
            review_reminders=self._reminders,
            review_escalated=self._escalated,
            delivery=self._delivery,
            past_reviews=[*self._past_reviews, *self._superseded],
            sla_reminders=self._sla_reminders,
            previous_referral_id=self._referral.previous_referral_id,
            interim_documents=self._interim_documents,
            sla_escalated=self._sla_escalated,
            transitions=len(self._history),
            dictations=self._transcripts,
            imaging=self._imaging,
            reprocessed=self._reprocessed,
            reprocess_refused=self._reprocess_refused,
            excluded_pages=self._excluded_pages,
            order_checks=self._order_checks,
            order_choices=self._order_choices,
            review_side=self._review_side,
            review_round=self._round,
            consent_withdrawn=self._consent_withdrawn,
            task_updates_sent=self._updates_sent,
            appointment=self._appointment,
            planned_operations=self._operations,
        )

    @workflow.query
    def particulars(self) -> ReferralParticulars:
        r = self._referral
        return ReferralParticulars(
            patient=r.patient, referring=r.referring, receiving=r.receiving, reason=r.reason,
            referral_type=r.referral_type, submitted_at=r.submitted_at, sla_escalated=self._sla_escalated,
            review_escalated=self._escalated, review_side=self._review_side,
        )  # fmt: skip

    @workflow.query
    def history(self) -> list[TransitionRecord]:
        return self._history

    @workflow.query
    def available_actions(self, side: Side) -> list[ReferralEvent]:
        return available_events(self._state, side)
