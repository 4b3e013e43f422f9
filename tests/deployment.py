"""Two hospitals' gateways (영월의료원 and 강원대병원) on loopback, a network file pointing at them (and, when
given, at their PACS), and a CPU worker on its own task queue that delivers with short retry intervals; `settings`
are the session's review settings (board and webhook receiver). `delivered_referral`: a referral as the receiving
side first sees it."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
import yaml
from temporalio.client import Client

from flows.referral.io import ReferralStatus
from referral.config import Settings
from referral.devserver import free_port
from referral.gateway import MessageIndex, create_gateway
from referral.network import Network, load_network, write_network
from referral.review_plan import ReviewRoundName
from referral.signing_keys import SigningKeys
from referral.states import ReferralState
from referral.storage import DocumentStore
from referral.storage.local import LocalFolderStore
from referral.submission import IncomingFile, submit_referral
from review.server import LabelStudioServer
from tests.helpers import make_request, running, tiny_scan, wait_for
from tests.review_fixtures import ApiServer
from workers import cpu

TOKENS = {"yeongwol-mc": "yeongwol-gateway-token-0001", "knuh": "knuh-gateway-token-0001"}


class Deployment:
    def __init__(
        self, settings: Settings, network: Network, gateway: ApiServer, index: MessageIndex, inbox: LocalFolderStore
    ) -> None:
        self.settings, self.network, self.gateway, self.index, self.inbox = settings, network, gateway, index, inbox
        self.home_index: MessageIndex | None = None
        self.home_inbox: LocalFolderStore | None = None


@asynccontextmanager
async def deploy(
    client: Client,
    settings: Settings,
    store: DocumentStore,
    folder: Path,
    pacs_urls: dict[str, str] | None = None,
    boards: dict[str, LabelStudioServer] | None = None,
    **overrides: object,
) -> AsyncIterator[Deployment]:
    port, home_port = free_port(), free_port()
    gateways = {"knuh": f"http://127.0.0.1:{port}", "yeongwol-mc": f"http://127.0.0.1:{home_port}"}
    endpoints = {org: {"gateway_url": url} for org, url in gateways.items()}
    for org, url in (pacs_urls or {}).items():
        endpoints.setdefault(org, {})["pacs_url"] = url
    for org, board in (boards or {}).items():  # an institution's own review board
        endpoints.setdefault(org, {})["review_board_url"] = board.url
        overrides["label_studio_tokens"] = {**overrides.get("label_studio_tokens", {}), org: board.token}  # type: ignore[dict-item]
    write_network(folder / "network.yaml", endpoints)
    (folder / "tokens.yaml").write_text(yaml.safe_dump(TOKENS))
    deploy_settings = settings.with_changes(
        **{
            "cpu_task_queue": f"cpu-deliver-{uuid.uuid4().hex[:6]}",
            "network_file": folder / "network.yaml",
            "api_tokens_file": folder / "tokens.yaml",
            "delivery_retry_initial_s": 1.0,
            "delivery_retry_max_s": 2.0,
            **overrides,
        }
    )
    inbox, index = LocalFolderStore(folder / "knuh-inbox"), MessageIndex(folder / "knuh-messages.sqlite")
    trust_root = SigningKeys(deploy_settings.signing_keys_dir).trust_root()  # the workers sign with its keys
    gateway = ApiServer(create_gateway("knuh", TOKENS, inbox, index, trust_root), port)
    await gateway.start()
    home_inbox, home_index = LocalFolderStore(folder / "yeongwol-inbox"), MessageIndex(folder / "yeongwol.sqlite")
    home = ApiServer(create_gateway("yeongwol-mc", TOKENS, home_inbox, home_index, trust_root), home_port)
    await home.start()
    deployed = Deployment(deploy_settings, load_network(folder / "network.yaml"), gateway, index, inbox)
    deployed.home_index, deployed.home_inbox = home_index, home_inbox
    try:
        async with running(cpu.build_worker(client, deploy_settings, store)):
            yield deployed
    finally:
        await home.stop()
        if gateway.server.started:
            await gateway.stop()


@pytest.fixture(scope="module")
async def deployment(
    client: Client, workers: None, review_settings: Settings, store: DocumentStore, webhook_receiver: object,
    knuh_board: LabelStudioServer, tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Deployment]:  # fmt: skip
    """영월의료원 reviews on the session's default board, 강원대병원 on its own."""
    folder = tmp_path_factory.mktemp("deployment")
    async with deploy(client, review_settings, store, folder, boards={"knuh": knuh_board}) as deployed:
        yield deployed


def task_updates(deployment: Deployment, referral_id: str) -> list[dict[str, object]]:
    """The Task updates 영월의료원's gateway received for a referral, oldest first: each message's resources by
    type (Task, Appointment)."""
    import json

    assert deployment.home_inbox is not None
    found = []
    for meta in deployment.home_inbox.root.rglob("*.meta.json"):
        key = str(meta.relative_to(deployment.home_inbox.root)).removesuffix(".meta.json")
        bundle = json.loads(deployment.home_inbox.get(key))
        header = bundle["entry"][0]["resource"]
        if header.get("eventCoding", {}).get("code") != "task-update":
            continue
        resources = {e["resource"]["resourceType"]: e["resource"] for e in bundle["entry"]}
        if resources["Task"]["identifier"][0]["value"] == referral_id:
            found.append(resources)
    return sorted(found, key=lambda r: r["Task"]["lastModified"])  # type: ignore[index]


def drafts_ready(status: ReferralStatus) -> bool:
    return bool(status.reviews) and all(r.status == "pending" for r in status.reviews)


async def sign_round(
    client: Client, referral_id: str, round_name: ReviewRoundName, url: str, default_signer: str,
    signers: dict[str, str] | None = None,
) -> ReferralStatus:  # fmt: skip
    """Wait for the drafts of `round_name` and approve each on the board at `url`: by `signers[kind]` where the
    kind has its own department, else by `default_signer`. The round's status before signing."""
    from tests.review_fixtures import annotate

    status = await wait_for(client, referral_id, lambda s: s.review_round == round_name and drafts_ready(s))
    for review in status.reviews:
        reviewer = (signers or {}).get(review.task.kind, default_signer)
        await asyncio.to_thread(annotate, url, reviewer, review.task.task_id, "approve")
    return status


async def delivered_referral(
    client: Client, store: DocumentStore, deployment: Deployment, files: list[IncomingFile] | None = None,
    reviewer: str = "dr.kim@yeongwol.example", **settings: object,
) -> str:  # fmt: skip
    """A referral as the receiving side first sees it: its drafts approved by a referring clinician in Label Studio,
    signed, delivered to 강원대병원's gateway, and received (RECEIVED)."""
    from tests.review_fixtures import annotate

    result = await submit_referral(
        client, store, deployment.network, deployment.settings.with_changes(**settings), make_request(),
        files or [IncomingFile("scan.png", tiny_scan())],
    )  # fmt: skip
    status = await wait_for(client, result.referral_id, drafts_ready)
    for review in status.reviews:
        await asyncio.to_thread(annotate, deployment.settings.label_studio_url, reviewer, review.task.task_id,
                                "approve")  # fmt: skip
    await wait_for(client, result.referral_id, lambda s: s.state == ReferralState.RECEIVED)
    return result.referral_id
