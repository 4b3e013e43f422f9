"""A real Label Studio server (started once per test session: its first start takes ~90 s), the HTTP API
served on a real port for Label Studio's webhooks, a CPU worker configured for review, and reviewer accounts."""

from __future__ import annotations

import asyncio
import secrets
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
import uvicorn
from temporalio.client import Client

from referral.api import create_app
from referral.config import Settings
from referral.devserver import free_port
from referral.network import Network
from referral.storage import DocumentStore
from review.board import ReviewBoard, review_board
from review.models import ReviewTaskRef
from review.roster import Signer, add_signer
from review.server import LabelStudioServer
from tests.helpers import running
from workers import cpu

if TYPE_CHECKING:
    from playwright.async_api import Page

REVIEWERS = {"dr.kim@yeongwol.example": "kim-review-pass-1", "dr.jung@yeongwol.example": "jung-review-pass-1",
             "dr.park@knuh.example": "park-review-pass-1", "dr.han@knuh.example": "han-review-pass-1",
             "dr.choi@knuh.example": "choi-review-pass-1", "dr.yoon@knuh.example": "yoon-review-pass-1"}  # fmt: skip
# who may sign for which institution (fictional clinicians and licence numbers); dr.han has an account, no entry
ROSTER = {
    "yeongwol-mc": [Signer(email="dr.kim@yeongwol.example", name="김영월", licence="100001", department="내과"),
                    Signer(email="dr.jung@yeongwol.example", name="정가정", licence="100002", department="가정의학과")],
    "knuh": [Signer(email="dr.park@knuh.example", name="박강원", licence="200001", department="외과"),
             Signer(email="dr.choi@knuh.example", name="최마취", licence="200002", department="마취통증의학과"),
             Signer(email="dr.yoon@knuh.example", name="윤병리", licence="200003", department="병리과")],
}  # fmt: skip
# who signs which draft kind on 강원대병원's side: its anaesthesiology and pathology sign their own drafts
KNUH_SIGNERS = {"pre_anesthesia": "dr.choi@knuh.example", "pathology_review": "dr.yoon@knuh.example"}


# 강원대병원's own board (the receiving side of the deployment fixture): only its clinicians have accounts there
KNUH_REVIEWERS = ["dr.park@knuh.example", "dr.han@knuh.example", "dr.choi@knuh.example", "dr.yoon@knuh.example"]


def _board_server(folder: Path, reviewers: list[str]) -> Iterator[LabelStudioServer]:
    server = LabelStudioServer(folder / "data", free_port(), "admin@referral.example", secrets.token_urlsafe(12),
                               secrets.token_hex(20), log=(folder / "label-studio.log").open("ab"))  # fmt: skip
    server.start()
    try:
        server.wait_ready()
        board = ReviewBoard(server.url, server.token)
        for email in reviewers:
            board.invite_reviewer(email, REVIEWERS[email])
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def label_studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabelStudioServer]:
    """The default board (institutions without their own): the referring side's in these tests."""
    yield from _board_server(tmp_path_factory.mktemp("labelstudio"), list(REVIEWERS))


@pytest.fixture(scope="session")
def knuh_board(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabelStudioServer]:
    """강원대병원's own Label Studio, named in the deployment's network file."""
    yield from _board_server(tmp_path_factory.mktemp("labelstudio-knuh"), KNUH_REVIEWERS)


class ApiServer:
    """The API on a real loopback port, stoppable to play a receiver outage."""

    def __init__(self, app: object, port: int) -> None:
        self.port = port
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.server.should_exit = False
        self.task = asyncio.create_task(self.server.serve())
        while not self.server.started:
            await asyncio.sleep(0.05)

    async def stop(self) -> None:
        self.server.should_exit = True
        if self.task is not None:
            await self.task
        self.server.started = False


@dataclass
class ReviewEnv:
    settings: Settings
    api: ApiServer
    board: ReviewBoard
    label_studio: LabelStudioServer


