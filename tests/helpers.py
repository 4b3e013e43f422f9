"""Builders for test referrals and waiting on workflow state."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta, timezone

from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode
from temporalio.worker import Worker

from flows.referral.io import Appointment, EventRequest, ProcessingStage, ReferralStatus
from referral.config import Settings
from referral.models import (
    Clinician,
    ConsentBasis,
    ExchangeConsent,
    Party,
    Patient,
    Priority,
    ReferralRequest,
    Sex,
    Side,
)
from referral.network import Network
from referral.operations import get_status, send_event
from referral.review_plan import DraftKind, ReviewPlan, ReviewRound, ReviewRoundName
from referral.states import SYSTEM_EVENTS, TRANSITIONS, ReferralEvent, ReferralState
from referral.storage import DocumentStore
from referral.submission import IncomingFile, submit_referral
from referral.synthetic import ClinicalDocument

PATIENT_NAME = "홍길순"
# the patient's own consent to send the records, as the referring hospital's coordinator records it
CONSENT = ExchangeConsent(basis=ConsentBasis.PATIENT, given_at=datetime(2026, 11, 28, 10, 0, tzinfo=UTC),
                          recorded_by="진료협력센터 김협력")  # fmt: skip
REFERRING_SUMMARIES = [DraftKind.REFERRAL_LETTER, DraftKind.OUTSIDE_RECORD_SUMMARY, DraftKind.PRE_ANESTHESIA]


def referring_sends_summaries(network: Network) -> Network:
    """A deployment whose referring side also sends its own summary of the records and pre-anesthesia notes, each
    signed by any of its clinicians: three drafts, three tasks in its round (the review plan is configuration)."""
    rounds = {**network.review_plan.rounds, ReviewRoundName.REFERRAL: ReviewRound(drafts=REFERRING_SUMMARIES)}
    return network.model_copy(update={"review_plan": ReviewPlan(rounds=rounds, signing_departments={})})


def make_request(
    referring: str = "yeongwol-mc",
    receiving: str = "knuh",
    priority: Priority = Priority.URGENT,
    patient_name: str = PATIENT_NAME,
    record: ClinicalDocument | None = None,
) -> ReferralRequest:
    """A referral request; with `record`, for the patient that record prints (no identity finding: the number is
    the referring hospital's, unlike the record's)."""
    return ReferralRequest(
        consent=CONSENT,
        patient=Patient(
            name=record.patient_name if record else patient_name,
            birth_date=record.birth_date if record and record.birth_date else date(1951, 3, 14),
            sex=Sex.FEMALE,
            identifier=f"MRN-{uuid.uuid4().hex[:10]}",  # a new referral each call (submissions are idempotent)
        ),
        referring=Party(org=referring, department="내과", clinician=Clinician(name="김의사", license_no="12345")),
        receiving=Party(org=receiving, department="순환기내과"),
        priority=priority,
        reason="흉통 평가 및 관상동맥 조영술 의뢰 (evaluation of chest pain)",
    )


async def wait_for(
    client: Client, referral_id: str, check: Callable[[ReferralStatus], bool], timeout_s: float = 180
) -> ReferralStatus:
    """Until the referral's status passes `check`."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        status = await get_status(client, referral_id)
        if check(status):
            return status
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"{referral_id}: stage {status.stage}, reviews {[r.status for r in status.reviews]}")
        await asyncio.sleep(0.5)


async def wait_for_stage(
    client: Client, referral_id: str, stages: set[ProcessingStage], timeout_s: float = 180
) -> ReferralStatus:
    return await wait_for(client, referral_id, lambda status: status.stage in stages, timeout_s)


def tiny_scan() -> bytes:
    """A small one-line scan: enough for the OCR stage, fast to process."""
    from referral.synthetic import image_bytes, render_page

    page = render_page(["진단 (Diagnosis): 본태성 고혈압 (I10)"], dpi=100)
    return image_bytes(page.crop((0, 0, page.width, 200)), dpi=100)


def path_to(target: ReferralState, start: ReferralState = ReferralState.RECEIVED) -> list[tuple[ReferralEvent, Side]]:
    """The shortest sequence of events a caller can send from `start` (by default: just delivered) to `target`
    (breadth-first over the transition table; the receipt itself is the gateway's, never sent)."""
    from collections import deque

    paths: dict[ReferralState, list[tuple[ReferralEvent, Side]]] = {start: []}
    queue = deque([start])
    while queue:
        state = queue.popleft()
        for transition in TRANSITIONS:
            sendable = transition.event not in SYSTEM_EVENTS
            if sendable and state in transition.sources and transition.target not in paths:
                paths[transition.target] = paths[state] + [(transition.event, transition.side)]
                queue.append(transition.target)
    return paths[target]


async def start_referral(client: Client, store: DocumentStore, network: Network, settings: Settings) -> str:
    result = await submit_referral(
        client, store, network, settings, make_request(), [IncomingFile("scan.png", tiny_scan())]
    )
    return result.referral_id


async def drive(client: Client, referral_id: str, steps: list[tuple[ReferralEvent, Side]]) -> None:
    status = await get_status(client, referral_id)
    for event, side in steps:
        org = status.referring_org if side == Side.REFERRING else status.receiving_org
        await send_event(client, referral_id, event_request(event, side, org))


