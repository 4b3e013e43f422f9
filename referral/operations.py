"""Read and drive referrals through Temporal: status, history, available actions, events, worklists.
Shared by the CLI and the HTTP API."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta

from pydantic import BaseModel
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from referral.models import Side
from referral.orders import OrderCheck, OrderCheckRequest, OrderChoice, OrderChoiceRecord
from referral.search_attributes import (
    RECEIVING_ORG,
    REFERRAL_DUE_TIME,
    REFERRAL_PRIORITY,
    REFERRAL_STAGE,
    REFERRAL_STATUS,
    REFERRING_ORG,
)
from referral.states import ReferralEvent, ReferralState
from referral.submission import WORKFLOW_NAME
from referral.workflow_io import (
    EventRequest,
    OutcomeRequest,
    ReferralStatus,
    ReprocessRecord,
    ReprocessRequest,
    TransitionRecord,
)

_ORG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


class ReferralNotFound(LookupError):
    pass


class EventRefused(ValueError):
    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


class ListedReferral(BaseModel):
    referral_id: str
    status: str | None
    stage: str | None
    priority: str | None
    referring_org: str | None
    receiving_org: str | None
    due_at: datetime | None
    started_at: datetime | None


def _not_found(err: RPCError, referral_id: str) -> Exception:
    if err.status == RPCStatusCode.NOT_FOUND:
        return ReferralNotFound(f"no referral {referral_id}")
    return err


async def get_status(client: Client, referral_id: str, timeout: timedelta | None = None) -> ReferralStatus:
    try:
        handle = client.get_workflow_handle(referral_id)
        return await handle.query("status", result_type=ReferralStatus, rpc_timeout=timeout)
    except RPCError as err:
        raise _not_found(err, referral_id) from None


async def get_history(client: Client, referral_id: str, timeout: timedelta | None = None) -> list[TransitionRecord]:
    try:
        handle = client.get_workflow_handle(referral_id)
        return await handle.query("history", result_type=list[TransitionRecord], rpc_timeout=timeout)
    except RPCError as err:
        raise _not_found(err, referral_id) from None


async def get_available_actions(client: Client, referral_id: str, side: Side) -> list[ReferralEvent]:
    try:
        handle = client.get_workflow_handle(referral_id)
        return await handle.query("available_actions", side, result_type=list[ReferralEvent])
    except RPCError as err:
        raise _not_found(err, referral_id) from None


async def hint_review(client: Client, referral_id: str, task_ids: list[int]) -> str:
    """Tell a referral that these review tasks changed (it reads the decisions itself); "closed" when it ended."""
    try:
        await client.get_workflow_handle(referral_id).signal("review_updated", task_ids)
    except RPCError as err:
        if err.status != RPCStatusCode.NOT_FOUND:
            raise
        return "closed"
    return "hinted"


async def send_event(client: Client, referral_id: str, request: EventRequest) -> TransitionRecord:
    record = await _update(client, referral_id, "apply_event", request, TransitionRecord)
    assert isinstance(record, TransitionRecord)
    return record


async def request_outcome(client: Client, referral_id: str, request: OutcomeRequest) -> None:
    await _update(client, referral_id, "request_outcome", request, type(None))


async def add_interim_documents(client: Client, referral_id: str, request: OutcomeRequest) -> None:
    await _update(client, referral_id, "add_interim_documents", request, type(None))


async def request_reprocess(client: Client, referral_id: str, request: ReprocessRequest) -> ReprocessRecord:
    record = await _update(client, referral_id, "reprocess_summary", request, ReprocessRecord)
    assert isinstance(record, ReprocessRecord)
    return record


async def check_planned_orders(client: Client, referral_id: str, request: OrderCheckRequest) -> OrderCheck:
    check = await _update(client, referral_id, "check_planned_orders", request, OrderCheck)
    assert isinstance(check, OrderCheck)
    return check


async def record_order_choice(client: Client, referral_id: str, choice: OrderChoice) -> OrderChoiceRecord:
    record = await _update(client, referral_id, "record_order_choice", choice, OrderChoiceRecord)
    assert isinstance(record, OrderChoiceRecord)
    return record


async def _update(
    client: Client, referral_id: str, name: str, arg: object, result_type: type, attempts: int = 5
) -> object:
    handle = client.get_workflow_handle(referral_id)
    for attempt in range(attempts):
        try:
            return await handle.execute_update(name, arg, result_type=result_type)
        except WorkflowUpdateFailedError as err:
            cause = err.cause
            if isinstance(cause, ApplicationError):
                raise EventRefused(cause.message, cause.type or "Refused") from None
            raise
        except RPCError as err:
            # NOT_FOUND: no such workflow, or a closed one. FAILED_PRECONDITION: it is closing right now.
            if err.status not in (RPCStatusCode.NOT_FOUND, RPCStatusCode.FAILED_PRECONDITION):
                raise
            try:
                description = await handle.describe()
            except RPCError:
                raise ReferralNotFound(f"no referral {referral_id}") from None
            if description.status != WorkflowExecutionStatus.RUNNING:
                status = await get_status(client, referral_id)
                raise EventRefused(
                    f"referral is closed ({status.state}); no further events are accepted", "ReferralClosed"
                ) from None
            await asyncio.sleep(0.2 * (attempt + 1))
    raise EventRefused("the referral did not accept the event; try again", "Unavailable")


def worklist_query(
    status: ReferralState | None = None,
    org: str | None = None,
    side: Side | None = None,
    overdue_at: datetime | None = None,
) -> str:
    """A visibility query; every value is validated first, so nothing can be injected into it."""
    clauses = [f"WorkflowType = '{WORKFLOW_NAME}'"]
    if overdue_at is not None:  # open referrals whose current wait is past its due time
        clauses += ["ExecutionStatus = 'Running'", f"{REFERRAL_DUE_TIME.name} < '{overdue_at.isoformat()}'"]
    if status is not None:
        clauses.append(f"{REFERRAL_STATUS.name} = '{ReferralState(status).value}'")
    if org is not None:
        if not _ORG.match(org):
            raise ValueError("invalid institution code")
        # the receiving side's worklist holds a referral only once it was delivered (received)
        receiving = f"({RECEIVING_ORG.name} = '{org}' AND {REFERRAL_STATUS.name} != '{ReferralState.DRAFT.value}')"
        if side == Side.REFERRING:
            clauses.append(f"{REFERRING_ORG.name} = '{org}'")
        elif side == Side.RECEIVING:
            clauses.append(receiving)
        else:
            clauses.append(f"({REFERRING_ORG.name} = '{org}' OR {receiving})")
    return " AND ".join(clauses)


async def list_referrals(
    client: Client,
    status: ReferralState | None = None,
    org: str | None = None,
    side: Side | None = None,
    limit: int = 200,
    overdue_at: datetime | None = None,
) -> list[ListedReferral]:
    found: list[ListedReferral] = []
    async for execution in client.list_workflows(worklist_query(status, org, side, overdue_at), limit=limit):
        attrs = execution.typed_search_attributes
        found.append(
            ListedReferral(
                referral_id=execution.id,
                status=attrs.get(REFERRAL_STATUS),
                stage=attrs.get(REFERRAL_STAGE),
                priority=attrs.get(REFERRAL_PRIORITY),
                referring_org=attrs.get(REFERRING_ORG),
                receiving_org=attrs.get(RECEIVING_ORG),
                due_at=attrs.get(REFERRAL_DUE_TIME),
                started_at=execution.start_time,
            )
        )
    return found
