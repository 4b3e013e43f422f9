"""The 진료협력센터 worklist, served by the API process under /app: sign-in per staff member, each institution's
incoming and outgoing worklists with counts, and (referral_routes.py) the referral page and its actions.

Pages are rendered on the server (Jinja2); htmx refreshes the counts and shows progress on actions. Every read and
action goes through the same functions as the API (referral.operations), with the same party check, as the
signed-in member's institution: a member sees only that institution's referrals, the receiving side only
delivered ones."""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Protocol
from urllib.parse import quote

from fastapi import FastAPI, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.datastructures import FormData
from temporalio.client import Client

from referral.config import Settings
from referral.models import Priority, Side
from referral.network import Network, Tier
from referral.storage import DocumentStore
from referral.web.accounts import ROLE_LABELS, StaffAccount, StaffDirectory
from referral.web.sessions import COOKIE, CSRF_FIELD, CSRF_HEADER, SessionSigner, StaffSession
from referral.web.worklist import WorklistFilter, build_worklist, korean_datetime, vocabulary

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
LOGIN_COOKIE = "referral_login"
MAX_FAILURES, FAILURE_WINDOW_S = 5, 15 * 60
_SIGN_IN = {
    "expired": "로그인 양식이 만료되었습니다. 다시 시도하십시오 (the sign-in form expired: try again)",
    "locked": "로그인 시도가 너무 많습니다. 15분 후 다시 시도하십시오 (too many attempts: wait 15 minutes)",
    "wrong": "아이디 또는 비밀번호가 올바르지 않습니다 (wrong username or password)",
}
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


class WebServices(Protocol):
    settings: Settings
    client: Client
    store: DocumentStore
    network: Network


ServicesFactory = Callable[[], Awaitable[WebServices]]


@dataclass(frozen=True)
class Member:
    account: StaffAccount
    session: StaffSession
    csrf: str


class SignInRequired(Exception):
    pass


class CsrfRefused(Exception):
    pass


class Web:
    """The worklist's state in one API process: templates, staff accounts, the session signer, sign-in failures."""

    def __init__(self, settings: Settings, services: ServicesFactory) -> None:
        self.settings, self.services = settings, services
        key = settings.web_session_key()
        if not key:
            log.warning("no web session key (secrets/web-session-key): sessions end when this process restarts")
        self.signer = SessionSigner((key or secrets.token_urlsafe(32)).encode(), settings.web_session_idle_s,
                                    settings.web_session_max_s)  # fmt: skip
        self.staff = StaffDirectory(settings.staff_path)
        self.templates = Jinja2Templates(directory=HERE / "templates")
        self.templates.env.filters["kdate"] = korean_datetime
        self.templates.env.globals.update(words=vocabulary(), role_labels=ROLE_LABELS, CSRF_FIELD=CSRF_FIELD)
        self.failures: dict[str, list[float]] = {}

    def member(self, request: Request) -> Member:
        session = self.signer.open(request.cookies.get(COOKIE))
        account = self.staff.get(session.username) if session else None
        if session is None or account is None or account.org != session.org:
            raise SignInRequired
        return Member(account, session, self.signer.csrf_token(session))

    async def form(self, request: Request, member: Member) -> FormData:
        """The posted form, once its CSRF token (field or htmx header) is this session's."""
        form = await request.form()
        token = form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER)
        if not self.signer.csrf_ok(member.session, token if isinstance(token, str) else None):
            raise CsrfRefused
        return form

    def org_name(self, network: Network, code: str | None) -> str:
        try:
            return network.institution(code or "").name
        except LookupError:
            return code or "-"

    def render(
        self, request: Request, member: Member | None, template: str, context: dict[str, Any], status: int = 200
    ) -> Response:
        response = self.templates.TemplateResponse(request, template, {"member": member, **context}, status_code=status)
        response.headers.update(SECURITY_HEADERS)
        if member is not None:
            self.set_session(response, member.session)
        return response

    def set_session(self, response: Response, session: StaffSession) -> None:
        response.set_cookie(
            COOKIE, self.signer.seal(session), max_age=int(self.settings.web_session_max_s), path="/app",
            httponly=True, samesite="strict", secure=self.settings.web_secure_cookies,
        )  # fmt: skip

    def locked_out(self, username: str, now: float) -> bool:
        recent = [t for t in self.failures.get(username, []) if now - t < FAILURE_WINDOW_S]
        self.failures[username] = recent
        return len(recent) >= MAX_FAILURES


def _safe_next(target: str | None) -> str:
    """Only a path of this app: never another site after sign-in."""
    return target if target and target.startswith("/app/") and not target.startswith("//") else "/app/worklist"