# a code of each coded event's value set (referral/data/reason_codes.yaml), and the appointment `schedule` books
REASON_CODES = {ReferralEvent.DECLINE: "no-capacity", ReferralEvent.RETURN_WITH_ADVICE: "advice-given",
                ReferralEvent.REQUEST_CANCEL: "patient-request", ReferralEvent.CANCEL_APPOINTMENT: "patient-request",
                ReferralEvent.NO_SHOW: "did-not-attend"}  # fmt: skip
APPOINTMENT = Appointment(start=datetime(2026, 12, 10, 9, 30, tzinfo=timezone(timedelta(hours=9))),
                          place="본관 2층 순환기내과 외래", department="순환기내과")  # fmt: skip


def event_request(event: ReferralEvent, side: Side, org: str) -> EventRequest:
    """`event` as `side` sends it: with a reason, the coded reason where its value set has one, and an appointment
    when it books one."""
    return EventRequest(event=event, side=side, org=org, actor=f"{side}-clinician", reason="test reason",
                        reason_code=REASON_CODES.get(event),
                        appointment=APPOINTMENT if event == ReferralEvent.SCHEDULE else None)  # fmt: skip


def process_env(client: Client, settings: Settings, **extra: str) -> dict[str, str]:
    """Environment for a CLI or worker subprocess that joins this test session's server, store and key."""
    import os

    return {
        **os.environ,
        "REFERRAL_TEMPORAL_ADDRESS": client.service_client.config.target_host,
        "REFERRAL_NAMESPACE": settings.namespace,
        "REFERRAL_PAYLOAD_KEY": settings.payload_key or "",
        "REFERRAL_DATA_DIR": str(settings.data_dir),
        "REFERRAL_CPU_TASK_QUEUE": settings.cpu_task_queue,
        "REFERRAL_GPU_TASK_QUEUE": settings.gpu_task_queue,
        **extra,
    }


def first_round(referral_id: str) -> str:
    """The workflow id of a referral's first review round (the referring side's letter): its child workflow."""
    from flows.referral.contract import round_workflow_id
    from referral.review_plan import ReviewRoundName

    return round_workflow_id(referral_id, ReviewRoundName.REFERRAL, 1)


async def wait_for_attempts(
    client: Client, referral_id: str, activity: str, attempts: int, timeout_s: float = 120
) -> None:
    """Until the named activity of the workflow (a referral, or one of its review rounds) is on its
    `attempts`-th try (it failed and was retried)."""
    import pytest

    handle = client.get_workflow_handle(referral_id)
    deadline = asyncio.get_running_loop().time() + timeout_s
    while asyncio.get_running_loop().time() < deadline:
        try:
            pending = (await handle.describe()).raw_description.pending_activities
            if any(p.activity_type.name == activity and p.attempt >= attempts for p in pending):
                return
        except RPCError as err:  # a review round's child workflow may not have started yet
            if err.status != RPCStatusCode.NOT_FOUND:
                raise
        await asyncio.sleep(0.5)
    pytest.fail(f"{activity} did not reach attempt {attempts}")


async def wait_for_activity(client: Client, referral_id: str, activity: str, timeout_s: float = 60) -> None:
    """Until the named activity of the workflow (a referral, or one of its review rounds) has completed once."""
    import pytest
    from temporalio.api.enums.v1 import EventType

    handle = client.get_workflow_handle(referral_id)
    deadline = asyncio.get_running_loop().time() + timeout_s
    while asyncio.get_running_loop().time() < deadline:
        try:
            events = (await handle.fetch_history()).events
        except RPCError as err:  # a review round's child workflow may not have started yet
            if err.status != RPCStatusCode.NOT_FOUND:
                raise
            events = []
        scheduled = {e.event_id for e in events if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
                     and e.activity_task_scheduled_event_attributes.activity_type.name == activity}  # fmt: skip
        completed = [e.activity_task_completed_event_attributes.scheduled_event_id for e in events
                     if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED]  # fmt: skip
        if scheduled & set(completed):
            return
        await asyncio.sleep(0.5)
    pytest.fail(f"{activity} did not complete")


async def raw_history(client: Client, referral_id: str):  # type: ignore[no-untyped-def]
    """The history as the server stores it: fetched by a client without the payload codec."""
    raw = await Client.connect(client.service_client.config.target_host, namespace=client.namespace)
    return await raw.get_workflow_handle(referral_id).fetch_history()


async def replays(client: Client, settings: Settings, referral_id: str) -> None:
    """The referral's history so far replays on the current workflow code without non-determinism."""
    from temporalio.worker import Replayer

    from flows.referral.workflow import ReferralWorkflow
    from referral.temporal import data_converter

    history = await client.get_workflow_handle(referral_id).fetch_history()
    await Replayer(workflows=[ReferralWorkflow], data_converter=data_converter(settings)).replay_workflow(history)


@asynccontextmanager
async def running(*workers: Worker) -> AsyncIterator[None]:
    """These workers poll their task queues for the body of the `with`, and are shut down after it."""
    tasks = [asyncio.create_task(worker.run()) for worker in workers]
    try:
        yield
    finally:
        await asyncio.gather(*(worker.shutdown() for worker in workers))
        for task in tasks:
            task.cancel()
