"""CPU worker: every workflow, and the I/O activities (intake validation, clinician review in Label Studio,
delivery, PACS search and study transfer)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from temporalio.client import Client
from temporalio.worker import Worker

from activities.deliver import DeliveryActivities
from activities.imaging import ImagingActivities
from activities.intake import IntakeActivities
from activities.orders import OrderActivities
from activities.review import ReviewActivities
from activities.round_progress import RoundProgressActivities
from flows.referral.review_round import ReviewRoundWorkflow
from flows.referral.workflow import ReferralWorkflow
from referral.config import Settings
from referral.network import load_network
from referral.signing_keys import SigningKeys
from referral.storage import DocumentStore, open_store
from referral.temporal import connect
from review.board import review_board
from review.roster import load_roster
from workers.run import configure_logging, run_main, run_until_signalled


def build_worker(client: Client, settings: Settings, store: DocumentStore, task_queue: str | None = None) -> Worker:
    intake = IntakeActivities(store, settings.limits)
    network = load_network(settings.network_file)
    keys = SigningKeys(settings.signing_keys_dir)
    review = ReviewActivities(store, lambda org: review_board(settings, org or None, network),
                              lambda: load_roster(settings.roster_path), keys)  # fmt: skip
    delivery = DeliveryActivities(store, network, settings.api_tokens, keys)
    imaging = ImagingActivities(network, settings.pacs_timeout_s, settings.pacs_credentials())
    orders = OrderActivities(store)
    return Worker(
        client,
        task_queue=task_queue or settings.cpu_task_queue,
        workflows=[ReferralWorkflow, ReviewRoundWorkflow],
        activities=[
            intake.verify_documents,
            review.create_review_tasks,
            review.fetch_decisions,
            review.retire_review_tasks,
            review.sign_document,
            delivery.deliver_message,
            imaging.find_prior_studies,
            imaging.transfer_studies,
            orders.check_planned_orders,
            RoundProgressActivities(client).read_round_progress,
        ],
        activity_executor=ThreadPoolExecutor(max_workers=8),
        max_concurrent_activities=8,
        max_cached_workflows=settings.workflow_cache_size,
    )


async def main() -> None:
    configure_logging("cpu-worker")
    settings = Settings()
    client = await connect(settings)
    await run_until_signalled(build_worker(client, settings, open_store(settings)))


if __name__ == "__main__":
    run_main(main)
