"""The duplicate-test check of planned orders, on the CPU worker: the referral's stored summary (read by its
key, checked against its hash by the store) against the orders, with the validity table."""

from __future__ import annotations

from pydantic import BaseModel
from temporalio import activity
from temporalio.exceptions import ApplicationError

from referral.storage import DocumentStore, IntegrityError, ObjectNotFound
from referral.summary.guard import GuardReport, PlannedOrder, check_orders
from referral.summary.models import ClinicalSummary


class OrderCheckInput(BaseModel):
    summary_key: str
    orders: list[PlannedOrder]


class OrderActivities:
    def __init__(self, store: DocumentStore) -> None:
        self.store = store

    @activity.defn
    def check_planned_orders(self, inp: OrderCheckInput) -> GuardReport:
        try:
            summary = ClinicalSummary.model_validate_json(self.store.get(inp.summary_key))
        except (ObjectNotFound, IntegrityError) as err:
            raise ApplicationError(f"the referral's summary cannot be read: {type(err).__name__}",
                                   type=type(err).__name__, non_retryable=True) from None  # fmt: skip
        return check_orders(summary, inp.orders)
