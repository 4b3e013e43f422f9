"""The referral state machine (HL7 BSeR / IHE 360X harmonised task states, plus the 회송 loop closure).

The table of allowed transitions is data; the workflow applies it. Only the receiving side moves a referral
after receipt; the referring side may withdraw a draft, request cancellation, answer an information request
and acknowledge the outcome.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from referral.models import Side


class ReferralState(StrEnum):
    DRAFT = "DRAFT"
    RECEIVED = "RECEIVED"
    UNDER_REVIEW = "UNDER_REVIEW"
    INFO_REQUESTED = "INFO_REQUESTED"
    DECLINED = "DECLINED"
    RETURNED_WITH_ADVICE = "RETURNED_WITH_ADVICE"
    ACCEPTED = "ACCEPTED"
    SCHEDULED = "SCHEDULED"
    NO_SHOW = "NO_SHOW"
    APPT_CANCELLED = "APPT_CANCELLED"
    IN_CARE = "IN_CARE"
    CANCEL_REQUESTED = "CANCEL_REQUESTED"
    CANCELLED = "CANCELLED"
    COMPLETED = "COMPLETED"
    LOOP_CLOSED = "LOOP_CLOSED"


class ReferralEvent(StrEnum):
    RECEIVE = "receive"
    START_REVIEW = "start_review"
    REQUEST_INFO = "request_info"
    PROVIDE_INFO = "provide_info"
    DECLINE = "decline"
    RETURN_WITH_ADVICE = "return_with_advice"
    ACCEPT = "accept"
    SCHEDULE = "schedule"
    NO_SHOW = "no_show"
    CANCEL_APPOINTMENT = "cancel_appointment"
    START_CARE = "start_care"
    COMPLETE = "complete"
    ACKNOWLEDGE = "acknowledge"
    WITHDRAW = "withdraw"
    REQUEST_CANCEL = "request_cancel"
    CONFIRM_CANCEL = "confirm_cancel"


S = ReferralState
E = ReferralEvent
REFERRING, RECEIVING = Side.REFERRING, Side.RECEIVING


@dataclass(frozen=True)
class Transition:
    event: ReferralEvent
    side: Side
    sources: frozenset[ReferralState]
    target: ReferralState
    reason_required: bool = False


def _t(event: ReferralEvent, side: Side, sources: set[S], target: S, reason: bool = False) -> Transition:
    return Transition(event, side, frozenset(sources), target, reason)


_CANCELLABLE = {S.RECEIVED, S.UNDER_REVIEW, S.INFO_REQUESTED, S.ACCEPTED, S.SCHEDULED, S.NO_SHOW, S.APPT_CANCELLED}

# event                   side       from                                       to
TRANSITIONS: tuple[Transition, ...] = (
    _t(E.RECEIVE,            RECEIVING, {S.DRAFT},                               S.RECEIVED),
    _t(E.START_REVIEW,       RECEIVING, {S.RECEIVED},                            S.UNDER_REVIEW),
    _t(E.REQUEST_INFO,       RECEIVING, {S.UNDER_REVIEW},                        S.INFO_REQUESTED, True),
    _t(E.PROVIDE_INFO,       REFERRING, {S.INFO_REQUESTED},                      S.UNDER_REVIEW),
    _t(E.DECLINE,            RECEIVING, {S.RECEIVED, S.UNDER_REVIEW},            S.DECLINED, True),
    _t(E.RETURN_WITH_ADVICE, RECEIVING, {S.RECEIVED, S.UNDER_REVIEW},            S.RETURNED_WITH_ADVICE, True),
    _t(E.ACCEPT,             RECEIVING, {S.RECEIVED, S.UNDER_REVIEW},            S.ACCEPTED),
    _t(E.SCHEDULE,           RECEIVING, {S.ACCEPTED, S.NO_SHOW, S.APPT_CANCELLED}, S.SCHEDULED),
    _t(E.NO_SHOW,            RECEIVING, {S.SCHEDULED},                           S.NO_SHOW),
    _t(E.CANCEL_APPOINTMENT, RECEIVING, {S.SCHEDULED},                           S.APPT_CANCELLED, True),
    _t(E.START_CARE,         RECEIVING, {S.ACCEPTED, S.SCHEDULED},               S.IN_CARE),
    _t(E.COMPLETE,           RECEIVING, {S.IN_CARE},                             S.COMPLETED),
    _t(E.ACKNOWLEDGE,        REFERRING, {S.COMPLETED, S.RETURNED_WITH_ADVICE},   S.LOOP_CLOSED),
    _t(E.WITHDRAW,           REFERRING, {S.DRAFT},                               S.CANCELLED, True),
    _t(E.REQUEST_CANCEL,     REFERRING, _CANCELLABLE,                            S.CANCEL_REQUESTED, True),
    _t(E.CONFIRM_CANCEL,     RECEIVING, {S.CANCEL_REQUESTED},                    S.CANCELLED),
)  # fmt: skip

TERMINAL_STATES = frozenset({S.DECLINED, S.CANCELLED, S.LOOP_CLOSED})
# Recorded by the workflow itself from the receiving gateway's receipt: no caller sends it, so the receiving side
# cannot act on (or see) a referral before its signed letter was delivered.
SYSTEM_EVENTS = frozenset({E.RECEIVE})

# FHIR Task.status and BSeR/360X businessStatus for each state.
FHIR_TASK_STATUS: dict[ReferralState, tuple[str, str | None]] = {
    S.DRAFT: ("draft", None),
    S.RECEIVED: ("received", "2.0"),
    S.UNDER_REVIEW: ("received", "2.0"),
    S.INFO_REQUESTED: ("on-hold", None),
    S.DECLINED: ("rejected", "4.0"),
    S.RETURNED_WITH_ADVICE: ("completed", None),
    S.ACCEPTED: ("accepted", "3.0"),
    S.SCHEDULED: ("in-progress", "5.1.1"),
    S.NO_SHOW: ("in-progress", "5.1.2"),
    S.APPT_CANCELLED: ("in-progress", "5.1.3"),
    S.IN_CARE: ("in-progress", "5.1.4"),
    S.CANCEL_REQUESTED: ("in-progress", "5.2"),
    S.CANCELLED: ("cancelled", "6.0"),
    S.COMPLETED: ("completed", "7.0"),
    S.LOOP_CLOSED: ("completed", None),
}


class TransitionRefused(ValueError):
    """An event that the state machine does not allow. The message names states and events only (no PHI)."""


_BY_EVENT = {t.event: t for t in TRANSITIONS}


def check_event(state: ReferralState, event: ReferralEvent, side: Side, reason: str | None) -> Transition:
    """Return the transition for `event` in `state`, or raise TransitionRefused saying why not."""
    if state in TERMINAL_STATES:
        raise TransitionRefused(f"referral is closed ({state}); no further events are accepted")
    transition = _BY_EVENT[event]
    if state not in transition.sources:
        raise TransitionRefused(f"event {event} is not allowed in state {state}")
    if side != transition.side:
        raise TransitionRefused(f"event {event} may only be sent by the {transition.side} side, not the {side} side")
    if transition.reason_required and not (reason and reason.strip()):
        raise TransitionRefused(f"event {event} requires a reason")
    return transition


def available_events(state: ReferralState, side: Side) -> list[ReferralEvent]:
    """The events this side may send now (NHS e-RS's "available actions")."""
    return [t.event for t in TRANSITIONS if t.side == side and state in t.sources and state not in TERMINAL_STATES
            and t.event not in SYSTEM_EVENTS]  # fmt: skip
