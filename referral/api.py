"""HTTP API: referral intake (multipart), status, history, available actions, events and worklists.

Every call carries `Authorization: Bearer <token>`; the token names the caller's institution, and a caller
may only submit as its own institution and only see or move referrals it is a party to."""

import asyncio
import hmac
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, FastAPI, File, Form, Header, HTTPException, Query, Request, Response, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError
from temporalio.client import Client

from flows.referral.io import (
    Appointment,
    ConsentWithdrawal,
    ConsentWithdrawalNote,
    ConsentWithdrawalRecord,
    EventRequest,
    OutcomeRequest,
    ReferralStatus,
    TransitionRecord,
)
from referral.config import Settings
from referral.http_refusals import event_refused
from referral.models import DictationLanguage, DocumentRef, ReferralRequest, Side
from referral.network import Network, UnknownInstitution, load_network
from referral.operations import (
    EventRefused,
    ListedReferral,
    NotAParty,
    ReferralNotFound,
    add_interim_documents,
    get_available_actions,
    get_history,
    hint_review,
    list_referrals,
    request_outcome,
    send_event,
    withdraw_consent,
)
from referral.operations import (
    party_status as read_party_status,
)
from referral.order_routes import add_order_routes
from referral.reasons import ReasonCodes, load_reason_codes
from referral.states import ReferralEvent, ReferralState
from referral.storage import DocumentStore, open_store
from referral.submission import (
    FileRejected,
    IdempotencyConflict,
    ImplausibleRequest,
    IncomingDictation,
    IncomingFile,
    ReReferralRefused,
    check_files,
    submit_referral,
)
from referral.temporal import connect
from referral.web.app import add_worklist
from review.board import WEBHOOK_ACTIONS, WEBHOOK_SECRET_HEADER

_FILE_STATUS = {"too_large": 413, "unsupported_type": 415}


class SubmissionResponse(BaseModel):
    referral_id: str
    duplicate: bool = Field(description="true when this submission repeats an existing referral")
    documents: list[DocumentRef]


def file_refused(err: FileRejected) -> HTTPException:
    return HTTPException(_FILE_STATUS.get(err.code, 422), {"code": err.code, "message": str(err)})


class EventBody(BaseModel):
    event: ReferralEvent
    actor: str = Field(min_length=1, max_length=100)
    reason: str | None = Field(default=None, max_length=2000)
    reason_code: str | None = Field(default=None, max_length=64, description="see GET /reason-codes")
    appointment: Appointment | None = Field(default=None, description="with `schedule`: start (with time zone), place")


class Services:
    def __init__(self, settings: Settings, client: Client, store: DocumentStore, network: Network) -> None:
        self.settings, self.client, self.store, self.network = settings, client, store, network
        self.tokens = settings.api_tokens()


