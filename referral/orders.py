"""What the receiving side plans to order, checked against the tests already done (the duplicate-test guard),
and the clinician's choice for each avoidable repeat (cancel the order, or keep it with a reason). Planned orders
arrive as plain JSON or as FHIR R4 ServiceRequests (one, or a Bundle of them, as an EMR drafts them)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from referral.summary.dates import as_date
from referral.summary.guard import GuardReport, PlannedOrder

OrderSource = Literal["api", "fhir", "cds-hooks"]


class OrderCheckRequest(BaseModel):
    org: str
    actor: str = Field(min_length=1, max_length=100)
    orders: list[PlannedOrder] = Field(min_length=1, max_length=50)
    order_ids: list[str | None] = Field(default_factory=list, description="the EMR's ids of the draft orders")
    source: OrderSource = "api"


class OrderCheck(BaseModel):
    """One check of planned orders, as recorded on the referral."""

    check_id: str
    at: datetime
    actor: str
    source: OrderSource
    orders: list[PlannedOrder]
    order_ids: list[str | None] = Field(default_factory=list)
    report: GuardReport


class OrderChoice(BaseModel):
    """The ordering clinician's choice for one avoidable repeat of a check."""

    org: str
    actor: str = Field(min_length=1, max_length=100)
    check_id: str
    test: str = Field(description="the repeated test, as the check named it")
    choice: Literal["cancelled", "kept"]
    reason: str | None = Field(default=None, max_length=500)


class OrderChoiceRecord(OrderChoice):
    at: datetime
    example_cost_krw: int = 0


class NotAServiceRequest(ValueError):
    """A FHIR body that is not a ServiceRequest, or one that names no test."""


def _coded(resource: dict[str, Any]) -> tuple[str | None, str | None]:
    concept = resource.get("code")
    if not isinstance(concept, dict):
        raise NotAServiceRequest("ServiceRequest.code is required (a CodeableConcept)")
    codings = [c for c in concept.get("coding") or [] if isinstance(c, dict)]
    code = next((str(c["code"]) for c in codings if c.get("code")), None)
    name = concept.get("text") or next((str(c["display"]) for c in codings if c.get("display")), None)
    if not code and not name:
        raise NotAServiceRequest("ServiceRequest.code names no test: give a coding code or a text")
    return code, name


def _planned_on(resource: dict[str, Any], default: date) -> date:
    for field in ("occurrenceDateTime", "authoredOn"):
        value = resource.get(field)
        if value:
            when = as_date(str(value)[:10])
            if when is None:
                raise NotAServiceRequest(f"ServiceRequest.{field} is not a date: {str(value)[:40]}")
            return when
    return default


def service_requests(body: Any, default_date: date) -> tuple[list[PlannedOrder], list[str | None]]:
    """The planned orders of a ServiceRequest or a Bundle of them, with their resource ids."""
    if not isinstance(body, dict):
        raise NotAServiceRequest("a FHIR resource is a JSON object")
    if body.get("resourceType") == "Bundle":
        resources = [e.get("resource") for e in body.get("entry") or [] if isinstance(e, dict)]
    else:
        resources = [body]
    orders: list[PlannedOrder] = []
    ids: list[str | None] = []
    for resource in resources:
        if not isinstance(resource, dict) or resource.get("resourceType") != "ServiceRequest":
            kind = resource.get("resourceType") if isinstance(resource, dict) else type(resource).__name__
            raise NotAServiceRequest(f"expected ServiceRequest resources, got {kind}")
        code, name = _coded(resource)
        orders.append(PlannedOrder(code=code, name=name, planned_on=_planned_on(resource, default_date)))
        ids.append(str(resource["id"]) if resource.get("id") else None)
    if not orders:
        raise NotAServiceRequest("the Bundle holds no ServiceRequest")
    return orders, ids


def tests_avoided(choices: list[OrderChoiceRecord]) -> tuple[int, int]:
    """(orders cancelled because a prior test was still valid, their example cost)."""
    cancelled = [c for c in choices if c.choice == "cancelled"]
    return len(cancelled), sum(c.example_cost_krw for c in cancelled)