@pytest.fixture(scope="session")
def review_settings(settings: Settings, label_studio: LabelStudioServer) -> Settings:
    """The session's settings with the board and one webhook receiver: Label Studio registers a webhook when it
    makes a review project, so every test module's projects send to the same receiver, as in a deployment."""
    for org, signers in ROSTER.items():
        for signer in signers:
            add_signer(settings.roster_path, org, signer)
    port = free_port()
    return settings.with_changes(**{
        "label_studio_url": label_studio.url, "label_studio_token": label_studio.token,
        "review_webhook_url": f"http://127.0.0.1:{port}/review/webhook",
        "review_webhook_secret": secrets.token_urlsafe(24), "review_reminder_s": 3600.0,
    })  # fmt: skip


@pytest.fixture(scope="session")
async def webhook_receiver(
    client: Client, review_settings: Settings, store: DocumentStore, network: Network
) -> AsyncIterator[ApiServer]:
    """The HTTP API on the webhook port: it turns Label Studio's webhooks into hints to the referrals."""
    assert review_settings.review_webhook_url is not None
    port = int(review_settings.review_webhook_url.split(":")[2].split("/")[0])
    api = ApiServer(create_app(review_settings, client=client, store=store, network=network), port)
    await api.start()
    yield api
    await api.stop()


@pytest.fixture(scope="module")
async def review_env(
    client: Client, workers: None, review_settings: Settings, store: DocumentStore,
    label_studio: LabelStudioServer, webhook_receiver: ApiServer,
) -> AsyncIterator[ReviewEnv]:  # fmt: skip
    module_settings = review_settings.model_copy(update={"cpu_task_queue": f"cpu-review-{uuid.uuid4().hex[:6]}"})
    board = review_board(module_settings)
    async with running(cpu.build_worker(client, module_settings, store)):
        yield ReviewEnv(module_settings, webhook_receiver, board, label_studio)


def reviewer_token(url: str, email: str) -> str:
    with httpx.Client(base_url=url, follow_redirects=True, timeout=30) as web:
        web.get("/user/login/")
        web.post("/user/login/", data={"email": email, "password": REVIEWERS[email],
                                       "csrfmiddlewaretoken": web.cookies.get("csrftoken", "")},
                 headers={"Referer": f"{url}/user/login/"})  # fmt: skip
        return str(web.get("/api/current-user/token").json()["token"])


def annotate(url: str, email: str, task_id: int, decision: str, final_text: str | None = None,
             reason: str | None = None, identity: str | None = "keep") -> dict:  # type: ignore[type-arg]  # fmt: skip
    """A reviewer's annotation through the API. `identity`: the keep/remove mark a reviewer gives pages with an
    identity finding (the test documents print other patients); ignored on a referral without findings."""
    result = [{"from_name": "decision", "to_name": "source", "type": "choices", "value": {"choices": [decision]}}]
    if identity is not None:
        result.append({"from_name": "identity", "to_name": "source", "type": "choices",
                       "value": {"choices": [identity]}})  # fmt: skip
    if final_text is not None:
        result.append({"from_name": "final_text", "to_name": "source", "type": "textarea",
                       "value": {"text": [final_text]}})  # fmt: skip
    if reason is not None:
        result.append({"from_name": "reason", "to_name": "source", "type": "textarea", "value": {"text": [reason]}})
    response = httpx.post(f"{url}/api/tasks/{task_id}/annotations/", json={"result": result, "lead_time": 3.0},
                          headers={"Authorization": f"Token {reviewer_token(url, email)}"}, timeout=30)  # fmt: skip
    response.raise_for_status()
    return response.json()  # type: ignore[no-any-return]


@asynccontextmanager
async def signed_in_browser(url: str, email: str) -> AsyncIterator[Page]:
    """A clinician signed in to a Label Studio board (Debian chromium)."""
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--no-first-run"],
        )  # fmt: skip
        try:
            page = await browser.new_page(viewport={"width": 1400, "height": 1100})
            await page.goto(f"{url}/user/login/")
            await page.fill("input[name=email]", email)
            await page.fill("input[name=password]", REVIEWERS[email])
            await page.click("button[type=submit]")
            await page.wait_for_load_state("networkidle")
            yield page
        finally:
            await browser.close()


@asynccontextmanager
async def task_in_browser(url: str, email: str, task: ReviewTaskRef) -> AsyncIterator[Page]:
    """A clinician signed in to Label Studio, on the page of one review task."""
    async with signed_in_browser(url, email) as page:
        await page.goto(f"{url}/projects/{task.project_id}/data?task={task.task_id}")
        yield page
