"""The duplicate-test check of planned orders, on the CPU worker: the referral's stored summary (read by its
key, checked against its hash by the store) against the orders, with the validity table."""

from __future__ import annotations

from pydantic import BaseModel
from temporalio import activity

from activities.stored import read_stored
from referral.storage import DocumentStore
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
        data = read_stored(self.store, inp.summary_key, "the referral's summary")
        summary = ClinicalSummary.model_validate_json(data)
        return check_orders(summary, inp.orders)
