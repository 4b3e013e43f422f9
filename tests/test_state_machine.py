"""The referral state machine, table-driven: every allowed transition works through the real workflow on delivered
referrals, every disallowed (state, event, side) is refused by the update validator and changes nothing, and
before delivery the receiving side can do nothing (the receipt is the gateway's)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from pydantic import ValidationError
from temporalio.client import Client

from referral.config import Settings
from referral.models import Side
from referral.network import Network
from referral.operations import EventRefused, get_available_actions, get_history, get_status, send_event
from referral.reasons import ReasonRefused, load_reason_codes
from referral.states import (
    SYSTEM_EVENTS,
    TERMINAL_STATES,
    TRANSITIONS,
    ReferralEvent,
    ReferralState,
    TransitionRefused,
    available_events,
    check_event,
)
from referral.storage import DocumentStore
from tests.deployment import Deployment, delivered_referral
from tests.helpers import drive, event_request, path_to, start_referral, wait_for

ALLOWED = [(source, t) for t in TRANSITIONS for source in sorted(t.sources)]
ALL_CASES = [(s, e, side) for s in ReferralState for e in ReferralEvent for side in Side]


def allowed(state: ReferralState, event: ReferralEvent, side: Side) -> bool:
    return any(t.event == event and t.side == side and state in t.sources for t in TRANSITIONS) and (
        state not in TERMINAL_STATES
    )


def test_every_state_is_reachable_and_every_non_terminal_state_can_move() -> None:
    for state in ReferralState:
        if state != ReferralState.DRAFT:  # every state after delivery is reachable by callers' events
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


def closing(state: ReferralState) -> list[tuple[ReferralEvent, Side]]:
    """The shortest way from `state` to any closed state."""
    ways = []
    for end in TERMINAL_STATES:
        try:
            ways.append(path_to(end, state))
        except KeyError:  # not reachable from here
            continue
    return min(ways, key=len)


def covering_walks() -> list[list[tuple[ReferralEvent, Side]]]:
    """Walks from RECEIVED to a closed state that together send every allowed (state, event) a caller can send
    after delivery: each walk is one delivered referral."""
    edges = {(s, t) for s, t in ALLOWED if t.event not in SYSTEM_EVENTS and s != ReferralState.DRAFT}
    walks = []
    while edges:
        source, first = min(edges, key=lambda e: (len(path_to(e[0])), e[1].event, e[0]))
        walk = path_to(source) + [(first.event, first.side)]
        state = first.target
        while state not in TERMINAL_STATES:
            unused = sorted((t for s, t in edges if s == state and (s, t) != (source, first)), key=lambda t: t.event)
            step = unused[0] if unused else next(t for t in TRANSITIONS if (t.event, t.side) == closing(state)[0])
            walk.append((step.event, step.side))
            state = step.target
        replay = ReferralState.RECEIVED
        for event, _ in walk:
            move = next(t for t in TRANSITIONS if t.event == event and replay in t.sources)
            edges.discard((replay, move))
            replay = move.target
        walks.append(walk)
    return walks


WALKS = covering_walks()


def test_the_walks_send_every_transition_after_delivery() -> None:
    sent = set()
    for walk in WALKS:
        state = ReferralState.RECEIVED
        for event, side in walk:
            sent.add((state, event))
            state = check_event(state, event, side, "a reason").target
        assert state in TERMINAL_STATES
    assert sent == {(s, t.event) for s, t in ALLOWED if t.event not in SYSTEM_EVENTS and s != ReferralState.DRAFT}


@pytest.mark.parametrize("walk", WALKS, ids=lambda w: "-".join(e for e, _ in w))
async def test_every_transition_through_the_workflow_and_everything_else_refused(
    client: Client, store: DocumentStore, deployment: Deployment, walk: list[tuple[ReferralEvent, Side]]
) -> None:
    """Along the walk, at every state: each disallowed event of either side is refused and changes nothing, the
    available actions are the table's, and the allowed event moves the referral with who, when and why."""
    referral_id = await delivered_referral(client, store, deployment)
    state = ReferralState.RECEIVED
    for event, side in walk:
        await refuses_all_but_allowed(client, referral_id, state)
        status = await get_status(client, referral_id)
        org = status.referring_org if side == Side.REFERRING else status.receiving_org
        record = await send_event(client, referral_id, event_request(event, side, org))
        assert record.from_state == state and record.to_state == check_event(state, event, side, "x").target
        assert (await get_history(client, referral_id))[-1] == record
        assert (record.side, record.org, record.actor, record.reason) == (side, org, f"{side}-clinician", "test reason")
        state = record.to_state
    for event in ReferralEvent:  # closed: every further event is refused
        with pytest.raises(EventRefused, match="closed|receipt"):
            await send_event(client, referral_id, event_request(event, Side.RECEIVING, "knuh"))
    assert len(await get_history(client, referral_id)) == len(walk) + 1  # the receipt, then the walk


