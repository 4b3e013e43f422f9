"""A review round's progress read back from the round itself, for its referral: a query the round's worker
answers from the round's own state. The referral takes what it shows and acts on from here, never from the
`review_progress` signal, which only says that there is something to read."""

from __future__ import annotations

from temporalio import activity
from temporalio.client import Client

from flows.referral.contract import ReviewProgress, ReviewRoundState


class RoundProgressActivities:
    def __init__(self, client: Client) -> None:
        self.client = client

    @activity.defn
    async def read_round_progress(self, round_id: str) -> ReviewProgress:
        handle = self.client.get_workflow_handle(round_id, result_type=ReviewProgress)
        return await handle.query(ReviewRoundState.progress)