def create_app(
    settings: Settings,
    client: Client | None = None,
    store: DocumentStore | None = None,
    network: Network | None = None,
) -> FastAPI:
    ready: dict[str, Services] = {}
    lock = asyncio.Lock()

    async def services() -> Services:
        # Built on first use (not in a lifespan hook) so that any ASGI server or test transport works.
        if "services" not in ready:
            async with lock:
                if "services" not in ready:
                    ready["services"] = Services(
                        settings,
                        client or await connect(settings),
                        store or open_store(settings),
                        network or load_network(settings.network_file),
                    )
        return ready["services"]

    app = FastAPI(
        title="Referral AX",
        version="0.1.0",
        description="의뢰·회송 (referral and return referral) between hospitals. Each referral is a Temporal workflow.",
    )

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, err: RequestValidationError) -> JSONResponse:
        """422 saying where and why, never echoing what was sent (it may be patient data)."""
        where = [{"loc": e.get("loc"), "type": e.get("type"), "msg": e.get("msg")} for e in err.errors()]
        return JSONResponse({"detail": where}, status_code=422)

    async def caller_org(
        svc: Annotated[Services, Depends(services)],
        authorization: Annotated[str | None, Header(description="Bearer <institution token>")] = None,
    ) -> str:
        tokens = svc.tokens
        if not authorization or not authorization.startswith("Bearer "):
            raise HTTPException(401, "missing bearer token", headers={"WWW-Authenticate": "Bearer"})
        presented = authorization.removeprefix("Bearer ").strip().encode()
        for org, token in tokens.items():
            if hmac.compare_digest(presented, token.encode()):
                return org
        raise HTTPException(401, "invalid token", headers={"WWW-Authenticate": "Bearer"})

    Caller = Annotated[str, Depends(caller_org)]
    Svc = Annotated[Services, Depends(services)]

    async def party_status(svc: Services, referral_id: str, org: str) -> tuple[ReferralStatus, Side]:
        try:  # neither another institution's referral nor, before its delivery, one to this one is revealed
            party = await read_party_status(svc.client, referral_id, org)
        except NotAParty:
            raise HTTPException(404, "no such referral") from None
        return party.status, party.side

    add_order_routes(app, services, caller_org, party_status)

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "UP"}

    @app.get("/reason-codes", response_model=ReasonCodes)
    async def reason_codes(svc: Svc, org: Caller) -> ReasonCodes:
        """The coded reasons each event takes (decline, return with advice, cancellations, no-show), with which
        ones need a comment: what an EMR or worklist offers its staff to choose from."""
        return load_reason_codes(svc.settings.reason_codes_file)

    @app.post(
        "/referrals", response_model=SubmissionResponse, status_code=201, responses={200: {"model": SubmissionResponse}}
    )
    async def submit(
        svc: Svc,
        org: Caller,
        response: Response,
        referral: Annotated[str, Form(description="ReferralRequest as JSON")],
        files: Annotated[list[UploadFile] | None, File(description="PDF, PNG, JPEG or TIFF documents")] = None,
        dictations: Annotated[
            list[UploadFile] | None, File(description="voice dictations: WAV, FLAC, MP3, OGG, M4A or WebM")
        ] = None,
        dictation_language: Annotated[DictationLanguage, Form()] = "ko",
        idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
    ) -> SubmissionResponse:
        try:
            request = ReferralRequest.model_validate_json(referral)
        except ValidationError as err:
            where = err.errors(include_url=False, include_input=False, include_context=False)
            raise HTTPException(422, where) from None
        if request.referring.org != org:
            raise HTTPException(403, "a caller may only submit referrals as its own institution")
        limits = svc.settings.limits
        incoming = [IncomingFile(f.filename or "", await f.read(limits.max_bytes + 1)) for f in files or []]
        heard = [
            IncomingDictation(f.filename or "", await f.read(limits.max_audio_bytes + 1), dictation_language)
            for f in dictations or []
        ]
        try:
            result = await submit_referral(
                svc.client, svc.store, svc.network, svc.settings, request, incoming, idempotency_key, heard
            )
        except (UnknownInstitution, ImplausibleRequest) as err:
            raise HTTPException(422, str(err)) from None
        except FileRejected as err:
            raise file_refused(err) from None
        except (IdempotencyConflict, ReReferralRefused) as err:
            raise HTTPException(409, str(err)) from None
        body = SubmissionResponse(
            referral_id=result.referral_id, duplicate=result.duplicate, documents=result.documents
        )
        if result.duplicate:
            return JSONResponse(body.model_dump(mode="json"), status_code=200)  # type: ignore[return-value]
        return body

    @app.get("/referrals", response_model=list[ListedReferral])
    async def worklist(
        svc: Svc,
        org: Caller,
        status: ReferralState | None = None,
        side: Annotated[Side | None, Query()] = None,
        overdue: Annotated[bool, Query(description="only open referrals past the due time of their wait")] = False,
    ) -> list[ListedReferral]:
        overdue_at = datetime.now(UTC) if overdue else None
        return await list_referrals(svc.client, status=status, org=org, side=side, overdue_at=overdue_at)

    @app.get("/referrals/{referral_id}", response_model=ReferralStatus)
    async def referral_status(svc: Svc, org: Caller, referral_id: str) -> ReferralStatus:
        status, _ = await party_status(svc, referral_id, org)
        return status

    @app.get("/referrals/{referral_id}/history", response_model=list[TransitionRecord])
    async def referral_history(svc: Svc, org: Caller, referral_id: str) -> list[TransitionRecord]:
        await party_status(svc, referral_id, org)
        return await get_history(svc.client, referral_id)

    @app.get("/referrals/{referral_id}/actions", response_model=list[ReferralEvent])
    async def referral_actions(svc: Svc, org: Caller, referral_id: str) -> list[ReferralEvent]:
        _, side = await party_status(svc, referral_id, org)
        return await get_available_actions(svc.client, referral_id, side)

    @app.post("/referrals/{referral_id}/events", response_model=TransitionRecord)
    async def referral_event(svc: Svc, org: Caller, referral_id: str, body: EventBody) -> TransitionRecord:
        _, side = await party_status(svc, referral_id, org)
        request = EventRequest(side=side, org=org, **body.model_dump())
        try:
            return await send_event(svc.client, referral_id, request)
        except EventRefused as err:
            raise event_refused(err) from None
        except ReferralNotFound:
            raise HTTPException(409, "referral is closed") from None

    @app.post("/referrals/{referral_id}/consent-withdrawal", response_model=ConsentWithdrawalRecord)
    async def consent_withdrawal(
        svc: Svc, org: Caller, referral_id: str, body: ConsentWithdrawalNote
    ) -> ConsentWithdrawalRecord:
        """The patient withdrew the consent to send the records (recorded by the referring side, which took it): a
        delivery still being retried stops and nothing more of this referral is sent, in either direction."""
        _, side = await party_status(svc, referral_id, org)
        if side != Side.REFERRING:
            raise HTTPException(403, "the referring side, which took the consent, records its withdrawal")
        try:
            return await withdraw_consent(svc.client, referral_id, ConsentWithdrawal(org=org, **body.model_dump()))
        except EventRefused as err:
            raise event_refused(err) from None

    async def stay_documents(
        svc: Services, org: str, referral_id: str, actor: str, files: list[UploadFile] | None, interim: bool
    ) -> dict[str, str]:
        _, side = await party_status(svc, referral_id, org)
        if side != Side.RECEIVING:
            raise HTTPException(403, "only the receiving side adds documents of the stay or drafts the outcome")
        incoming = [
            IncomingFile(f.filename or "", await f.read(svc.settings.limits.max_bytes + 1)) for f in files or []
        ]
        try:
            checked = check_files(incoming, svc.settings) if incoming or interim else []
        except FileRejected as err:
            raise file_refused(err) from None
        for item in checked:
            await asyncio.to_thread(svc.store.put, item.data, item.ref.media_type)
        request = OutcomeRequest(org=org, actor=actor, documents=[c.ref for c in checked])
        try:
            await (add_interim_documents if interim else request_outcome)(svc.client, referral_id, request)
        except EventRefused as err:
            raise event_refused(err) from None
        return {"status": "added" if interim else "drafting"}

    @app.post("/referrals/{referral_id}/documents", status_code=202)
    async def referral_documents(
        svc: Svc,
        org: Caller,
        referral_id: str,
        actor: Annotated[str, Form(min_length=1, max_length=100)],
        files: Annotated[list[UploadFile], File(description="pre-anesthesia, pathology, admission documents")],
    ) -> dict[str, str]:
        """The receiving side adds documents of the stay while the patient is in care."""
        return await stay_documents(svc, org, referral_id, actor, files, interim=True)

    @app.post("/referrals/{referral_id}/outcome", status_code=202)
    async def referral_outcome(
        svc: Svc,
        org: Caller,
        referral_id: str,
        actor: Annotated[str, Form(min_length=1, max_length=100)],
        files: Annotated[list[UploadFile] | None, File(description="documents of the stay")] = None,
    ) -> dict[str, str]:
        """The receiving side asks for the 회송서 and discharge summary drafts, with the documents of the stay."""
        return await stay_documents(svc, org, referral_id, actor, files, interim=False)

    @app.post("/review/webhook", include_in_schema=True, summary="Label Studio annotation webhook")
    async def review_webhook(
        request: Request,
        svc: Svc,
        secret: Annotated[str | None, Header(alias=WEBHOOK_SECRET_HEADER)] = None,
    ) -> dict[str, str]:
        """Checks the shared secret and tells the referral named in the task's meta to look at that task. Nothing of
        the payload is taken as a decision: the workflow reads decisions from Label Studio with the service token,
        so a forged payload (even with the secret) changes nothing. Answers at once: Label Studio waits one second
        and never retries (the fleet reconciler and the workflow's reminder timer catch what is lost)."""
        expected = svc.settings.webhook_secret()
        if not expected or not secret or not hmac.compare_digest(secret.encode(), expected.encode()):
            raise HTTPException(401, "missing or wrong webhook secret")
        try:
            payload = await request.json()
            task = payload.get("task") or {}
            workflow_id, task_id = (task.get("meta") or {}).get("workflow_id"), int(task["id"])
        except (ValueError, KeyError, TypeError, AttributeError):
            raise HTTPException(422, "not a Label Studio annotation payload") from None
        if payload.get("action") not in WEBHOOK_ACTIONS or not isinstance(workflow_id, str) or not workflow_id:
            return {"status": "ignored"}
        return {"status": await hint_review(svc.client, workflow_id, [task_id])}

    add_worklist(app, settings, services)
    return app


def app_from_env() -> FastAPI:
    """Entry point for `uvicorn --factory referral.api:app_from_env`."""
    return create_app(Settings())
