"""What a referral shows and acts on during a review round comes from the round itself (read back by a query its
worker answers), never from a `review_progress` signal, which anyone able to signal the referral could forge."""

from __future__ import annotations

import asyncio

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from flows.referral.contract import ReviewProgress, ReviewRoundReceiver
from flows.referral.io import ProcessingStage, ReprocessRequest, SummaryResult
from flows.referral.review_round import ReviewRoundWorkflow
from flows.referral.workflow import ReferralWorkflow
from referral.network import Network
from referral.operations import get_status
from referral.storage import DocumentStore
from tests.helpers import first_round, wait_for
from tests.review_fixtures import ReviewEnv, annotate
from tests.test_review import KIM, submit, tasks_ready

pytestmark = pytest.mark.slow


async def _read_backs(client: Client, referral_id: str) -> int:
    history = await client.get_workflow_handle(referral_id).fetch_history()
    return sum(e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED for e in history.events)


async def test_a_forged_progress_report_changes_nothing_the_round_is_read_back(
    client: Client, store: DocumentStore, network: Network, review_env: ReviewEnv
) -> None:
    referral_id = await submit(client, store, network, review_env)
    before = await wait_for(client, referral_id, tasks_ready)
    assert before.stage == ProcessingStage.AWAITING_REVIEW and before.summary
    read_backs = await _read_backs(client, referral_id)
    assert read_backs >= 1  # the round's own reports were read back, not taken
    forged = ReviewProgress(
        round_id=first_round(referral_id),  # the round under way: the signal is not refused as a late word
        stage=ProcessingStage.SIGNED,
        summary=SummaryResult(
            summary_key="forged/summary.json",
            backend="forged",
            items=0,
            empty_reason=None,
            duplicate_tests=0,
            avoidable_cost_krw=0,
            drafts=[],
        ),  # fmt: skip
        reviews=[],
        reminders=7,
        escalated=True,
    )
    await client.get_workflow_handle_for(ReferralWorkflow.run, referral_id).signal(
        ReviewRoundReceiver.review_progress, forged
    )
    for _ in range(50):  # the referral reads the round back once more after the forged report
        if await _read_backs(client, referral_id) > read_backs:
            break
        await asyncio.sleep(0.2)
    else:
        pytest.fail("the referral did not read the round back after a report")
    after = await get_status(client, referral_id)
    assert after.stage == ProcessingStage.AWAITING_REVIEW
    assert after.summary == before.summary
    assert [r.task.task_id for r in after.reviews] == [r.task.task_id for r in before.reviews]
    assert (after.review_reminders, after.review_escalated) == (before.review_reminders, before.review_escalated)


async def test_a_round_refuses_reprocessing_sent_straight_to_it_once_a_draft_is_decided(
    client: Client, store: DocumentStore, network: Network, review_env: ReviewEnv
) -> None:
    """The referral's validator refuses re-processing once a draft has a decision; a signal sent straight to the
    round (past the validator) must not throw the approval away either: the round reads the board first."""
    referral_id = await submit(client, store, network, review_env)
    before = await wait_for(client, referral_id, tasks_ready)
    first = before.reviews[0].task.task_id
    round_handle = client.get_workflow_handle_for(ReviewRoundWorkflow.run, first_round(referral_id))
    await asyncio.to_thread(annotate, review_env.label_studio.url, KIM, first, "approve")
    # at once, before or after the webhook's hint reached the round: either way the approval wins
    await round_handle.signal(ReviewRoundWorkflow.reprocess, ReprocessRequest(actor="ops:x", reason="sent straight"))
    after = await wait_for(client, referral_id, lambda s: bool(s.reprocess_refused), 60)
    assert after.reprocess_refused == ["ops:x: sent straight"]
    approved = await wait_for(client, referral_id, lambda s: any(r.status == "approved" for r in s.reviews), 60)
    assert [r.task.task_id for r in approved.reviews] == [r.task.task_id for r in before.reviews]
    assert not [r for r in approved.past_reviews if r.status == "superseded"]
    await round_handle.signal(ReviewRoundWorkflow.reprocess, ReprocessRequest(actor="ops:y", reason="again"))
    again = await wait_for(client, referral_id, lambda s: len(s.reprocess_refused) == 2, 60)
    assert [r.status for r in again.reviews] == [r.status for r in approved.reviews]  # nothing superseded
    progress = await round_handle.query(ReviewRoundWorkflow.progress)
    assert progress.superseded == [] and progress.reprocess_refused[-1] == "ops:y: again"