async def refuses_all_but_allowed(client: Client, referral_id: str, state: ReferralState) -> None:
    before = await get_status(client, referral_id)
    history_before = await get_history(client, referral_id)
    assert before.state == state
    for event in ReferralEvent:
        for side in Side:
            if allowed(state, event, side) and event not in SYSTEM_EVENTS:
                continue
            org = before.referring_org if side == Side.REFERRING else before.receiving_org
            with pytest.raises(EventRefused) as refused:
                await send_event(client, referral_id, event_request(event, side, org))
            assert refused.value.kind == "TransitionRefused" and str(event) in str(refused.value)
    after = await get_status(client, referral_id)
    assert (after.state, after.due_at) == (before.state, before.due_at)
    assert await get_history(client, referral_id) == history_before
    for side in Side:
        assert await get_available_actions(client, referral_id, side) == available_events(state, side)


async def test_before_delivery_the_receiving_side_can_do_nothing_and_the_referring_side_may_withdraw(
    client: Client, workers: None, store: DocumentStore, network: Network, settings: Settings
) -> None:
    """In DRAFT (drafts under review, nothing delivered) the receipt cannot be sent, by anyone: the receiving side
    has no event at all. Withdrawal by the referring side closes the referral."""
    referral_id = await start_referral(client, store, network, settings)
    await refuses_all_but_allowed(client, referral_id, ReferralState.DRAFT)
    assert await get_available_actions(client, referral_id, Side.RECEIVING) == []
    record = await send_event(client, referral_id, event_request(ReferralEvent.WITHDRAW, Side.REFERRING,
                                                                 "yeongwol-mc"))  # fmt: skip
    assert (record.from_state, record.to_state) == (ReferralState.DRAFT, ReferralState.CANCELLED)


async def test_an_institution_that_is_not_the_side_is_refused(
    client: Client, workers: None, store: DocumentStore, network: Network, settings: Settings
) -> None:
    referral_id = await start_referral(client, store, network, settings)
    with pytest.raises(EventRefused) as refused:
        await send_event(client, referral_id, event_request(ReferralEvent.WITHDRAW, Side.REFERRING, "snuh"))
    assert refused.value.kind == "NotAParty"
    assert (await get_status(client, referral_id)).state == ReferralState.DRAFT
    assert await get_history(client, referral_id) == []


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
    """An open referral whose wait is past due is listed as overdue for its institution; one not yet due is not;
    the receiving institution does not list it before delivery."""
    from datetime import UTC, datetime, timedelta

    from referral.operations import list_referrals

    referral_id = await start_referral(client, store, network, settings)
    due = (await get_status(client, referral_id)).due_at
    assert due is not None
    for _ in range(40):  # visibility is eventually consistent
        late = await list_referrals(client, org="yeongwol-mc", overdue_at=due + timedelta(seconds=1))
        if referral_id in [r.referral_id for r in late]:
            break
        await asyncio.sleep(0.25)
    assert referral_id in [r.referral_id for r in late]
    early = await list_referrals(client, org="yeongwol-mc", overdue_at=datetime.now(UTC))
    assert referral_id not in [r.referral_id for r in early]
    unseen = await list_referrals(client, org="knuh", overdue_at=due + timedelta(seconds=1))
    assert referral_id not in [r.referral_id for r in unseen]


