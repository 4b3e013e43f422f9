"""HL7 CDS Hooks 2.0 for the duplicate-test check: an EMR asks at the moment of ordering (`order-select` while
the clinician picks orders, `order-sign` before signing) and gets a card for each order that a test already done
at the referring hospital makes avoidable — the prior test, where and when it was done, its result, its validity
window and the example cost — with a suggestion to cancel the draft order and the reasons to keep it.

Requests are checked strictly (a malformed one gets 400 and says what is wrong). The hook's `context.patientId`
is the referral's id: the receiving hospital's 진료협력센터 links the chart to the referral at admission, and the
EMR launches the hook with that link. Feedback (accepted = order cancelled, overridden = kept with its reason)
is recorded on the referral."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from referral.network import Network
from referral.orders import NotAServiceRequest, OrderCheck, service_requests
from referral.summary.guard import AvoidableRepeat, PlannedOrder

SERVICE_SELECT = "referral-duplicate-tests"
SERVICE_SIGN = "referral-duplicate-tests-sign"
HOOKS = {SERVICE_SELECT: "order-select", SERVICE_SIGN: "order-sign"}
_CARD_NAMESPACE = uuid.UUID("6f1c2a52-7d1e-4c55-9f59-5d8a8c0b6a11")
OVERRIDE_REASONS = [
    {"code": "clinically-indicated", "system": "urn:referral-ax:cds:override",
     "display": "임상적으로 재검 필요 / clinically indicated again"},
    {"code": "interval-change", "system": "urn:referral-ax:cds:override",
     "display": "이후 상태 변화 / interval change since the prior test"},
    {"code": "prior-not-adequate", "system": "urn:referral-ax:cds:override",
     "display": "이전 검사 불충분 / prior test not adequate for this decision"},
]  # fmt: skip


class BadHookRequest(ValueError):
    """A CDS Hooks request that does not follow the specification; the message says what is wrong."""


def discovery() -> dict[str, Any]:
    return {"services": [
        {"id": SERVICE_SELECT, "hook": "order-select", "title": "중복 검사 확인 / Duplicate test check",
         "description": "Cards for draft orders that a test already done at the referring hospital makes avoidable "
                        "(prior test, date, result, validity window, example cost).", "prefetch": {}},
        {"id": SERVICE_SIGN, "hook": "order-sign", "prefetch": {},
         "title": "중복 검사 확인 (서명 전) / Duplicate test check at signing",
         "description": "The same check for every draft order, before the orders are signed."},
    ]}  # fmt: skip


def parse_request(service_id: str, body: Any, today: date) -> tuple[str, list[PlannedOrder], list[str | None]]:
    """(referral id, planned orders, their ServiceRequest ids) of a hook request for `service_id`."""
    if not isinstance(body, dict):
        raise BadHookRequest("the request body is a JSON object")
    for field in ("hook", "hookInstance", "context"):
        if field not in body:
            raise BadHookRequest(f"missing '{field}'")
    if body["hook"] != HOOKS[service_id]:
        raise BadHookRequest(f"service {service_id} answers the '{HOOKS[service_id]}' hook, not '{body['hook']}'")
    context = body["context"]
    if not isinstance(context, dict) or not isinstance(context.get("patientId"), str) or not context["patientId"]:
        raise BadHookRequest("context.patientId (the referral's id) is required")
    draft = context.get("draftOrders")
    if not isinstance(draft, dict) or draft.get("resourceType") != "Bundle":
        raise BadHookRequest("context.draftOrders must be a FHIR Bundle of the draft orders")
    try:
        orders, ids = service_requests(draft, today)
    except NotAServiceRequest as err:
        raise BadHookRequest(f"context.draftOrders: {err}") from None
    if body["hook"] == "order-select":
        selections = context.get("selections")
        if not isinstance(selections, list) or not all(isinstance(s, str) for s in selections):
            raise BadHookRequest("context.selections must list the selected orders ('ServiceRequest/<id>')")
        chosen = {s.removeprefix("ServiceRequest/") for s in selections}
        picked = [(o, i) for o, i in zip(orders, ids, strict=True) if i in chosen]
        if not picked:
            raise BadHookRequest("context.selections names no ServiceRequest of context.draftOrders")
        orders, ids = [o for o, _ in picked], [i for _, i in picked]
    return context["patientId"], orders, ids


def card_uuid(check_id: str, test: str) -> str:
    return str(uuid.uuid5(_CARD_NAMESPACE, f"{check_id}|{test}"))


def _card(check: OrderCheck, repeat: AvoidableRepeat, where: str, cost_note: str) -> dict[str, Any]:
    index = next((n for n, o in enumerate(check.orders) if (o.name or o.code) == repeat.planned), None)
    draft_id = check.order_ids[index] if index is not None and index < len(check.order_ids) else None
    detail = (
        f"**이전 검사 / prior test**: {repeat.prior_result}\n\n"
        f"- 시행일 / done on: {repeat.prior_date} ({repeat.days_since}일 전 / days ago)\n"
        f"- 시행 기관 / where: {where}\n"
        f"- 유효 기간 / validity window: {repeat.window_days}일 / days\n"
        f"- 예시 비용 / example cost: {repeat.example_cost_krw:,}원 ({cost_note})"
    )
    card: dict[str, Any] = {
        "uuid": card_uuid(check.check_id, repeat.test),
        "summary": f"중복 검사 가능 / possible repeat: {repeat.test} — {repeat.days_since}일 전 외부 시행"[:140],
        "indicator": "warning",
        "detail": detail,
        "source": {"label": "Referral AX 중복 검사 확인 / duplicate test check",
                   "topic": {"system": "urn:referral-ax:cds", "code": "duplicate-test"}},
        "overrideReasons": OVERRIDE_REASONS,
    }  # fmt: skip
    if draft_id:
        card["selectionBehavior"] = "at-most-one"
        card["suggestions"] = [{
            "label": f"주문 취소 / cancel the order: {repeat.planned}",
            "uuid": str(uuid.uuid5(_CARD_NAMESPACE, f"{check.check_id}|{repeat.test}|cancel")),
            "actions": [{"type": "delete", "description": f"{repeat.planned} 취소 / cancel",
                         "resourceId": [f"ServiceRequest/{draft_id}"]}],
        }]  # fmt: skip
    return card


def cards(check: OrderCheck, network: Network, referring_org: str) -> dict[str, Any]:
    where = network.institutions().get(referring_org)
    name = where.name if where else referring_org
    return {"cards": [_card(check, r, name, check.report.cost_note) for r in check.report.repeats]}


def feedback_choices(body: Any) -> list[tuple[str, str, str | None]]:
    """(card uuid, "cancelled" or "kept", reason) of each feedback entry."""
    entries = body.get("feedback") if isinstance(body, dict) else None
    if not isinstance(entries, list) or not entries:
        raise BadHookRequest("feedback must be a non-empty list")
    choices = []
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("card"), str):
            raise BadHookRequest("each feedback entry names its card's uuid")
        outcome = entry.get("outcome")
        if outcome not in ("accepted", "overridden"):
            raise BadHookRequest("feedback outcome is 'accepted' or 'overridden'")
        reason = None
        if outcome == "overridden":
            override = entry.get("overrideReason") or {}
            coding = override.get("reason") or {} if isinstance(override, dict) else {}
            reason = " — ".join(str(x) for x in (coding.get("display") or coding.get("code"),
                                                  override.get("userComment")) if x) or None  # fmt: skip
            if not reason:
                raise BadHookRequest("an overridden card gives its overrideReason")
        choices.append((entry["card"], "cancelled" if outcome == "accepted" else "kept", reason))
    return choices
