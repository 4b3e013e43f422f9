"""Planned orders of the receiving side (a mixin of ReferralWorkflow): each check of planned orders against the
tests already done is recorded on the referral with what it found, and the ordering clinician's choice for each
avoidable repeat (cancel, or keep with a reason) is recorded beside it — the daily report counts the tests
avoided from these records."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.orders import OrderActivities, OrderCheckInput
    from flows.referral.io import DeliveryReceipt, SummaryResult, WorkflowSettings
    from referral.models import Referral
    from referral.orders import OrderCheck, OrderCheckRequest, OrderChoice, OrderChoiceRecord
    from referral.states import ReferralState

_CHECK_TIMEOUT = timedelta(seconds=30)
_CHECK_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_attempts=5)
_CLOSED = {ReferralState.DRAFT, ReferralState.CANCELLED, ReferralState.DECLINED, ReferralState.LOOP_CLOSED}


class OrderStage:
    _referral: Referral
    _state: ReferralState
    _summary: SummaryResult | None
    _delivery: DeliveryReceipt | None
    _settings: WorkflowSettings

    def _init_orders(self) -> None:
        self._order_checks: list[OrderCheck] = []
        self._order_choices: list[OrderChoiceRecord] = []

    def _refuse(self, message: str, kind: str) -> None:
        raise ApplicationError(message, type=kind, non_retryable=True)

    def _check_party(self, org: str) -> None:
        if org != self._referral.receiving.org:
            self._refuse("only the receiving side checks its planned orders", "NotAParty")
        if self._delivery is None or self._state in _CLOSED:
            self._refuse(f"planned orders are checked once the referral is delivered and open, not {self._state}",
                         "TransitionRefused")  # fmt: skip

    @workflow.update
    async def check_planned_orders(self, request: OrderCheckRequest) -> OrderCheck:
        assert self._summary is not None  # the validator refuses a check before there is a summary
        report = await workflow.execute_activity_method(
            OrderActivities.check_planned_orders,
            OrderCheckInput(summary_key=self._summary.summary_key, orders=request.orders),
            start_to_close_timeout=_CHECK_TIMEOUT,
            retry_policy=_CHECK_RETRY,
        )
        check = OrderCheck(
            check_id=f"{self._referral.referral_id}-orders-{len(self._order_checks) + 1}", at=workflow.now(),
            actor=request.actor, source=request.source, orders=request.orders, order_ids=request.order_ids,
            report=report,
        )  # fmt: skip
        self._order_checks.append(check)
        return check

    @check_planned_orders.validator
    def validate_check(self, request: OrderCheckRequest) -> None:
        self._check_party(request.org)
        if self._summary is None:
            self._refuse("the outside records are not summarised yet; nothing to check orders against", "NotReady")

    @workflow.update
    def record_order_choice(self, choice: OrderChoice) -> OrderChoiceRecord:
        check = next(c for c in self._order_checks if c.check_id == choice.check_id)
        repeat = next(r for r in check.report.repeats if r.test == choice.test)
        record = OrderChoiceRecord(**choice.model_dump(), at=workflow.now(), example_cost_krw=repeat.example_cost_krw)
        self._order_choices = [c for c in self._order_choices
                               if (c.check_id, c.test) != (choice.check_id, choice.test)] + [record]  # fmt: skip
        return record

    @record_order_choice.validator
    def validate_choice(self, choice: OrderChoice) -> None:
        self._check_party(choice.org)
        check = next((c for c in self._order_checks if c.check_id == choice.check_id), None)
        if check is None:
            self._refuse(f"no order check {choice.check_id} on this referral", "NotFound")
        elif all(r.test != choice.test for r in check.report.repeats):
            self._refuse(f"check {choice.check_id} found no avoidable repeat of {choice.test}", "NotFound")
        if choice.choice == "kept" and not (choice.reason or "").strip():
            self._refuse("keeping an avoidable repeat needs a reason", "ReasonRequired")
