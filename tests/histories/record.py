"""Record a finished referral's history into tests/histories/NAME.json (see README.md). Not run by the tests."""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from referral.config import Settings
from referral.devserver import temporal_binary
from referral.network import default_network
from referral.search_attributes import ALL_KEYS
from referral.storage.local import LocalFolderStore
from referral.temporal import data_converter
from tests.test_history import closed_referral
from workers import cpu, gpu

HERE = Path(__file__).parent


async def main(name: str) -> None:
    key = (HERE / "TEST-ONLY-payload.key").read_text().strip()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(namespace="default", data_dir=Path(tmp), payload_key=key)
        env = await WorkflowEnvironment.start_local(
            dev_server_existing_path=temporal_binary(),
            search_attributes=ALL_KEYS,
            data_converter=data_converter(settings),
        )
        store = LocalFolderStore(settings.local_store_dir)
        async with (
            cpu.build_worker(env.client, settings, store),
            gpu.build_worker(env.client, settings, store, concurrency=1),
        ):
            referral_id = await closed_referral(env.client, store, default_network(), settings)
            history = await env.client.get_workflow_handle(referral_id).fetch_history()
        (HERE / f"{name}.json").write_text(history.to_json())
        await env.shutdown()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
