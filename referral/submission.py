"""Intake of a new referral, shared by the CLI, the HTTP API and (later) bulk intake: validate every file by
content, store the documents, start the referral's workflow. A file that fails stops the whole submission
before anything is stored or started."""

from __future__ import annotations

import asyncio
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from flows.referral.io import ReferralWorkflowInput, WorkflowSettings
from flows.referral.workflow import ReferralWorkflow
from referral.audio.inspect import inspect_audio
from referral.config import Settings
from referral.documents import DocumentRejected, inspect_document, sanitize_filename
from referral.models import DictationLanguage, DictationRef, DocumentRef, Priority, Referral, ReferralRequest
from referral.network import Network
from referral.reasons import load_reason_codes
from referral.search_attributes import RECEIVING_ORG, REFERRAL_PRIORITY, REFERRAL_STAGE, REFERRAL_STATUS, REFERRING_ORG
from referral.states import TERMINAL_STATES, ReferralState
from referral.storage import DocumentStore, sha256_hex

WORKFLOW_NAME = ReferralWorkflow.__name__  # its workflow type, for visibility queries


@dataclass(frozen=True)
class IncomingFile:
    filename: str
    data: bytes


@dataclass(frozen=True)
class IncomingDictation:
    filename: str
    data: bytes
    language: DictationLanguage = "ko"


class FileRejected(ValueError):
    """One file of a submission was refused; says which one (by position and the sender's own name)."""

    def __init__(self, index: int, filename: str, rejected: DocumentRejected, what: str = "file") -> None:
        super().__init__(f"{what} {index} ({filename!r}): {rejected}")
        self.index = index
        self.code = rejected.code


class ReReferralRefused(ValueError):
    """A re-referral must replace a closed (declined or cancelled) referral of the same referring institution,
    and go elsewhere."""


class IdempotencyConflict(ValueError):
    """The idempotency key was used before for a different submission."""


@dataclass(frozen=True)
class SubmissionResult:
    referral_id: str
    duplicate: bool
    documents: list[DocumentRef]


def workflow_settings(settings: Settings, network: Network) -> WorkflowSettings:
    tuning = settings.workflow
    if settings.sla_override_s is not None:  # every wait's SLA replaced (demonstrations and tests)
        seconds = max(1, int(settings.sla_override_s))
        tuning = tuning.model_copy(update={
            "sla_seconds": {state: seconds for state in ReferralState if state not in TERMINAL_STATES},
            "receipt_sla_seconds": dict.fromkeys(Priority, seconds),
        })  # fmt: skip
    return WorkflowSettings(
        **tuning.model_dump(), gpu_task_queue=settings.gpu_task_queue, review_plan=network.review_plan,
        reason_codes=load_reason_codes(settings.reason_codes_file),
    )  # fmt: skip


def operator_memo(network: Network, referral: Referral) -> dict[str, object]:
    """Labels for the operator's Temporal UI: institutions, priority, counts. Never patient data."""
    referring, receiving = network.institution(referral.referring.org), network.institution(referral.receiving.org)
    return {
        "fingerprint": referral.fingerprint,
        "referring": f"{referring.name} ({referring.code})",
        "receiving": f"{receiving.name} ({receiving.code})",
        "priority": referral.priority.value,
        "type": referral.referral_type.value,
        "documents": len(referral.documents),
        "dictations": len(referral.dictations),
    }


def submission_fingerprint(request: ReferralRequest, digests: list[str]) -> str:
    canonical = request.model_dump_json() + "\n" + "\n".join(digests)
    return hashlib.sha256(canonical.encode()).hexdigest()


def referral_id_for(referring_org: str, idempotency_key: str) -> str:
    """Deterministic and PHI-free: the same key from the same institution names the same referral."""
    return "ref-" + hashlib.sha256(f"{referring_org}\n{idempotency_key}".encode()).hexdigest()[:24]


REFERRAL_ID = re.compile(r"ref-[0-9a-f]{24}")  # what referral_id_for makes: the only ids a referral workflow has


@dataclass(frozen=True)
class _Checked:
    filename: str
    data: bytes
    ref: DocumentRef


def check_files(files: list[IncomingFile], settings: Settings, dictated: bool = False) -> list[_Checked]:
    if not files and not dictated:
        raise FileRejected(
            0, "", DocumentRejected("no_documents", "a referral needs at least one document or dictation")
        )
    if len(files) > settings.limits.max_files:
        raise FileRejected(
            len(files), "", DocumentRejected("too_many_files", f"at most {settings.limits.max_files} files")
        )
    checked = []
    for index, incoming in enumerate(files, start=1):
        try:
            name = sanitize_filename(incoming.filename)
            inspected = inspect_document(incoming.data, settings.limits)
        except DocumentRejected as err:
            raise FileRejected(index, incoming.filename, err) from None
        digest = sha256_hex(incoming.data)
        ref = DocumentRef(
            key=f"sha256/{digest[:2]}/{digest}",
            sha256=digest,
            media_type=inspected.media_type,
            page_count=inspected.page_count,
            size_bytes=len(incoming.data),
            filename=name,
        )
        checked.append(_Checked(name, incoming.data, ref))
    return checked


@dataclass(frozen=True)
class _CheckedDictation:
    data: bytes
    ref: DictationRef


