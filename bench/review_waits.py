"""What a waiting referral costs: history events the Temporal server stores per referral-day in each wait, and
requests to Label Studio for many referrals waiting for review. Real servers: an embedded Temporal dev server with
both workers, and a Label Studio started here (its first start takes ~90 s).

- review wait: a referral whose drafts wait in Label Studio, reminder timer shortened to `--tick` seconds; the
  events added per reminder tick, scaled to the default of one reminder a day;
- SLA waits (in care, awaiting acknowledgement, …: one timer path): a referral past its due time, reminder
  interval shortened to `--tick`; events per reminder, scaled to one a day;
- Label Studio load: `--referrals` referrals waiting; requests made by one run of the fleet reconciler (every
  5 minutes) and by one hint (a referral reading its pending tasks), against the per-referral poll of the earlier
  design (each waiting referral read each pending task's annotations every 5 minutes), replayed here on the
  same tasks.

    .venv/bin/python bench/review_waits.py [--tick 2] [--ticks 6] [--referrals 20]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import secrets
import sys
import tempfile
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flows.fleet.review_reconciler import reconcile  # noqa: E402
from flows.referral.contract import round_workflow_id  # noqa: E402
from referral.config import Settings  # noqa: E402
from referral.devserver import free_port  # noqa: E402
from referral.network import default_network  # noqa: E402
from referral.review_plan import ReviewRoundName  # noqa: E402
from referral.submission import IncomingFile, submit_referral  # noqa: E402
from referral.tuning import WorkflowTuning  # noqa: E402
from review.board import review_board  # noqa: E402
from review.server import LabelStudioServer  # noqa: E402
from tests.helpers import make_request, tiny_scan, wait_for  # noqa: E402
from workers.embedded import embedded_stack  # noqa: E402

DAY, YEAR, EVENT_LIMIT = 86_400, 365, 51_200  # the server's default history limit (events)
OLD_POLL_S, OLD_EVENTS_PER_POLL = 300, 11  # the earlier design, as measured in issue 13 (commit db41bc0)


class RequestCounter:
    """Counts HTTP requests this thread sends to one base URL (the Label Studio SDK uses httpx); the workers'
    activity threads, which also talk to Label Studio, are not counted."""

    def __init__(self, base: str) -> None:
        self.base, self.count, self.thread = base, 0, threading.get_ident()
        self._send = httpx.Client.send

    def __enter__(self) -> RequestCounter:
        counter = self

        def send(client: httpx.Client, request: httpx.Request, **kwargs: object) -> httpx.Response:
            if str(request.url).startswith(counter.base) and threading.get_ident() == counter.thread:
                counter.count += 1
            return counter._send(client, request, **kwargs)  # type: ignore[arg-type]

        httpx.Client.send = send  # type: ignore[method-assign]
        return self

    def __exit__(self, *_: object) -> None:
        httpx.Client.send = self._send  # type: ignore[method-assign]


async def submit(client, store, settings: Settings, seed: int, **update: object) -> str:  # type: ignore[no-untyped-def]
    scan = tiny_scan() + seed.to_bytes(4, "big")  # distinct bytes: distinct referrals
    request = make_request().model_copy(update={"reason": f"bench {seed}"})
    result = await submit_referral(client, store, default_network(), settings.with_changes(**update), request,
                                   [IncomingFile("scan.png", scan)])  # fmt: skip
    return result.referral_id


async def events(client, workflow_ids: list[str]) -> list[int]:  # type: ignore[no-untyped-def]
    return [len((await client.get_workflow_handle(i).fetch_history()).events) for i in workflow_ids]


async def per_tick(client, referral_id: str, counter: str, ticks: int,  # type: ignore[no-untyped-def]
                   also: tuple[str, ...] = ()) -> list[float]:  # fmt: skip
    """History events added per reminder, over `ticks` reminders: the referral's, then each of `also` (its review
    round's child workflow, where the review wait now lives)."""
    ids = [referral_id, *also]
    start = await wait_for(client, referral_id, lambda s: getattr(s, counter) >= 1, timeout_s=300)
    first, begun = getattr(start, counter), await events(client, ids)
    end = await wait_for(client, referral_id, lambda s: getattr(s, counter) >= first + ticks, timeout_s=300)
    ended = await events(client, ids)
    return [(after - before) / (getattr(end, counter) - first) for before, after in zip(begun, ended, strict=True)]


