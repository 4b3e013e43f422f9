"""HTTP routes of planned care: the receiving side sends what it plans to order (JSON or FHIR ServiceRequests)
and records the clinician's choice per avoidable repeat; CDS Hooks services answer the EMR at ordering time; a
planned operation has its pre-anesthesia assessment drafted for the anaesthesiologist.
Every route is the caller institution's own (bearer token), and only the receiving side of a delivered referral
may use it."""

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, TypeVar

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from pydantic import BaseModel, Field, ValidationError
from temporalio.service import RPCError

from flows.referral.io import ReferralStatus
from referral import cds_hooks
from referral.http_refusals import event_refused
from referral.models import Side
from referral.operations import (
    EventRefused,
    ReferralNotFound,
    check_planned_orders,
    get_status,
    list_referrals,
    plan_operation,
    record_order_choice,
)
from referral.orders import (
    NotAServiceRequest,
    OrderCheck,
    OrderCheckRequest,
    OrderChoice,
    OrderChoiceRecord,
    OrderSource,
    service_requests,
)
from referral.review_plan import OperationPlan, PlannedOperation
from referral.states import TERMINAL_STATES
from referral.summary.guard import PlannedOrder

_T = TypeVar("_T")


PartyStatus = Callable[[Any, str, str], Awaitable[tuple[ReferralStatus, Side]]]


class PlannedOrdersBody(BaseModel):
    actor: str = Field(min_length=1, max_length=100)
    orders: list[PlannedOrder] = Field(min_length=1, max_length=50)


class ChoiceBody(BaseModel):
    actor: str = Field(min_length=1, max_length=100)
    test: str
    choice: str
    reason: str | None = None