def check_dictations(dictations: list[IncomingDictation], settings: Settings) -> list[_CheckedDictation]:
    checked = []
    for index, incoming in enumerate(dictations, start=1):
        try:
            name = sanitize_filename(incoming.filename)
            inspected = inspect_audio(incoming.data, settings.limits)
        except DocumentRejected as err:
            raise FileRejected(index, incoming.filename, err, what="dictation") from None
        digest = sha256_hex(incoming.data)
        ref = DictationRef(
            key=f"sha256/{digest[:2]}/{digest}", sha256=digest, media_type=inspected.media_type,
            duration_s=round(inspected.duration_s, 3), size_bytes=len(incoming.data), filename=name,
            language=incoming.language,
        )  # fmt: skip
        checked.append(_CheckedDictation(incoming.data, ref))
    return checked


async def check_re_referral(client: Client, request: ReferralRequest) -> None:
    from referral.operations import ReferralNotFound, get_status

    assert request.previous_referral_id is not None
    try:
        previous = await get_status(client, request.previous_referral_id)
    except ReferralNotFound:
        previous = None
    if previous is None or previous.referring_org != request.referring.org:
        # one answer for "does not exist" and "not yours": another institution's referral ids are not revealed
        raise ReReferralRefused("the referral to replace does not exist among this institution's referrals")
    if previous.state not in (ReferralState.DECLINED, ReferralState.CANCELLED):
        raise ReReferralRefused(
            f"only a declined or cancelled referral can be re-referred, not one in {previous.state}"
        )
    if previous.receiving_org == request.receiving.org:
        raise ReReferralRefused("a re-referral goes to another institution than the one that declined")


async def existing_fingerprint(client: Client, referral_id: str) -> str | None:
    try:
        description = await client.get_workflow_handle(referral_id).describe()
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return None
        raise
    if description.status not in (WorkflowExecutionStatus.RUNNING, WorkflowExecutionStatus.COMPLETED, None):
        # a failed or terminated run does not block a new one with the same id
        return None
    value = await description.memo_value("fingerprint", default=None, type_hint=str)
    return value


class ImplausibleRequest(ValueError):
    """A request whose content cannot be right (a birth date in the future); refused before anything is stored."""


EARLIEST_BIRTH_DATE = date(1900, 1, 1)  # no living patient was born earlier


def check_patient(request: ReferralRequest, today: date) -> None:
    if not EARLIEST_BIRTH_DATE <= request.patient.birth_date <= today:
        raise ImplausibleRequest(f"the patient's birth date must lie between {EARLIEST_BIRTH_DATE} and today ({today})")


def check_consent(request: ReferralRequest, now: datetime) -> None:
    if request.consent.given_at > now + timedelta(minutes=5):  # clocks differ a little, not by days
        raise ImplausibleRequest("the consent to send the records cannot have been given in the future")


async def submit_referral(
    client: Client,
    store: DocumentStore,
    network: Network,
    settings: Settings,
    request: ReferralRequest,
    files: list[IncomingFile],
    idempotency_key: str | None = None,
    dictations: list[IncomingDictation] | None = None,
) -> SubmissionResult:
    network.check_request(request)
    check_patient(request, date.today())
    check_consent(request, datetime.now(UTC))
    if request.previous_referral_id:
        await check_re_referral(client, request)
    checked = check_files(files, settings, dictated=bool(dictations))
    # decoding a long recording takes seconds: off the event loop
    heard = await asyncio.to_thread(check_dictations, dictations or [], settings)
    documents = [c.ref for c in checked]
    digests = [d.sha256 for d in documents] + [f"{h.ref.language}:{h.ref.sha256}" for h in heard]
    fingerprint = submission_fingerprint(request, digests)
    referral_id = referral_id_for(request.referring.org, idempotency_key or fingerprint)

    async def duplicate_of_existing() -> SubmissionResult | None:
        existing = await existing_fingerprint(client, referral_id)
        if existing is None:
            return None
        if existing != fingerprint:
            raise IdempotencyConflict("idempotency key was already used for a different referral")
        return SubmissionResult(referral_id=referral_id, duplicate=True, documents=documents)

    if (found := await duplicate_of_existing()) is not None:
        return found
    for item in checked:
        await asyncio.to_thread(store.put, item.data, item.ref.media_type)
    for recording in heard:
        await asyncio.to_thread(store.put, recording.data, recording.ref.media_type)
    referral = Referral(
        **request.model_dump(),
        referral_id=referral_id,
        documents=documents,
        dictations=[h.ref for h in heard],
        submitted_at=datetime.now(UTC),
        fingerprint=fingerprint,
    )
    try:
        await client.start_workflow(
            ReferralWorkflow.run,
            ReferralWorkflowInput(referral=referral, settings=workflow_settings(settings, network)),
            id=referral_id,
            task_queue=settings.cpu_task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            memo=operator_memo(network, referral),
            search_attributes=TypedSearchAttributes(
                [
                    SearchAttributePair(REFERRAL_STATUS, "DRAFT"),
                    SearchAttributePair(REFERRAL_STAGE, "SUBMITTED"),
                    SearchAttributePair(REFERRAL_PRIORITY, request.priority.value),
                    SearchAttributePair(REFERRING_ORG, request.referring.org),
                    SearchAttributePair(RECEIVING_ORG, request.receiving.org),
                ]
            ),
        )
    except WorkflowAlreadyStartedError:
        # An identical submission won the race; answer as for any duplicate.
        if (found := await duplicate_of_existing()) is not None:
            return found
        raise
    return SubmissionResult(referral_id=referral_id, duplicate=False, documents=documents)