def add_worklist(app: FastAPI, settings: Settings, services: ServicesFactory) -> Web:
    from referral.web.referral_routes import add_referral_routes

    web = Web(settings, services)
    app.mount("/app/static", StaticFiles(directory=HERE / "static"), name="worklist-static")

    @app.exception_handler(SignInRequired)
    async def sign_in_first(request: Request, _: SignInRequired) -> Response:
        target = "/app/login?next=" + quote(request.url.path)
        if request.headers.get("HX-Request"):
            return Response(status_code=401, headers={"HX-Redirect": target})
        if request.method == "GET":
            return RedirectResponse(target, status_code=303)
        context = {"error": "세션이 만료되었습니다. 다시 로그인하십시오 (your session ended: sign in again)"}
        return web.render(request, None, "login.html", {**context, "login_token": "", "next": ""}, 401)

    @app.exception_handler(CsrfRefused)
    async def csrf_refused(request: Request, _: CsrfRefused) -> Response:
        message = "요청을 확인할 수 없습니다. 페이지를 새로 고친 뒤 다시 시도하십시오 (the form was not this session's)"
        return web.render(request, None, "error.html", {"error": message}, 403)

    def login_page(request: Request, target: str | None, error: str | None = None, status: int = 200) -> Response:
        token = secrets.token_urlsafe(16)
        response = web.render(request, None, "login.html", {"error": error, "login_token": token,
                                                            "next": _safe_next(target)}, status)  # fmt: skip
        response.set_cookie(LOGIN_COOKIE, token, path="/app/login", httponly=True, samesite="strict",
                            secure=settings.web_secure_cookies)  # fmt: skip
        return response

    @app.get("/app", include_in_schema=False)
    @app.get("/app/", include_in_schema=False)
    async def home() -> Response:
        return RedirectResponse("/app/worklist", status_code=303)

    @app.get("/app/login", include_in_schema=False)
    async def login_form(request: Request, next: str | None = None) -> Response:
        return login_page(request, next)

    @app.post("/app/login", include_in_schema=False)
    async def login(
        request: Request, username: Annotated[str, Form(max_length=64)], password: Annotated[str, Form(max_length=256)],
        login_token: Annotated[str, Form(max_length=64)], next: Annotated[str, Form(max_length=500)] = "",
    ) -> Response:  # fmt: skip
        cookie = request.cookies.get(LOGIN_COOKIE)
        if not cookie or not secrets.compare_digest(cookie, login_token):
            return login_page(request, next, _SIGN_IN["expired"], 403)
        name, now = username.strip().lower(), time.time()
        if web.locked_out(name, now):
            return login_page(request, next, _SIGN_IN["locked"], 429)
        account = web.staff.authenticate(name, password)
        if account is None:
            web.failures.setdefault(name, []).append(now)
            return login_page(request, next, _SIGN_IN["wrong"], 401)
        web.failures.pop(name, None)
        response = RedirectResponse(_safe_next(next), status_code=303)
        web.set_session(response, web.signer.start(account))
        response.delete_cookie(LOGIN_COOKIE, path="/app/login")
        log.info("worklist sign-in: %s of %s", account.username, account.org)
        return response

    @app.post("/app/logout", include_in_schema=False)
    async def logout(request: Request) -> Response:
        member = web.member(request)
        await web.form(request, member)
        web.signer.revoke(member.session)
        response = RedirectResponse("/app/login", status_code=303)
        response.delete_cookie(COOKIE, path="/app")
        return response

    async def worklist_context(
        request: Request, side: Side | None, chosen: WorklistFilter, with_rows: bool = True
    ) -> tuple[Member, dict[str, Any]]:
        member = web.member(request)
        svc = await services()
        me = svc.network.institution(member.account.org)
        side = side or (Side.RECEIVING if me.tier == Tier.TERTIARY else Side.REFERRING)
        names = {code: i.name for code, i in svc.network.institutions().items()}
        worklist = await build_worklist(svc.client, member.account.org, side, chosen, names, with_rows=with_rows)
        return member, {"worklist": worklist, "side": side, "chosen": chosen, "institution": me}

    def chosen_filter(
        bucket: str | None, priority: str | None, department: str | None, overdue: bool, escalated: bool,
        due_within_h: str | None,
    ) -> WorklistFilter:  # fmt: skip
        return WorklistFilter(
            bucket=bucket or None, priority=Priority(priority) if priority else None,
            department=(department or "").strip() or None, overdue_only=overdue, escalated_only=escalated,
            due_within_h=int(due_within_h) if due_within_h and due_within_h.isdigit() else None,
        )  # fmt: skip

    @app.get("/app/worklist", include_in_schema=False)
    async def worklist(
        request: Request, side: Side | None = None, bucket: Annotated[str | None, Query(max_length=40)] = None,
        priority: Priority | None = None, department: Annotated[str | None, Query(max_length=100)] = None,
        overdue: bool = False, escalated: bool = False, due_within_h: Annotated[str | None, Query(max_length=4)] = None,
    ) -> Response:  # fmt: skip
        chosen = chosen_filter(bucket, priority, department, overdue, escalated, due_within_h)
        member, context = await worklist_context(request, side, chosen)
        return web.render(request, member, "worklist.html", context)

    @app.get("/app/worklist/counts", include_in_schema=False)
    async def worklist_counts(request: Request, side: Side | None = None) -> Response:
        member, context = await worklist_context(request, side, WorklistFilter(), with_rows=False)
        return web.render(request, member, "_counts.html", context)

    add_referral_routes(app, web)
    return web