async def test_sla_timers_remind_then_escalate_and_reset_on_the_next_state(
    client: Client, store: DocumentStore, deployment: Deployment
) -> None:
    """Every wait's SLA set to 2 s, reminders every second, escalation after 2: the wait for acceptance runs late,
    is reminded and escalated; the next transition starts a fresh wait with no reminders."""
    fast = {"sla_override_s": 2, "sla_reminder_every_s": 1.0, "sla_escalate_after": 2}
    referral_id = await delivered_referral(client, store, deployment, **fast)
    status = await wait_for(client, referral_id, lambda s: s.sla_escalated, timeout_s=30)
    assert status.sla_reminders >= 2 and status.state == ReferralState.RECEIVED
    query = f"WorkflowId = '{referral_id}' AND SlaEscalated = true"
    for _ in range(20):
        if (await client.count_workflows(query)).count == 1:
            break
        await asyncio.sleep(0.25)
    assert (await client.count_workflows(query)).count == 1
    await drive(client, referral_id, [(ReferralEvent.ACCEPT, Side.RECEIVING)])  # review keeps the clock; accept ends it
    fresh = await get_status(client, referral_id)
    assert (fresh.sla_reminders, fresh.sla_escalated) == (0, False)


async def test_a_declined_referral_is_re_referred_elsewhere_with_a_link(
    client: Client, workers: None, store: DocumentStore, network: Network, settings: Settings, deployment: Deployment
) -> None:
    from referral.fhir.message import referral_message
    from referral.submission import IncomingFile, ReReferralRefused, submit_referral
    from tests.helpers import make_request, tiny_scan

    declined = await delivered_referral(client, store, deployment)
    open_one = await start_referral(client, store, network, settings)
    await drive(client, declined, path_to(ReferralState.DECLINED))

    def again(previous: str, receiving: str):  # type: ignore[no-untyped-def]
        request = make_request(receiving=receiving).model_copy(update={"previous_referral_id": previous})
        return submit_referral(client, store, network, settings, request, [IncomingFile("s.png", tiny_scan())])

    with pytest.raises(ReReferralRefused, match="declined or cancelled"):
        await again(open_one, "snuh")
    with pytest.raises(ReReferralRefused, match="another institution"):
        await again(declined, "knuh")
    with pytest.raises(ReReferralRefused, match="does not exist") as missing:
        await again("ref-" + "0" * 24, "snuh")
    other = make_request(referring="seoul-mc", receiving="snuh").model_copy(update={"previous_referral_id": declined})
    with pytest.raises(ReReferralRefused) as not_ours:  # another institution's referral: the same answer
        await submit_referral(client, store, network, settings, other, [IncomingFile("s.png", tiny_scan())])
    assert str(not_ours.value) == str(missing.value)
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


def test_coded_reasons_are_checked_against_the_events_value_set(tmp_path: Path) -> None:
    codes = load_reason_codes()
    assert {e for e in ReferralEvent if codes.coded(e)} == {
        ReferralEvent.DECLINE, ReferralEvent.RETURN_WITH_ADVICE, ReferralEvent.REQUEST_CANCEL,
        ReferralEvent.CANCEL_APPOINTMENT, ReferralEvent.NO_SHOW}  # fmt: skip
    assert codes.check(ReferralEvent.DECLINE, "no-capacity", None) is not None  # no comment needed for this one
    for code, comment, says in ((None, "x", "requires a reason code"), ("busy", "x", "unknown reason code"),
                                ("not-indicated", " ", "requires a comment")):  # fmt: skip
        with pytest.raises(ReasonRefused, match=says):
            codes.check(ReferralEvent.DECLINE, code, comment)
    with pytest.raises(ReasonRefused, match="takes no reason code"):
        codes.check(ReferralEvent.ACCEPT, "no-capacity", None)
    assert codes.check(ReferralEvent.ACCEPT, None, None) is None
    own = tmp_path / "reasons.yaml"  # a deployment's own value set
    own.write_text("system: urn:hospital:reasons\nevents:\n  decline:\n    - {code: full, display: 병상 부족}\n")
    assert load_reason_codes(own).check(ReferralEvent.DECLINE, "full", None) is not None
    assert not load_reason_codes(own).coded(ReferralEvent.NO_SHOW)
    own.write_text("system: urn:hospital:reasons\nevents:\n  decline:\n    - {code: Full Beds, display: x}\n")
    with pytest.raises(ValidationError):
        load_reason_codes(own)


