"""Prefect flow: the fleet-level review reconciler. Every few minutes it asks each review board (this deployment's
and every institution's own) which tasks changed in the last window (one filtered list per review project, not
one poll per referral) and hints each referral
concerned; the referral reads its decisions from Label Studio itself. It catches webhooks Label Studio lost (it
never retries them); the window overlaps the schedule so a late or failed run loses nothing, and a hint twice is
harmless. Prefect holds no referral state: the board and the workflows do."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from pydantic import BaseModel
from temporalio.client import Client

from referral.config import Settings
from referral.network import load_network
from referral.operations import hint_review
from referral.temporal import connect
from review.board import ReviewBoard, review_boards


class ReconcileReport(BaseModel):
    since: datetime
    hinted: dict[str, list[int]] = {}  # referral id → changed task ids
    closed: list[str] = []  # referrals that ended meanwhile


async def reconcile(client: Client, boards: list[ReviewBoard], since: datetime) -> ReconcileReport:
    changed: dict[str, list[int]] = {}
    for board in boards:
        for referral_id, task_ids in (await asyncio.to_thread(board.updated_tasks, since)).items():
            changed.setdefault(referral_id, []).extend(task_ids)
    report = ReconcileReport(since=since)
    for referral_id, task_ids in sorted(changed.items()):
        if await hint_review(client, referral_id, task_ids) == "closed":
            report.closed.append(referral_id)
        else:
            report.hinted[referral_id] = task_ids
    return report


@task(retries=3, retry_delay_seconds=5, cache_policy=NO_CACHE)
async def reconcile_board(window_s: float) -> ReconcileReport:
    settings = Settings()
    since = datetime.now(UTC) - timedelta(seconds=window_s)
    boards = review_boards(settings, load_network(settings.network_file))
    return await reconcile(await connect(settings), boards, since)


@flow(name="review-reconciler")
async def reconcile_reviews(window_s: float = 900) -> ReconcileReport:
    report = await reconcile_board(window_s)
    get_run_logger().info("review reconciler: %d referrals hinted, %d closed", len(report.hinted), len(report.closed))
    return report