async def _json(request: Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        raise HTTPException(400, "the body is not JSON") from None


async def _answer(call: Awaitable[_T]) -> _T:
    """A workflow update's answer, or the HTTP error its refusal means."""
    try:
        return await call
    except EventRefused as err:
        raise event_refused(err) from None
    except ReferralNotFound:
        raise HTTPException(404, "no such referral") from None


def add_order_routes(app: FastAPI, services: Callable[..., Any], caller: Callable[..., Any],
                     party_status: PartyStatus) -> None:  # fmt: skip
    Svc = Annotated[Any, Depends(services)]
    Caller = Annotated[str, Depends(caller)]

    async def receiving(svc: Any, referral_id: str, org: str) -> ReferralStatus:
        status, side = await party_status(svc, referral_id, org)
        if side != Side.RECEIVING:
            raise HTTPException(403, "only the receiving side checks its planned orders")
        return status

    @app.post("/referrals/{referral_id}/planned-orders", response_model=OrderCheck)
    async def planned_orders(
        svc: Svc, org: Caller, referral_id: str, request: Request,
        actor: Annotated[str | None, Query(max_length=100, description="who orders (with a FHIR body)")] = None,
    ) -> OrderCheck:  # fmt: skip
        """Planned orders as JSON (`{"actor", "orders": [{"code", "name", "planned_on"}]}`) or as a FHIR R4
        ServiceRequest or Bundle of them (`?actor=`); answers the avoidable repeats found, recorded on the referral."""
        body = await _json(request)
        await receiving(svc, referral_id, org)
        source: OrderSource = "api"
        try:
            if isinstance(body, dict) and "resourceType" in body:
                if not actor:
                    raise HTTPException(400, "a FHIR body names who orders in ?actor=")
                orders, ids = service_requests(body, datetime.now(UTC).date())
                source = "fhir"
            else:
                parsed = PlannedOrdersBody.model_validate(body)
                actor, orders, ids = parsed.actor, parsed.orders, []
            request_model = OrderCheckRequest(org=org, actor=actor, orders=orders, order_ids=ids, source=source)
        except (ValidationError, NotAServiceRequest) as err:
            raise HTTPException(400, f"not a planned-orders request: {err}") from None
        return await _answer(check_planned_orders(svc.client, referral_id, request_model))

    @app.post("/referrals/{referral_id}/planned-orders/{check_id}/choices", response_model=OrderChoiceRecord)
    async def order_choice(svc: Svc, org: Caller, referral_id: str, check_id: str, body: ChoiceBody) -> Any:
        """The ordering clinician's choice for one avoidable repeat: `cancelled`, or `kept` with a reason."""
        await receiving(svc, referral_id, org)
        if body.choice not in ("cancelled", "kept"):
            raise HTTPException(400, "choice is 'cancelled' or 'kept'")
        choice = OrderChoice(org=org, actor=body.actor, check_id=check_id, test=body.test, choice=body.choice,
                             reason=body.reason)  # fmt: skip
        return await _answer(record_order_choice(svc.client, referral_id, choice))

    @app.post("/referrals/{referral_id}/planned-operation", status_code=202)
    async def planned_operation(svc: Svc, org: Caller, referral_id: str, body: OperationPlan) -> dict[str, str]:
        """A planned operation (procedure, date, department): the 마취 전 상태평가 is drafted on the receiving side's
        board, for a clinician of its anaesthesiology to sign."""
        await receiving(svc, referral_id, org)
        await _answer(plan_operation(svc.client, referral_id, PlannedOperation(org=org, **body.model_dump())))
        return {"status": "drafting"}

    @app.get("/cds-services")
    async def cds_discovery() -> dict[str, Any]:
        return cds_hooks.discovery()

    @app.post("/cds-services/{service_id}")
    async def cds_service(svc: Svc, org: Caller, service_id: str, request: Request) -> dict[str, Any]:
        if service_id not in cds_hooks.HOOKS:
            raise HTTPException(404, f"no CDS service {service_id}")
        body = await _json(request)
        try:
            referral_id, orders, ids = cds_hooks.parse_request(service_id, body, date.today())
        except cds_hooks.BadHookRequest as err:
            raise HTTPException(400, str(err)) from None
        status = await receiving(svc, referral_id, org)
        user = str(body["context"].get("userId") or "cds-hooks")[:100]
        request_model = OrderCheckRequest(org=org, actor=user, orders=orders, order_ids=ids, source="cds-hooks")
        found = await _answer(check_planned_orders(svc.client, referral_id, request_model))
        return cds_hooks.cards(found, svc.network, status.referring_org)

    @app.post("/cds-services/{service_id}/feedback")
    async def cds_feedback(svc: Svc, org: Caller, service_id: str, request: Request) -> dict[str, Any]:
        """Each card's outcome: accepted (the order cancelled) or overridden (kept, with its reason), recorded on
        the referral whose check made the card (looked up among the caller's open received referrals)."""
        if service_id not in cds_hooks.HOOKS:
            raise HTTPException(404, f"no CDS service {service_id}")
        try:
            choices = cds_hooks.feedback_choices(await _json(request))
        except cds_hooks.BadHookRequest as err:
            raise HTTPException(400, str(err)) from None
        cards, unread = await _cards_of(svc, org)
        recorded = 0
        for card, choice, reason in choices:
            if card not in cards and unread:  # the card may be one of a referral that cannot answer just now
                raise HTTPException(503, f"{unread} referral(s) could not be read now; send the feedback again")
            if card not in cards:
                raise HTTPException(404, f"no card {card} of this institution's referrals")
            referral_id, check_id, test = cards[card]
            made = OrderChoice(org=org, actor="cds-hooks", check_id=check_id, test=test, choice=choice, reason=reason)
            await _answer(record_order_choice(svc.client, referral_id, made))
            recorded += 1
        return {"recorded": recorded}


async def _cards_of(svc: Any, org: str) -> tuple[dict[str, tuple[str, str, str]], int]:
    """card uuid → (referral, check, test) over the caller's open received referrals, and how many of them could
    not be read now (their worker is down): one referral's outage must not stop feedback on the others."""
    found: dict[str, tuple[str, str, str]] = {}
    unread = 0
    for listed in await list_referrals(svc.client, org=org, side=Side.RECEIVING):
        if listed.status in {s.value for s in TERMINAL_STATES}:
            continue
        try:
            status = await get_status(svc.client, listed.referral_id, timeout=timedelta(seconds=5))
        except (RPCError, ReferralNotFound):
            unread += 1
            continue
        for check in status.order_checks:
            for repeat in check.report.repeats:
                found[cds_hooks.card_uuid(check.check_id, repeat.test)] = (status.referral_id, check.check_id,
                                                                           repeat.test)  # fmt: skip
    return found, unread
