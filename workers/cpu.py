"""CPU worker: every workflow, and the I/O activities (intake validation)."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from temporalio.client import Client
from temporalio.worker import Worker

from activities.intake import IntakeActivities
from flows.referral import ReferralWorkflow
from referral.config import Settings
from referral.storage import DocumentStore, open_store
from referral.temporal import connect
from workers.run import run_main, run_until_signalled


def build_worker(client: Client, settings: Settings, store: DocumentStore, task_queue: str | None = None) -> Worker:
    intake = IntakeActivities(store, settings.limits)
    return Worker(
        client,
        task_queue=task_queue or settings.cpu_task_queue,
        workflows=[ReferralWorkflow],
        activities=[intake.verify_documents],
        activity_executor=ThreadPoolExecutor(max_workers=8),
        max_concurrent_activities=8,
    )


async def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s cpu-worker %(levelname)s %(message)s")
    settings = Settings()
    client = await connect(settings)
    await run_until_signalled(build_worker(client, settings, open_store(settings)))


if __name__ == "__main__":
    run_main(main)
