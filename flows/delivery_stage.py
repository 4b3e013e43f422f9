"""Delivery stage of ReferralWorkflow (a mixin): once the drafts are signed, the referral goes to the receiving
hospital's gateway as a FHIR message; the gateway's receipt moves the referral to RECEIVED on behalf of the
receiving system. Outages are retried with backoff capped at a maximum interval; refusals are final and kept."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.deliver import DeliverInput, DeliveryActivities
    from referral.models import Referral, Side
    from referral.states import ReferralEvent, ReferralState
    from referral.workflow_io import (
        DeliveryReceipt,
        EventRequest,
        ProcessingStage,
        TransitionRecord,
        WorkflowSettings,
    )
    from review.models import ReviewState

_FINAL_DELIVERY_ERRORS = ["DeliveryRejected", "InvalidFhir", "NoCredentials", "DocumentMissing", "IntegrityError"]


class DeliveryStage:
    _referral: Referral
    _settings: WorkflowSettings
    _state: ReferralState
    _reviews: dict[int, ReviewState]
    _delivery: DeliveryReceipt | None

    def _set_stage(self, stage: ProcessingStage) -> None:
        raise NotImplementedError

    def _fail(self, stage: ProcessingStage, err: ActivityError) -> None:
        raise NotImplementedError

    def _transition(self, request: EventRequest) -> TransitionRecord:
        raise NotImplementedError

    async def _deliver_referral(self) -> None:
        self._set_stage(ProcessingStage.DELIVERING)
        receiving = self._referral.receiving.org
        signed = [state.signed for state in self._reviews.values() if state.signed is not None]
        try:
            self._delivery = await workflow.execute_activity_method(
                DeliveryActivities.deliver_message,
                DeliverInput(referral=self._referral, state=self._state, signed=signed, target_org=receiving),
                start_to_close_timeout=timedelta(minutes=2),
                retry_policy=RetryPolicy(
                    initial_interval=timedelta(seconds=self._settings.delivery_retry_initial_s),
                    backoff_coefficient=2.0,
                    maximum_interval=timedelta(seconds=self._settings.delivery_retry_max_s),
                    non_retryable_error_types=_FINAL_DELIVERY_ERRORS,
                ),
            )
        except ActivityError as err:
            self._fail(ProcessingStage.DELIVERY_FAILED, err)
            return
        self._set_stage(ProcessingStage.DELIVERED)
        if self._state == ReferralState.DRAFT:
            self._transition(EventRequest(
                event=ReferralEvent.RECEIVE, side=Side.RECEIVING, org=receiving, actor=f"gateway:{receiving}",
                reason=f"receipt of message {self._delivery.message_id}",
            ))  # fmt: skip
