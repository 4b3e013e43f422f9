"""Prefect flow: re-process summaries with a new model version. Fleet-level only: it picks referrals (explicit ids,
or a Temporal visibility query) and asks each one's workflow, through its `reprocess_summary` update, to re-run
the summary stage on the task queue of the workers that serve the new model. Each workflow decides whether it
can (drafts still awaiting their first decision); the new drafts go to clinician review like any draft."""

from __future__ import annotations

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from pydantic import BaseModel

from flows.fleet.retries import retry_unless
from flows.referral.io import ReprocessRequest
from referral.config import Settings
from referral.operations import EventRefused, ReferralNotFound, request_reprocess
from referral.temporal import connect

# undecided drafts of open referrals: the default selection
AWAITING_REVIEW = (
    "WorkflowType = 'ReferralWorkflow' AND ExecutionStatus = 'Running' AND ReferralStage = 'AWAITING_REVIEW'"
)


class ReprocessReport(BaseModel):
    requested: dict[str, int] = {}  # referral id → the new review round
    refused: dict[str, str] = {}


# a referral that refuses (decided already, closed, unknown) is final; a Temporal outage is worth a retry
@task(retries=3, retry_delay_seconds=2, retry_condition_fn=retry_unless(EventRefused, ReferralNotFound),
      cache_policy=NO_CACHE)  # fmt: skip
async def reprocess_one(referral_id: str, request: ReprocessRequest) -> int:
    client = await connect(Settings())
    return (await request_reprocess(client, referral_id, request)).review_round


@task(retries=3, retry_delay_seconds=2, cache_policy=NO_CACHE)
async def select_referrals(query: str) -> list[str]:
    client = await connect(Settings())
    return [execution.id async for execution in client.list_workflows(query)]


@flow(name="reprocess-summaries")
async def reprocess_summaries(
    gpu_task_queue: str, actor: str, reason: str, referral_ids: list[str] | None = None, query: str | None = None
) -> ReprocessReport:
    logger = get_run_logger()
    request = ReprocessRequest(actor=actor, reason=reason, gpu_task_queue=gpu_task_queue)
    chosen = referral_ids if referral_ids is not None else await select_referrals(query or AWAITING_REVIEW)
    report = ReprocessReport()
    for referral_id in chosen:
        try:
            report.requested[referral_id] = await reprocess_one(referral_id, request)
        except (EventRefused, ReferralNotFound) as err:
            report.refused[referral_id] = str(err)[:300]
            logger.warning("not re-processed %s: %s", referral_id, report.refused[referral_id])
    logger.info("re-processing on %s: %d requested, %d refused", gpu_task_queue, len(report.requested),
                len(report.refused))  # fmt: skip
    return report
