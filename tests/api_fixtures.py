"""The HTTP API over the session's real Temporal server and workers, for the API and dictation tests: tokens per
institution, a store of its own, and helpers for forms and for counting what was stored or started."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator

import httpx
import pytest
import yaml
from temporalio.client import Client

from referral.api import create_app
from referral.config import IntakeLimits, Settings
from referral.network import Network
from referral.storage.local import LocalFolderStore

ORGS = ["yeongwol-mc", "knuh", "snuh"]


@pytest.fixture(scope="module")
def tokens() -> dict[str, str]:
    return {org: secrets.token_urlsafe(24) for org in ORGS}


@pytest.fixture(scope="module")
def api_store(tmp_path_factory: pytest.TempPathFactory) -> LocalFolderStore:
    return LocalFolderStore(tmp_path_factory.mktemp("api-store"))


@pytest.fixture(scope="module")
async def api(
    client: Client, workers: None, settings: Settings, network: Network, tokens: dict[str, str],
    api_store: LocalFolderStore, tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[httpx.AsyncClient]:  # fmt: skip
    token_file = tmp_path_factory.mktemp("secrets") / "api-tokens.yaml"
    token_file.write_text(yaml.safe_dump(tokens))
    api_settings = settings.model_copy(
        update={"api_tokens_file": token_file, "limits": IntakeLimits(max_bytes=2_000_000)}
    )
    app = create_app(api_settings, client=client, store=api_store, network=network)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as http:
        yield http


def auth(tokens: dict[str, str], org: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens[org]}"}


def form(request_json: str, files: list[tuple[str, bytes]]) -> dict[str, object]:
    return {
        "data": {"referral": request_json},
        "files": [("files", (name, data, "application/octet-stream")) for name, data in files],
    }


def stored_objects(store: LocalFolderStore) -> int:
    return sum(1 for p in store.root.rglob("*") if p.is_file())


async def workflow_count(client: Client) -> int:
    """Visibility is eventually consistent: read until two reads a moment apart agree."""
    previous = -1
    while True:
        count = (await client.count_workflows("WorkflowType = 'ReferralWorkflow'")).count
        if count == previous:
            return count
        previous = count
        await asyncio.sleep(0.3)
