"""A referral reads what its review round shows from the round itself (a query, through a local activity). When
that read-back does not come back — a worker too busy to answer the query, as a burst of 1,000 decisions on one
box showed (bench/scale.py) — the round's own result, once it ends, still moves the referral on."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from temporalio import activity
from temporalio.client import Client

from activities.round_progress import RoundProgressActivities
from flows.referral.contract import ReviewProgress, ReviewRoundState
from referral.network import Network
from referral.storage import DocumentStore
from tests.helpers import first_round, running, wait_for
from tests.review_fixtures import ReviewEnv, annotate
from tests.test_review import JUNG, KIM, all_signed, submit
from workers import cpu

pytestmark = pytest.mark.slow


class _Unanswered:
    """A read-back whose query no worker answers: it returns only when cancelled, or after its time-outs."""

    asked = 0

    @activity.defn(name="read_round_progress")
    async def read_round_progress(self, round_id: str) -> ReviewProgress:
        _Unanswered.asked += 1
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")


async def test_a_round_that_ends_while_its_read_back_hangs_still_moves_the_referral_on(
    client: Client, store: DocumentStore, network: Network, review_env: ReviewEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(RoundProgressActivities, "read_round_progress", _Unanswered.read_round_progress)
    queue = f"cpu-read-back-{uuid.uuid4().hex[:6]}"
    async with running(cpu.build_worker(client, review_env.settings.with_changes(cpu_task_queue=queue), store)):
        referral_id = await submit(client, store, network, review_env, cpu_task_queue=queue)
        handle = client.get_workflow_handle(first_round(referral_id))
        progress: ReviewProgress | None = None
        for _ in range(240):  # the round's own state: the referral's copy waits on the read-back
            try:
                progress = await handle.query(ReviewRoundState.progress)
            except Exception:  # noqa: BLE001 - the round has not started yet
                progress = None
            if progress and progress.reviews and _Unanswered.asked:
                break
            await asyncio.sleep(0.5)
        assert progress is not None and progress.reviews and _Unanswered.asked  # the read-back is hanging
        assert not (await wait_for(client, referral_id, lambda s: True)).reviews  # the referral knows no task yet
        url = review_env.label_studio.url
        for review in progress.reviews:
            signer = KIM if review.task.kind == "referral_letter" else JUNG
            await asyncio.to_thread(annotate, url, signer, review.task.task_id, "approve")
        # the read-back's three tries would take 90 s to time out: the round's result is read first
        done = await wait_for(client, referral_id, all_signed, timeout_s=30)
        assert {r.signed.reviewer for r in done.reviews if r.signed} == {KIM, JUNG}
