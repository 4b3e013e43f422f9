"""Two hospitals' gateways (영월의료원 and 강원대병원) on loopback, a network file pointing at them (and, when
given, at their PACS), and a CPU worker on its own task queue that delivers with short retry intervals."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import yaml
from temporalio.client import Client

from referral.config import Settings
from referral.devserver import free_port
from referral.gateway import MessageIndex, create_gateway
from referral.network import Network, load_network, write_network
from referral.storage import DocumentStore
from referral.storage.local import LocalFolderStore
from review.server import LabelStudioServer
from tests.helpers import running
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
    label_studio: LabelStudioServer,
    folder: Path,
    pacs_urls: dict[str, str] | None = None,
    **overrides: object,
) -> AsyncIterator[Deployment]:
    port, home_port = free_port(), free_port()
    gateways = {"knuh": f"http://127.0.0.1:{port}", "yeongwol-mc": f"http://127.0.0.1:{home_port}"}
    endpoints = {org: {"gateway_url": url} for org, url in gateways.items()}
    for org, url in (pacs_urls or {}).items():
        endpoints.setdefault(org, {})["pacs_url"] = url
    write_network(folder / "network.yaml", endpoints)
    (folder / "tokens.yaml").write_text(yaml.safe_dump(TOKENS))
    deploy_settings = settings.model_copy(
        update={
            "cpu_task_queue": f"cpu-deliver-{uuid.uuid4().hex[:6]}",
            "network_file": folder / "network.yaml",
            "api_tokens_file": folder / "tokens.yaml",
            "label_studio_url": label_studio.url,
            "label_studio_token": label_studio.token,
            "review_webhook_url": None,
            "delivery_retry_initial_s": 1.0,
            "delivery_retry_max_s": 2.0,
            **overrides,
        }
    )
    inbox, index = LocalFolderStore(folder / "knuh-inbox"), MessageIndex(folder / "knuh-messages.sqlite")
    gateway = ApiServer(create_gateway("knuh", TOKENS, inbox, index), port)
    await gateway.start()
    home_inbox, home_index = LocalFolderStore(folder / "yeongwol-inbox"), MessageIndex(folder / "yeongwol.sqlite")
    home = ApiServer(create_gateway("yeongwol-mc", TOKENS, home_inbox, home_index), home_port)
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