async def run(tick: float, ticks: int, referrals: int, folder: Path) -> dict[str, object]:
    server = LabelStudioServer(folder / "ls", free_port(), "admin@bench.example", secrets.token_urlsafe(12),
                               secrets.token_hex(20), log=(folder / "ls.log").open("ab"))  # fmt: skip
    server.start()
    try:
        server.wait_ready()
        settings = Settings(namespace="default", data_dir=folder / "data", label_studio_url=server.url,
                            label_studio_token=server.token, workflow=WorkflowTuning(ocr_heartbeat_timeout_s=60),
                            payload_key=base64.b64encode(secrets.token_bytes(32)).decode())  # fmt: skip
        async with embedded_stack(settings) as (client, store):
            waiting = await submit(client, store, settings, 0, review_reminder_s=tick, sla_override_s=10**7)
            review_round = round_workflow_id(waiting, ReviewRoundName.REFERRAL, 1)
            in_referral, in_round = await per_tick(client, waiting, "review_reminders", ticks, (review_round,))
            review = in_referral + in_round
            late = await submit(client, store, settings, 1, review_reminder_s=10**7, sla_override_s=1,
                                sla_reminder_every_s=tick, sla_escalate_after=10**6)  # fmt: skip
            (sla,) = await per_tick(client, late, "sla_reminders", ticks)
            for fast in (waiting, late):  # their short timers would add requests to the counts below
                await client.get_workflow_handle(fast).terminate("bench: measured")

            ids = [await submit(client, store, settings, 100 + i, review_reminder_s=10**7) for i in range(referrals)]
            statuses = [await wait_for(client, i, lambda s: bool(s.reviews), timeout_s=300) for i in ids]
            board = review_board(settings)
            since = datetime.now(UTC) - timedelta(minutes=15)
            with RequestCounter(server.url) as run_cost:  # what the reconciler asks the board (then it hints)
                changed = board.updated_tasks(since)
            assert set(ids) <= set(changed), "every waiting referral's new tasks are found"
            await reconcile(client, [board], since)
            with RequestCounter(server.url) as hint_cost:
                board.decisions(statuses[0].referral_id, [r.task for r in statuses[0].reviews])
            with RequestCounter(server.url) as old_poll:  # the earlier design's poll, on the same tasks
                for status in statuses:
                    for review_state in status.reviews:
                        list(board.client.annotations.list(id=review_state.task.task_id))
    finally:
        server.stop()
    per_minute_old = old_poll.count / referrals * 1000 * 60 / OLD_POLL_S
    per_minute_new = run_cost.count / 5
    defaults = WorkflowTuning()
    return {
        "review_wait": {"events_per_reminder": review, "in_referral": in_referral, "in_review_round": in_round,
                        "events_per_day": review * DAY / defaults.review_reminder_s,
                        "events_per_day_before": OLD_EVENTS_PER_POLL * DAY / OLD_POLL_S,
                        "days_to_limit_before": EVENT_LIMIT / (OLD_EVENTS_PER_POLL * DAY / OLD_POLL_S),
                        "events_per_year": review * YEAR * DAY / defaults.review_reminder_s},
        "sla_wait": {"events_per_reminder": sla, "events_per_day": sla * DAY / defaults.sla_reminder_every_s,
                     "events_per_year": sla * YEAR * DAY / defaults.sla_reminder_every_s},
        "label_studio": {"referrals_waiting": referrals, "tasks_waiting": sum(len(s.reviews) for s in statuses),
                         "reconciler_run_requests": run_cost.count, "hint_requests": hint_cost.count,
                         "old_poll_requests_all_referrals": old_poll.count,
                         "requests_per_minute_1000_referrals_before": per_minute_old,
                         "requests_per_minute_1000_referrals_after": per_minute_new},
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tick", type=float, default=2.0)
    parser.add_argument("--ticks", type=int, default=6)
    parser.add_argument("--referrals", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        result = asyncio.run(run(args.tick, args.ticks, args.referrals, Path(tmp)))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
