"""CDS Hooks requests and FHIR ServiceRequests read strictly: what a malformed request gets told, and what the
planned orders and feedback of a well-formed one are (the end-to-end check with a delivered referral is in
test_delivery.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from referral import cds_hooks
from referral.orders import NotAServiceRequest, service_requests

TODAY = date(2026, 10, 21)


def service_request(sid: str, text: str | None, when: str | None = "2026-10-21", code: str | None = None) -> dict:
    concept: dict[str, Any] = {}
    if text:
        concept["text"] = text
    if code:
        concept["coding"] = [{"system": "http://loinc.org", "code": code}]
    resource: dict[str, Any] = {"resourceType": "ServiceRequest", "id": sid, "status": "draft", "intent": "order",
                                "code": concept, "subject": {"reference": "Patient/p1"}}  # fmt: skip
    if when:
        resource["occurrenceDateTime"] = when
    return resource


def hook(hook_name: str = "order-select", **context: Any) -> dict[str, Any]:
    base = {"patientId": "ref-1", "userId": "Practitioner/dr-lee", "selections": ["ServiceRequest/ct"],
            "draftOrders": {"resourceType": "Bundle", "type": "collection",
                            "entry": [{"resource": service_request("ct", "Chest CT")},
                                      {"resource": service_request("cbc", "CBC")}]}}  # fmt: skip
    return {"hook": hook_name, "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea", "context": {**base, **context}}


def test_an_order_select_request_gives_the_selected_orders_with_their_dates_and_ids() -> None:
    referral_id, orders, ids = cds_hooks.parse_request(cds_hooks.SERVICE_SELECT, hook(), TODAY)
    assert referral_id == "ref-1" and ids == ["ct"]
    assert [(o.name, o.planned_on) for o in orders] == [("Chest CT", date(2026, 10, 21))]
    _, signed, _ = cds_hooks.parse_request(cds_hooks.SERVICE_SIGN, hook("order-sign"), TODAY)
    assert [o.name for o in signed] == ["Chest CT", "CBC"]  # order-sign checks every draft order


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([], "JSON object"),
        ({"hook": "order-select", "context": {}}, "missing 'hookInstance'"),
        (hook("order-sign"), "answers the 'order-select' hook"),
        (hook(patientId=""), "context.patientId"),
        (hook(draftOrders={"resourceType": "ServiceRequest"}), "must be a FHIR Bundle"),
        (hook(draftOrders={"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "Patient"}}]}),
         "expected ServiceRequest resources, got Patient"),
        (hook(draftOrders={"resourceType": "Bundle", "entry": [{"resource": service_request("ct", None)}]}),
         "names no test"),
        (hook(draftOrders={"resourceType": "Bundle", "entry": [{"resource": service_request("ct", "CT", "soon")}]}),
         "is not a date"),
        (hook(selections=["ServiceRequest/other"]), "names no ServiceRequest"),
    ],
)  # fmt: skip
def test_a_malformed_hook_request_is_refused_with_what_is_wrong(body: Any, message: str) -> None:
    with pytest.raises(cds_hooks.BadHookRequest, match=message):
        cds_hooks.parse_request(cds_hooks.SERVICE_SELECT, body, TODAY)


def test_service_requests_by_code_and_a_bundle_without_one_is_refused() -> None:
    orders, ids = service_requests(service_request("x", None, None, code="24627-2"), TODAY)
    assert [(o.code, o.planned_on) for o in orders] == [("24627-2", TODAY)] and ids == ["x"]
    with pytest.raises(NotAServiceRequest, match="holds no ServiceRequest"):
        service_requests({"resourceType": "Bundle", "entry": []}, TODAY)


def test_feedback_accepted_is_a_cancelled_order_and_overridden_needs_a_reason() -> None:
    body = {"feedback": [
        {"card": "a", "outcome": "accepted", "outcomeTimestamp": "2026-10-21T09:00:00Z"},
        {"card": "b", "outcome": "overridden", "overrideReason": {
            "reason": {"code": "interval-change", "display": "이후 상태 변화"}, "userComment": "new chest pain"}},
    ]}  # fmt: skip
    assert cds_hooks.feedback_choices(body) == [
        ("a", "cancelled", None),
        ("b", "kept", "이후 상태 변화 — new chest pain"),
    ]
    with pytest.raises(cds_hooks.BadHookRequest, match="overrideReason"):
        cds_hooks.feedback_choices({"feedback": [{"card": "b", "outcome": "overridden"}]})
    with pytest.raises(cds_hooks.BadHookRequest, match="'accepted' or 'overridden'"):
        cds_hooks.feedback_choices({"feedback": [{"card": "b", "outcome": "maybe"}]})
