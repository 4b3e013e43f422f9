"""Delivery stage of ReferralWorkflow (a mixin): once the drafts are signed, the referral goes to the receiving
hospital's gateway as a FHIR message; the gateway's receipt moves the referral to RECEIVED on behalf of the
receiving system. Outages are retried with backoff capped at a maximum interval; refusals are final and kept."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from typing import TYPE_CHECKING

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.deliver import DeliverInput, DeliveryActivities
    from flows.referral.failures import failure_detail
    from flows.referral.io import (
        Appointment,
        ConsentWithdrawal,
        ConsentWithdrawalRecord,
        DeliveryReceipt,
        EventRequest,
        PageRef,
        ProcessingStage,
        TaskUpdate,
        TransitionRecord,
        WorkflowSettings,
    )
    from referral.models import Referral, Side
    from referral.states import TERMINAL_STATES, ReferralEvent, ReferralState
    from review.models import ReviewState, SignedDocumentRef

# (is it the 회송 message, state when the receipt arrives) → the event the receipt stands for
_EVENT_ON_RECEIPT = {
    (False, ReferralState.DRAFT): ReferralEvent.RECEIVE,
    (True, ReferralState.IN_CARE): ReferralEvent.COMPLETE,
}
_FINAL_DELIVERY_ERRORS = ["DeliveryRejected", "InvalidFhir", "NoCredentials", "DocumentMissing", "IntegrityError"]


class DeliveryStage:
    _referral: Referral
    _settings: WorkflowSettings
    _state: ReferralState
    _reviews: dict[int, ReviewState]
    _delivery: DeliveryReceipt | None
    _stage_error: str | None
    _appointment: Appointment | None
    _excluded_pages: list[PageRef]

    if TYPE_CHECKING:  # provided by ReferralWorkflow or another of its stages: declared here, never shadowed

        def _set_stage(self, stage: ProcessingStage) -> None: ...
        def _fail(self, stage: ProcessingStage, err: ActivityError) -> None: ...
        def _transition(self, request: EventRequest) -> TransitionRecord: ...

    def _init_delivery(self) -> None:
        self._delivery = None
        self._consent_withdrawn: ConsentWithdrawalRecord | None = None
        self._updates: list[TaskUpdate] = []  # the receiving side's acts, not yet at the referring side
        self._updates_sent = 0

    def _notify(self, record: TransitionRecord) -> None:
        """Queue the receiving side's act for the referring side's system (a BSeR Task update)."""
        appointment = record.appointment
        if record.event in (ReferralEvent.NO_SHOW, ReferralEvent.CANCEL_APPOINTMENT):
            appointment = self._appointment  # the booking that was missed or cancelled
        self._updates.append(TaskUpdate(
            seq=record.seq, event=record.event, state=record.to_state, reason=record.reason,
            reason_code=record.reason_code, reason_display=record.reason_display,
            reason_system=self._settings.reason_codes.system if record.reason_code else None, appointment=appointment,
        ))  # fmt: skip

    async def _notify_referring_side(self) -> None:
        """Send the queued updates in order, each retried through the referring gateway's outages; a refusal is
        logged and the next one goes on."""
        while True:
            await workflow.wait_condition(lambda: bool(self._updates))
            update = self._updates[0]
            try:
                await self._send(self._referral.referring.org, "task-update", update.state, [], update)
                self._updates_sent += 1
            except ActivityError as err:
                workflow.logger.warning("task update %d refused: %s", update.seq, failure_detail(err))
            self._updates.pop(0)

    @workflow.update
    def withdraw_consent(self, request: ConsentWithdrawal) -> ConsentWithdrawalRecord:
        """The patient withdrew the consent to send records: a delivery still being retried stops, and nothing of
        this referral is sent again (documents or studies, in either direction)."""
        self._consent_withdrawn = ConsentWithdrawalRecord(**request.model_dump(), at=workflow.now())
        return self._consent_withdrawn

    @withdraw_consent.validator
    def validate_withdrawal(self, request: ConsentWithdrawal) -> None:
        if request.org != self._referral.referring.org:
            raise ApplicationError("the referring side, which took the consent, records its withdrawal",
                                   type="NotAParty", non_retryable=True)  # fmt: skip
        if self._state in TERMINAL_STATES or self._consent_withdrawn is not None:
            raise ApplicationError("the referral is closed or its consent already withdrawn", type="TransitionRefused",
                                   non_retryable=True)  # fmt: skip

    def _stop_for_withdrawn_consent(self) -> bool:
        if self._consent_withdrawn is None:
            return False
        self._stage_error = "동의 철회 (consent withdrawn): nothing more of this referral is sent"
        self._set_stage(ProcessingStage.CONSENT_WITHDRAWN)
        return True

    async def _deliver(self, target_org: str, event: str) -> None:
        """Deliver the signed documents of the current review round to `target_org`'s gateway, unless the patient
        withdrew consent before or while it is being retried."""
        if self._stop_for_withdrawn_consent():
            return
        self._set_stage(ProcessingStage.DELIVERING)
        returning = event == "return-referral"
        state = ReferralState.COMPLETED if returning else self._state
        signed = [state.signed for state in self._reviews.values() if state.signed is not None]
        sending = asyncio.create_task(self._send(target_org, event, state, signed))
        await workflow.wait_condition(lambda: sending.done() or self._consent_withdrawn is not None)
        if not sending.done():  # withdrawn while the gateway was retried: stop trying
            sending.cancel()
            with contextlib.suppress(asyncio.CancelledError, ActivityError):
                await sending
            self._stop_for_withdrawn_consent()
            return
        try:
            self._delivery = sending.result()
        except ActivityError as err:
            self._fail(ProcessingStage.DELIVERY_FAILED, err)
            return
        self._set_stage(ProcessingStage.DELIVERED)
        # The receipt is the receiving system's act: the referral was received, or the outcome was sent.
        receiving = self._referral.receiving.org
        event_on_receipt = _EVENT_ON_RECEIPT.get((returning, self._state))
        if event_on_receipt is not None:
            self._transition(EventRequest(
                event=event_on_receipt, side=Side.RECEIVING, org=receiving, actor=f"gateway:{target_org}",
                reason=f"receipt of message {self._delivery.message_id}",
            ))  # fmt: skip

    async def _send(
        self, target_org: str, event: str, state: ReferralState, signed: list[SignedDocumentRef],
        update: TaskUpdate | None = None,
    ) -> DeliveryReceipt:  # fmt: skip
        return await workflow.execute_activity_method(
            DeliveryActivities.deliver_message,
            DeliverInput(
                referral=self._referral,
                state=state,
                signed=signed,
                target_org=target_org,
                event=event,
                update=update,
                excluded_pages=self._excluded_pages,
            ),  # fmt: skip
            start_to_close_timeout=timedelta(minutes=2),
            retry_policy=RetryPolicy(
                initial_interval=timedelta(seconds=self._settings.delivery_retry_initial_s),
                backoff_coefficient=2.0,
                maximum_interval=timedelta(seconds=self._settings.delivery_retry_max_s),
                non_retryable_error_types=_FINAL_DELIVERY_ERRORS,
            ),
        )
