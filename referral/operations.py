"""Read and drive referrals through Temporal: status, history, available actions, events, worklists.
Shared by the CLI and the HTTP API."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from pydantic import BaseModel
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode
from temporalio.workflow import UpdateMethodMultiParam

from flows.referral.io import (
    ConsentWithdrawal,
    ConsentWithdrawalRecord,
    EventRequest,
    OutcomeRequest,
    PageRef,
    ReferralParticulars,
    ReferralStatus,
    ReprocessRecord,
    ReprocessRequest,
    TransitionRecord,
)
from flows.referral.workflow import ReferralWorkflow
from referral.models import Side
from referral.orders import OrderCheck, OrderCheckRequest, OrderChoice, OrderChoiceRecord
from referral.page_removal import removed_pages
from referral.review_plan import PlannedOperation
from referral.search_attributes import (
    RECEIVING_ORG,
    REFERRAL_DUE_TIME,
    REFERRAL_PRIORITY,
    REFERRAL_STAGE,
    REFERRAL_STATUS,
    REFERRING_ORG,
)
from referral.states import ReferralEvent, ReferralState
from referral.submission import REFERRAL_ID, WORKFLOW_NAME

_ORG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
_Arg = TypeVar("_Arg")
_Result = TypeVar("_Result")


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


def party_side(status: ReferralStatus, org: str) -> Side | None:
    """The side `org` takes in a referral, or None when it may not see it: another institution's referral, or
    one addressed to it that has not been delivered yet."""
    if org == status.referring_org:
        return Side.REFERRING
    if org == status.receiving_org and status.state != ReferralState.DRAFT:
        return Side.RECEIVING
    return None


def _not_found(err: RPCError, referral_id: str) -> Exception:
    if err.status == RPCStatusCode.NOT_FOUND:
        return ReferralNotFound(f"no referral {referral_id}")
    return err


async def get_status(client: Client, referral_id: str, timeout: timedelta | None = None) -> ReferralStatus:
    try:
        return await _handle(client, referral_id).query(ReferralWorkflow.status, rpc_timeout=timeout)
    except RPCError as err:
        raise _not_found(err, referral_id) from None


class NotAParty(LookupError):
    """This institution may not see the referral, or there is none: answered as 404, revealing nothing."""


@dataclass(frozen=True)
class PartyStatus:
    """A referral as one party sees it (`seen_by`), and the pages a reviewer removed as another patient's
    (whoever's round it was): the receiving side never sees those, nor the originals they are part of."""

    status: ReferralStatus
    side: Side
    removed: list[PageRef]

    def page_removed(self, document_key: str, page: int) -> bool:
        gone = removed_pages(document_key, self.removed)
        return gone is None or page in gone


async def party_status(client: Client, referral_id: str, org: str) -> PartyStatus:
    """The referral as `org` may see it; NotAParty for another institution's, or one not yet delivered to it."""
    try:
        status = await get_status(client, referral_id)
    except ReferralNotFound:
        raise NotAParty(referral_id) from None
    side = party_side(status, org)
    if side is None:
        raise NotAParty(referral_id)
    return PartyStatus(status.seen_by(side), side, status.excluded_pages)


async def get_particulars(client: Client, referral_id: str) -> ReferralParticulars:
    try:
        return await _handle(client, referral_id).query(ReferralWorkflow.particulars)
    except RPCError as err:
        raise _not_found(err, referral_id) from None


async def get_history(client: Client, referral_id: str, timeout: timedelta | None = None) -> list[TransitionRecord]:
    try:
        return await _handle(client, referral_id).query(ReferralWorkflow.history, rpc_timeout=timeout)
    except RPCError as err:
        raise _not_found(err, referral_id) from None


async def get_available_actions(client: Client, referral_id: str, side: Side) -> list[ReferralEvent]:
    try:
        return await _handle(client, referral_id).query(ReferralWorkflow.available_actions, side)
    except RPCError as err:
        raise _not_found(err, referral_id) from None


async def hint_review(client: Client, referral_id: str, task_ids: list[int]) -> str:
    """Tell a referral that these review tasks changed (it reads the decisions itself); "closed" when it ended."""
    try:
        await _handle(client, referral_id).signal(ReferralWorkflow.review_updated, task_ids)
    except ReferralNotFound:
        return "closed"
    except RPCError as err:
        if err.status != RPCStatusCode.NOT_FOUND:
            raise
        return "closed"
    return "hinted"


async def send_event(client: Client, referral_id: str, request: EventRequest) -> TransitionRecord:
    return await _update(client, referral_id, ReferralWorkflow.apply_event, request)


async def request_outcome(client: Client, referral_id: str, request: OutcomeRequest) -> None:
    await _update(client, referral_id, ReferralWorkflow.request_outcome, request)


async def withdraw_consent(client: Client, referral_id: str, request: ConsentWithdrawal) -> ConsentWithdrawalRecord:
    return await _update(client, referral_id, ReferralWorkflow.withdraw_consent, request)


async def plan_operation(client: Client, referral_id: str, request: PlannedOperation) -> None:
    await _update(client, referral_id, ReferralWorkflow.plan_operation, request)


async def add_interim_documents(client: Client, referral_id: str, request: OutcomeRequest) -> None:
    await _update(client, referral_id, ReferralWorkflow.add_interim_documents, request)


async def request_reprocess(client: Client, referral_id: str, request: ReprocessRequest) -> ReprocessRecord:
    return await _update(client, referral_id, ReferralWorkflow.reprocess_summary, request)


async def check_planned_orders(client: Client, referral_id: str, request: OrderCheckRequest) -> OrderCheck:
    return await _update(client, referral_id, ReferralWorkflow.check_planned_orders, request)


async def record_order_choice(client: Client, referral_id: str, choice: OrderChoice) -> OrderChoiceRecord:
    return await _update(client, referral_id, ReferralWorkflow.record_order_choice, choice)


def _handle(client: Client, referral_id: str) -> WorkflowHandle[Any, ReferralStatus]:
    """The referral's workflow; any other id (a review round's child workflow, a made-up one) names no referral."""
    if not REFERRAL_ID.fullmatch(referral_id):
        raise ReferralNotFound(f"no referral {referral_id}")
    return client.get_workflow_handle_for(ReferralWorkflow.run, referral_id)


async def _update(
    client: Client,
    referral_id: str,
    update: UpdateMethodMultiParam[[Any, _Arg], _Result],  # a ReferralWorkflow update (some are its stages')
    arg: _Arg,
    attempts: int = 5,
) -> _Result:
    handle = _handle(client, referral_id)
    for attempt in range(attempts):
        try:
            return await handle.execute_update(update, arg)
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