async def test_a_decline_needs_a_known_code_and_a_booking_its_time_and_place_through_the_api(
    client: Client, store: DocumentStore, deployment: Deployment
) -> None:
    """Coded reasons and the appointment through the HTTP API: a missing or unknown code, a code whose comment is
    missing, or a booking without its time and place is a 400 that changes nothing; a booking shows on both sides
    and its record in the history carries the code's display."""
    import httpx

    from referral.api import create_app
    from tests.deployment import TOKENS

    referral_id = await delivered_referral(client, store, deployment)
    app = create_app(deployment.settings, client=client, store=store, network=deployment.network)
    knuh, yeongwol = ({"Authorization": f"Bearer {TOKENS[org]}"} for org in ("knuh", "yeongwol-mc"))
    events = f"/referrals/{referral_id}/events"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as api:
        listed = (await api.get("/reason-codes", headers=knuh)).json()
        assert "no-capacity" in [c["code"] for c in listed["events"]["decline"]]
        assert (await api.get("/reason-codes")).status_code == 401
        for body, says in (({"reason": "병상 부족"}, "requires a reason code"),
                           ({"reason": "병상 부족", "reason_code": "beds"}, "unknown reason code"),
                           ({"reason_code": "not-indicated", "reason": " "}, "requires a reason")):  # fmt: skip
            refused = await api.post(events, headers=knuh, json={"event": "decline", "actor": "접수", **body})
            assert refused.status_code in (400, 409) and says in refused.json()["detail"], refused.text
        await api.post(events, headers=knuh, json={"event": "accept", "actor": "접수"})
        unbooked = await api.post(events, headers=knuh, json={"event": "schedule", "actor": "접수"})
        assert unbooked.status_code == 400 and "appointment" in unbooked.json()["detail"]
        naive = {"start": "2026-12-10T09:30:00", "place": "본관 2층"}
        schedule = {"event": "schedule", "actor": "접수"}
        no_zone = await api.post(events, headers=knuh, json={**schedule, "appointment": naive})
        assert no_zone.status_code == 422  # a time without its zone is ambiguous
        booked = {"start": "2026-12-10T09:30:00+09:00", "place": "본관 2층 순환기내과 외래", "department": "순환기내과"}
        scheduled = await api.post(events, headers=knuh, json={**schedule, "appointment": booked})
        assert scheduled.status_code == 200, scheduled.text
        for side in (knuh, yeongwol):  # both sides see the booking
            seen = (await api.get(f"/referrals/{referral_id}", headers=side)).json()
            assert seen["appointment"]["place"] == "본관 2층 순환기내과 외래"
            assert seen["appointment"]["start"] == "2026-12-10T09:30:00+09:00"  # as booked, in Korea time
        missed = await api.post(events, headers=knuh, json={"event": "no_show", "actor": "접수",
                                                             "reason_code": "did-not-attend"})  # fmt: skip
        assert missed.status_code == 200, missed.text
        history = (await api.get(f"/referrals/{referral_id}/history", headers=yeongwol)).json()
    assert [h["event"] for h in history] == ["receive", "accept", "schedule", "no_show"]
    assert history[-1]["reason_code"] == "did-not-attend" and "미내원" in history[-1]["reason_display"]
    # 영월의료원's system got each act as a BSeR Task update, in order, the booking and its no-show with it
    from tests.deployment import task_updates

    updates = await wait_until(lambda: task_updates(deployment, referral_id), lambda found: len(found) == 3)
    assert [u["Task"]["businessStatus"]["coding"][0]["code"] for u in updates] == ["3.0", "5.1.1", "5.1.2"]
    assert [u.get("Appointment", {}).get("status") for u in updates] == [None, "booked", "noshow"]
    booked = updates[1]["Appointment"]
    assert (booked["start"], booked["end"]) == ("2026-12-10T09:30:00+09:00", "2026-12-10T10:00:00+09:00")
    assert updates[2]["Task"]["statusReason"]["coding"][0]["code"] == "did-not-attend"
    # sent by the receiving department's PractitionerRole (BSeR), which the gateway resolved to 강원대병원
    assert all(u["MessageHeader"]["sender"]["reference"].startswith("PractitionerRole/") for u in updates)
    assert (await get_status(client, referral_id)).task_updates_sent == 3
    from tests.test_cli import run_cli

    shown = await run_cli(client, deployment.settings, "status", referral_id)  # what an operator reads
    assert "예약 appt  2026-12-10 09:30 KST, 본관 2층 순환기내과 외래 순환기내과" in shown.stdout, shown.stderr
    assert "no_show → NO_SHOW [did-not-attend]" in shown.stdout and "updates    3 sent" in shown.stdout


async def wait_until(look, done, timeout_s: float = 60):  # type: ignore[no-untyped-def]
    """`look()` until `done(found)`: messages arrive at a gateway a little after the act."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        found = look()
        if done(found) or asyncio.get_running_loop().time() > deadline:
            return found
        await asyncio.sleep(0.5)
