"""The referral state machine, table-driven: every allowed transition works through the real workflow, and
every disallowed (state, event, side) is refused by the update validator and changes nothing."""

from __future__ import annotations

import asyncio

import pytest
from temporalio.client import Client

from referral.config import Settings
from referral.models import Side
from referral.network import Network
from referral.operations import EventRefused, get_available_actions, get_history, get_status, send_event
from referral.states import (
    TERMINAL_STATES,
    TRANSITIONS,
    ReferralEvent,
    ReferralState,
    TransitionRefused,
    available_events,
    check_event,
)
from referral.storage import DocumentStore
from tests.helpers import drive, event_request, path_to, start_referral

ALLOWED = [(source, t) for t in TRANSITIONS for source in sorted(t.sources)]
ALL_CASES = [(s, e, side) for s in ReferralState for e in ReferralEvent for side in Side]


def allowed(state: ReferralState, event: ReferralEvent, side: Side) -> bool:
    return any(t.event == event and t.side == side and state in t.sources for t in TRANSITIONS) and (
        state not in TERMINAL_STATES
    )


def test_every_state_is_reachable_and_every_non_terminal_state_can_move() -> None:
    for state in ReferralState:
        assert path_to(state) is not None
        if state not in TERMINAL_STATES:
            assert available_events(state, Side.REFERRING) or available_events(state, Side.RECEIVING)


@pytest.mark.parametrize(("state", "event", "side"), ALL_CASES, ids=lambda v: str(v))
def test_check_event_table(state: ReferralState, event: ReferralEvent, side: Side) -> None:
    if allowed(state, event, side):
        assert check_event(state, event, side, "a reason").target is not None
    else:
        with pytest.raises(TransitionRefused):
            check_event(state, event, side, "a reason")


def test_reason_is_mandatory_where_the_table_says() -> None:
    with pytest.raises(TransitionRefused, match="requires a reason"):
        check_event(ReferralState.UNDER_REVIEW, ReferralEvent.DECLINE, Side.RECEIVING, "  ")
    assert check_event(ReferralState.UNDER_REVIEW, ReferralEvent.ACCEPT, Side.RECEIVING, None)


@pytest.mark.parametrize(("source", "transition"), ALLOWED, ids=lambda v: getattr(v, "event", v))
async def test_allowed_transition_through_the_workflow(
    client: Client, workers: None, store: DocumentStore, network: Network, settings: Settings, source, transition
) -> None:
    referral_id = await start_referral(client, store, network, settings)
    await drive(client, referral_id, path_to(source))
    status = await get_status(client, referral_id)
    assert status.state == source
    org = status.referring_org if transition.side == Side.REFERRING else status.receiving_org
    record = await send_event(client, referral_id, event_request(transition.event, transition.side, org))
    assert (record.from_state, record.to_state) == (source, transition.target)
    history = await get_history(client, referral_id)
    assert history[-1] == record
    assert (record.side, record.org, record.actor, record.reason) == (
        transition.side, org, f"{transition.side}-clinician", "test reason",
    )  # fmt: skip
    if transition.target not in TERMINAL_STATES:
        assert (await get_status(client, referral_id)).state == transition.target


@pytest.mark.parametrize("state", [s for s in ReferralState if s not in TERMINAL_STATES], ids=str)
async def test_disallowed_events_are_refused_and_change_nothing(
    client: Client, workers: None, store: DocumentStore, network: Network, settings: Settings, state: ReferralState
) -> None:
    referral_id = await start_referral(client, store, network, settings)
    await drive(client, referral_id, path_to(state))
    before = await get_status(client, referral_id)
    history_before = await get_history(client, referral_id)
    for event in ReferralEvent:
        for side in Side:
            if allowed(state, event, side):
                continue
            org = before.referring_org if side == Side.REFERRING else before.receiving_org
            with pytest.raises(EventRefused) as refused:
                await send_event(client, referral_id, event_request(event, side, org))
            assert refused.value.kind == "TransitionRefused"
            assert str(event) in str(refused.value)
    after = await get_status(client, referral_id)
    assert (after.state, after.due_at) == (before.state, before.due_at)
    assert await get_history(client, referral_id) == history_before
    for side in Side:
        assert await get_available_actions(client, referral_id, side) == available_events(state, side)


async def test_an_institution_that_is_not_the_side_is_refused(
    client: Client, workers: None, store: DocumentStore, network: Network, settings: Settings
) -> None:
    referral_id = await start_referral(client, store, network, settings)
    with pytest.raises(EventRefused) as refused:
        await send_event(client, referral_id, event_request(ReferralEvent.RECEIVE, Side.RECEIVING, "snuh"))
    assert refused.value.kind == "NotAParty"
    assert (await get_status(client, referral_id)).state == ReferralState.DRAFT
    assert await get_history(client, referral_id) == []


