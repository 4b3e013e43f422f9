"""The referral page of the worklist, its print view, its files, its actions, and a new referral.

Every action is the API's: the same workflow update (`send_event`, `request_outcome`, `submit_referral`) as the
signed-in member's institution and side, after the same party check; a refusal is shown on the page with the
workflow's own reason, and nothing is changed."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from flows.referral.io import OutcomeRequest
from referral.models import Side
from referral.network import UnknownInstitution
from referral.operations import EventRefused, NotAParty, ReferralNotFound, party_status, request_outcome, send_event
from referral.reasons import load_reason_codes
from referral.submission import (
    FileRejected,
    IdempotencyConflict,
    ImplausibleRequest,
    IncomingFile,
    ReReferralRefused,
    submit_referral,
)
from referral.web.forms import FormRefused, event_request, referral_request_from
from referral.web.referral_page import (
    party_file,
    referral_view,
)

if TYPE_CHECKING:
    from referral.web.app import Member, Web

_NOT_FOUND = "의뢰를 찾을 수 없습니다 (no such referral)"
_NO_DOCUMENT = "문서를 찾을 수 없습니다 (no such document)"
_MAY_NOT_ACT = "이 계정은 조회 전용입니다 (this account may only read)"


def add_referral_routes(app: FastAPI, web: Web) -> None:
    async def page(
        request: Request, member: Member, referral_id: str, template: str = "referral.html",
        error: str | None = None, status: int = 200,
    ) -> Response:  # fmt: skip
        svc = await web.services()
        codes = load_reason_codes(svc.settings.reason_codes_file)
        try:
            view = await referral_view(svc.client, svc.store, referral_id, member.account.org,
                                       member.account.may_act, codes)  # fmt: skip
        except NotAParty:
            return web.render(request, member, "error.html", {"error": _NOT_FOUND}, 404)
        context = {
            "view": view, "referral_id": referral_id, "error": error, "done": request.query_params.get("done"),
            "org_name": lambda code: web.org_name(svc.network, code), "now": datetime.now(UTC),
        }  # fmt: skip
        return web.render(request, member, template, context, status)

    @app.get("/app/referrals/new", include_in_schema=False)
    async def new_referral_form(request: Request) -> Response:
        member = web.member(request)
        return await new_form(request, member, {}, None, 200)

    async def new_form(
        request: Request, member: Member, values: dict[str, Any], error: str | None, status: int
    ) -> Response:
        svc = await web.services()
        if not member.account.may_act:
            return web.render(request, member, "error.html", {"error": _MAY_NOT_ACT}, 403)
        others = [i for code, i in svc.network.institutions().items() if code != member.account.org]
        context = {"institutions": others, "values": values, "error": error,
                   "idempotency_key": values.get("idempotency_key") or uuid.uuid4().hex}  # fmt: skip
        return web.render(request, member, "new_referral.html", context, status)

    @app.post("/app/referrals/new", include_in_schema=False)
    async def new_referral(request: Request) -> Response:
        member = web.member(request)
        form = await web.form(request, member)
        values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
        if not member.account.may_act:
            return web.render(request, member, "error.html", {"error": _MAY_NOT_ACT}, 403)
        svc = await web.services()
        uploads = [f for f in form.getlist("files") if isinstance(f, UploadFile) and f.filename]
        try:
            referral = referral_request_from(form, member.account.org, member.account.name, datetime.now(UTC))
            limit = svc.settings.limits.max_bytes + 1
            files = [IncomingFile(f.filename or "", await f.read(limit)) for f in uploads]
            result = await submit_referral(
                svc.client, svc.store, svc.network, svc.settings, referral, files,
                f"web-{values.get('idempotency_key', '')}"[:200],
            )  # fmt: skip
        except FormRefused as err:
            return await new_form(request, member, values, str(err), 422)
        except (UnknownInstitution, ImplausibleRequest, FileRejected, IdempotencyConflict, ReReferralRefused) as err:
            status = 413 if isinstance(err, FileRejected) and err.code == "too_large" else 422
            return await new_form(request, member, values, f"접수할 수 없습니다 (refused): {err}", status)
        return RedirectResponse(f"/app/referrals/{result.referral_id}?done=submitted", status_code=303)

    @app.get("/app/referrals/{referral_id}", include_in_schema=False)
    async def referral(request: Request, referral_id: str) -> Response:
        return await page(request, web.member(request), referral_id)

    @app.get("/app/referrals/{referral_id}/print", include_in_schema=False)
    async def referral_print(request: Request, referral_id: str) -> Response:
        return await page(request, web.member(request), referral_id, "print.html")

    @app.post("/app/referrals/{referral_id}/events", include_in_schema=False)
    async def referral_event(request: Request, referral_id: str) -> Response:
        member = web.member(request)
        form = await web.form(request, member)
        svc = await web.services()
        try:
            side = (await party_status(svc.client, referral_id, member.account.org)).side
        except NotAParty:
            return web.render(request, member, "error.html", {"error": _NOT_FOUND}, 404)
        if not member.account.may_act:
            return await page(request, member, referral_id, error=_MAY_NOT_ACT, status=403)
        try:
            event = event_request(form, side, member.account.org, f"{member.account.name} ({member.account.username})")
            await send_event(svc.client, referral_id, event)
        except FormRefused as err:
            return await page(request, member, referral_id, error=str(err), status=422)
        except EventRefused as err:
            return await page(request, member, referral_id, error=f"처리되지 않았습니다 (refused): {err}", status=409)
        except ReferralNotFound:
            return await page(request, member, referral_id, error="의뢰가 종결되었습니다 (closed)", status=409)
        return RedirectResponse(f"/app/referrals/{referral_id}?done={event.event.value}", status_code=303)

    @app.post("/app/referrals/{referral_id}/outcome", include_in_schema=False)
    async def referral_outcome(request: Request, referral_id: str) -> Response:
        """The receiving side asks for the 회송서 and discharge summary drafts (its clinicians sign them)."""
        member = web.member(request)
        await web.form(request, member)
        svc = await web.services()
        try:
            side = (await party_status(svc.client, referral_id, member.account.org)).side
        except NotAParty:
            return web.render(request, member, "error.html", {"error": _NOT_FOUND}, 404)
        if side != Side.RECEIVING or not member.account.may_act:
            return await page(request, member, referral_id, error="회송서 작성은 진료기관이 요청합니다 "
                              "(only the receiving side asks for the 회송 drafts)", status=403)  # fmt: skip
        actor = f"{member.account.name} ({member.account.username})"
        try:
            await request_outcome(svc.client, referral_id, OutcomeRequest(org=member.account.org, actor=actor))
        except EventRefused as err:
            return await page(request, member, referral_id, error=f"처리되지 않았습니다 (refused): {err}", status=409)
        return RedirectResponse(f"/app/referrals/{referral_id}?done=outcome", status_code=303)

    @app.get("/app/referrals/{referral_id}/files/{kind}/{index}", include_in_schema=False)
    async def referral_file(request: Request, referral_id: str, kind: str, index: int, page_no: int = 0) -> Response:
        """A document of the referral for this side: an outside record (or one page image of it), a signed
        document of this side's review, or a document as it was received."""
        member = web.member(request)
        svc = await web.services()
        try:
            party = await party_status(svc.client, referral_id, member.account.org)
            data, media_type = await asyncio.to_thread(party_file, svc.store, party, kind, index, page_no)
        except (NotAParty, LookupError):
            return web.render(request, member, "error.html", {"error": _NO_DOCUMENT}, 404)
        return Response(data, media_type=media_type, headers={"Content-Disposition": "inline",
                        "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})  # fmt: skip
