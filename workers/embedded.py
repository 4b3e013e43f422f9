"""Both workers in this process against an embedded Temporal dev server: for benchmarks and fixture recording."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from referral.config import Settings
from referral.devserver import temporal_binary
from referral.search_attributes import ALL_KEYS
from referral.storage import DocumentStore
from referral.storage.local import LocalFolderStore
from referral.temporal import data_converter
from workers import cpu, gpu


@asynccontextmanager
async def embedded_stack(settings: Settings, gpu_slots: int = 1) -> AsyncIterator[tuple[Client, DocumentStore]]:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(),
        search_attributes=ALL_KEYS,
        data_converter=data_converter(settings),
    )
    store = LocalFolderStore(settings.local_store_dir)
    try:
        async with (
            cpu.build_worker(env.client, settings, store),
            gpu.build_worker(env.client, settings, store, concurrency=gpu_slots),
        ):
            yield env.client, store
    finally:
        await env.shutdown()