@pytest.mark.parametrize("state", sorted(TERMINAL_STATES), ids=str)
async def test_a_closed_referral_refuses_every_event(
    client: Client, workers: None, store: DocumentStore, network: Network, settings: Settings, state: ReferralState
) -> None:
    referral_id = await start_referral(client, store, network, settings)
    await drive(client, referral_id, path_to(state))
    assert (await get_status(client, referral_id)).state == state
    for event in ReferralEvent:
        with pytest.raises(EventRefused, match="closed"):
            await send_event(client, referral_id, event_request(event, Side.RECEIVING, "knuh"))
    assert len(await get_history(client, referral_id)) == len(path_to(state))


async def test_unknown_referral(client: Client, workers: None) -> None:
    from referral.operations import ReferralNotFound

    with pytest.raises(ReferralNotFound):
        await get_status(client, "ref-000000000000000000000000")
    with pytest.raises(ReferralNotFound):
        await send_event(
            client, "ref-000000000000000000000000", event_request(ReferralEvent.RECEIVE, Side.RECEIVING, "knuh")
        )


async def test_overdue_worklist(
    client: Client, workers: None, store: DocumentStore, network: Network, settings: Settings
) -> None:
    """An open referral whose wait is past due is listed as overdue for its institution; one not yet due is not."""
    from datetime import UTC, datetime, timedelta

    from referral.operations import list_referrals

    referral_id = await start_referral(client, store, network, settings)
    due = (await get_status(client, referral_id)).due_at
    assert due is not None
    for _ in range(40):  # visibility is eventually consistent
        late = await list_referrals(client, org="knuh", overdue_at=due + timedelta(seconds=1))
        if referral_id in [r.referral_id for r in late]:
            break
        await asyncio.sleep(0.25)
    assert referral_id in [r.referral_id for r in late]
    early = await list_referrals(client, org="knuh", overdue_at=datetime.now(UTC))
    assert referral_id not in [r.referral_id for r in early]


async def test_sla_timers_remind_then_escalate_and_reset_on_the_next_state(
    client: Client, workers: None, store: DocumentStore, network: Network, settings: Settings
) -> None:
    """Every wait's SLA set to 2 s, reminders every second, escalation after 2: the DRAFT wait (receipt) runs
    late, is reminded and escalated; a transition starts a fresh wait with no reminders."""
    fast = settings.model_copy(update={"sla_override_s": 2, "sla_reminder_every_s": 1.0, "sla_escalate_after": 2})
    referral_id = await start_referral(client, store, network, fast)
    for _ in range(60):
        status = await get_status(client, referral_id)
        if status.sla_escalated:
            break
        await asyncio.sleep(0.25)
    assert status.sla_escalated and status.sla_reminders >= 2 and status.state == ReferralState.DRAFT
    query = f"WorkflowId = '{referral_id}' AND SlaEscalated = true"
    for _ in range(20):
        if (await client.count_workflows(query)).count == 1:
            break
        await asyncio.sleep(0.25)
    assert (await client.count_workflows(query)).count == 1
    await drive(client, referral_id, [(ReferralEvent.RECEIVE, Side.RECEIVING)])
    fresh = await get_status(client, referral_id)
    assert (fresh.sla_reminders, fresh.sla_escalated) == (0, False)


async def test_a_declined_referral_is_re_referred_elsewhere_with_a_link(
    client: Client, workers: None, store: DocumentStore, network: Network, settings: Settings
) -> None:
    from referral.fhir.message import referral_message
    from referral.submission import IncomingFile, ReReferralRefused, submit_referral
    from tests.helpers import make_request, tiny_scan

    declined = await start_referral(client, store, network, settings)
    open_one = await start_referral(client, store, network, settings)
    await drive(client, declined, path_to(ReferralState.DECLINED))

    def again(previous: str, receiving: str):  # type: ignore[no-untyped-def]
        request = make_request(receiving=receiving).model_copy(update={"previous_referral_id": previous})
        return submit_referral(client, store, network, settings, request, [IncomingFile("s.png", tiny_scan())])

    with pytest.raises(ReReferralRefused, match="declined or cancelled"):
        await again(open_one, "snuh")
    with pytest.raises(ReReferralRefused, match="another institution"):
        await again(declined, "knuh")
    with pytest.raises(ReReferralRefused, match="does not exist"):
        await again("ref-" + "0" * 24, "snuh")
    result = await again(declined, "snuh")
    assert result.referral_id != declined
    status = await get_status(client, result.referral_id)
    assert status.receiving_org == "snuh" and status.previous_referral_id == declined
    from datetime import UTC, datetime

    from referral.models import Referral

    referral = Referral(**make_request(receiving="snuh").model_dump(exclude={"previous_referral_id"}),
                        previous_referral_id=declined, referral_id=result.referral_id, documents=result.documents,
                        submitted_at=datetime.now(UTC), fingerprint="0" * 64)  # fmt: skip
    bundle = referral_message(referral, network, ReferralState.DRAFT, datetime.now(UTC))
    [request] = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "ServiceRequest"]
    assert request["replaces"][0]["identifier"]["value"] == declined
