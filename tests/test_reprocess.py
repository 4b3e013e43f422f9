"""The re-processing Prefect flow under prefect_test_harness: selected referrals whose drafts await their first
decision re-run the summary stage on the task queue of a GPU worker serving a new model (a tiny transformers
model here) and get a new review round in Label Studio; a referral already decided, or unknown, is reported."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from temporalio.client import Client

from flows.referral.io import ProcessingStage, ReferralStatus
from referral.config import Settings
from referral.network import Network
from referral.storage import DocumentStore
from tests.helpers import process_env, replays, running, wait_for
from tests.review_fixtures import ReviewEnv, annotate
from tests.test_bulk_intake import prefect_harness  # noqa: F401
from tests.test_review import KIM, submit, tasks_ready
from tests.tinymodels import build_causal
from workers import gpu

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
async def new_model_queue(
    client: Client, settings: Settings, store: DocumentStore, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """A GPU worker of the next model version, on its own task queue."""
    model = build_causal(tmp_path_factory.mktemp("model-v2"))
    serving = settings.model_copy(update={"gpu_task_queue": f"gpu-v2-{uuid.uuid4().hex[:6]}",
                                          "summary_backend": "transformers", "summary_model_path": model,
                                          "summary_max_new_tokens": 16})  # fmt: skip
    async with running(gpu.build_worker(client, serving, store, concurrency=1)):
        yield serving.gpu_task_queue


async def test_new_model_version_redrafts_undecided_referrals(
    client: Client, settings: Settings, store: DocumentStore, network: Network, review_env: ReviewEnv,
    new_model_queue: str, prefect_harness: None, monkeypatch: pytest.MonkeyPatch,  # noqa: F811
) -> None:  # fmt: skip
    for key, value in process_env(client, review_env.settings).items():
        if key.startswith("REFERRAL_"):
            monkeypatch.setenv(key, value)
    undecided = await submit(client, store, network, review_env)
    decided = await submit(client, store, network, review_env)
    before = await wait_for(client, undecided, tasks_ready)
    started = await wait_for(client, decided, tasks_ready)
    await asyncio.to_thread(annotate, review_env.label_studio.url, KIM, started.reviews[0].task.task_id, "approve")
    await wait_for(client, decided, lambda s: any(r.status == "approved" for r in s.reviews))

    import flows.fleet.reprocess
    from flows.fleet.reprocess import reprocess_summaries

    calls: list[str] = []
    real = flows.fleet.reprocess.request_reprocess

    async def counted(client: Client, referral_id: str, request: object) -> object:
        calls.append(referral_id)
        return await real(client, referral_id, request)  # type: ignore[arg-type]

    monkeypatch.setattr(flows.fleet.reprocess, "request_reprocess", counted)
    unknown = "ref-" + "f" * 24
    report = await reprocess_summaries(new_model_queue, actor="ops:박운영", reason="summary model v2",
                                       referral_ids=[undecided, decided, unknown])  # fmt: skip
    assert report.requested == {undecided: 2}
    assert set(report.refused) == {decided, unknown} and "awaiting their first decision" in report.refused[decided]
    assert sorted(calls) == sorted([undecided, decided, unknown])  # a refusal is final: asked once, not retried

    old_tasks = {r.task.task_id for r in before.reviews}

    def redrafted(status: ReferralStatus) -> bool:  # new tasks for the new drafts
        return tasks_ready(status) and {r.task.task_id for r in status.reviews}.isdisjoint(old_tasks)

    after = await wait_for(client, undecided, redrafted, 240)
    assert after.stage == ProcessingStage.AWAITING_REVIEW
    assert after.summary is not None and after.summary.backend.startswith("transformers:")
    assert before.summary is not None and before.summary.backend.startswith("clinical-extractor")
    assert {r.task.task_id for r in after.past_reviews if r.status == "superseded"} == old_tasks
    [record] = after.reprocessed
    assert (record.actor, record.gpu_task_queue, record.review_round) == ("ops:박운영", new_model_queue, 2)
    label_studio = f"{review_env.label_studio.url}/api/tasks"
    headers = {"Authorization": f"Token {review_env.label_studio.token}"}
    async with httpx.AsyncClient(headers=headers, timeout=30) as http:
        for task_id in old_tasks:  # superseded and undecided: taken off the clinicians' queue
            assert (await http.get(f"{label_studio}/{task_id}/")).status_code == 404
        decided_task = started.reviews[0].task.task_id  # the decided referral's tasks are untouched
        assert (await http.get(f"{label_studio}/{decided_task}/")).status_code == 200
    await replays(client, settings, undecided)  # the update and the superseded round replay deterministically


def test_reprocess_selects_by_visibility_by_default() -> None:
    from flows.fleet.reprocess import AWAITING_REVIEW

    assert "ReferralStage = 'AWAITING_REVIEW'" in AWAITING_REVIEW and "ExecutionStatus = 'Running'" in AWAITING_REVIEW
