"""Outages: a GPU worker killed in the middle of OCR, and the Temporal server restarted on its SQLite file."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from flows.referral.io import PIPELINE_SETTLED, ProcessingStage, ReferralStatus
from referral.config import Settings
from referral.devserver import TemporalDevServer, free_port
from referral.models import Side
from referral.network import Network
from referral.ocr.models import OcrDocument
from referral.operations import get_status
from referral.states import ReferralEvent, ReferralState
from referral.storage import DocumentStore
from referral.submission import IncomingFile, submit_referral
from referral.synthetic import clinical_record, render_page, scanned_pdf
from referral.temporal import connect
from tests.helpers import drive, make_request, process_env, wait_for_stage
from workers import cpu, gpu

pytestmark = pytest.mark.slow


def multi_page_pdf(pages: int) -> bytes:
    return scanned_pdf([render_page(clinical_record(200 + n).lines, damage=0.3, seed=n) for n in range(pages)])


def spawn_gpu_worker(settings: Settings, client: Client, log: Path) -> subprocess.Popen[bytes]:
    env = process_env(client, settings, REFERRAL_GPU_CONCURRENCY="1")
    return subprocess.Popen(
        [sys.executable, "-m", "workers.gpu"], env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT
    )


async def test_worker_killed_during_ocr_resumes_on_a_new_worker(
    client: Client, workers: None, settings: Settings, store: DocumentStore, network: Network, tmp_path: Path
) -> None:
    kill_settings = settings.with_changes(gpu_task_queue=f"gpu-kill-{uuid.uuid4().hex[:6]}", ocr_heartbeat_timeout_s=20)
    first = spawn_gpu_worker(kill_settings, client, tmp_path / "worker1.log")
    try:
        result = await submit_referral(
            client, store, network, kill_settings, make_request(), [IncomingFile("record.pdf", multi_page_pdf(5))]
        )
        handle = client.get_workflow_handle(result.referral_id)
        # Kill the worker once it has finished at least one page (the heartbeat carries the finished pages).
        for _ in range(240):
            pending = (await handle.describe()).raw_description.pending_activities
            if pending and pending[0].HasField("heartbeat_details"):
                break
            await asyncio.sleep(0.25)
        else:
            pytest.fail("OCR never heartbeated")
        first.send_signal(signal.SIGKILL)
        first.wait()
        assert (await get_status(client, result.referral_id)).stage == ProcessingStage.OCR_RUNNING
        second = spawn_gpu_worker(kill_settings, client, tmp_path / "worker2.log")
        try:
            status = await wait_for_stage(client, result.referral_id, PIPELINE_SETTLED)
        finally:
            second.terminate()
            second.wait(timeout=20)
    finally:
        if first.poll() is None:
            first.kill()
    assert status.stage == ProcessingStage.AWAITING_REVIEW, status.stage_error
    document = OcrDocument.model_validate_json(store.get(status.ocr[0].ocr_key))
    assert [p.page for p in document.pages] == [1, 2, 3, 4, 5]  # nothing lost, nothing twice
    history = await handle.fetch_history()
    attempts = [
        e.activity_task_started_event_attributes.attempt
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED
    ]
    assert max(attempts) >= 2  # the OCR activity really ran again, on the new worker
    assert "resuming OCR after" in (tmp_path / "worker2.log").read_text()


async def test_server_restart_on_the_same_database_continues_open_referrals(
    settings: Settings, store: DocumentStore, network: Network, tmp_path: Path
) -> None:
    server = TemporalDevServer(tmp_path / "temporal.db", port=free_port(), ui_port=free_port(), namespace="default",
                               log=(tmp_path / "server.log").open("ab"))  # fmt: skip
    own = settings.model_copy(
        update={"temporal_address": server.address, "cpu_task_queue": "cpu-restart", "gpu_task_queue": "gpu-restart"}
    )
    server.start()
    try:
        await server.wait_ready()
        client = await connect(own)
        from referral.temporal import ensure_search_attributes

        await ensure_search_attributes(client)
        running = [cpu.build_worker(client, own, store), gpu.build_worker(client, own, store, concurrency=1)]
        tasks = [asyncio.create_task(w.run()) for w in running]
        done = await submit_referral(
            client, store, network, own, make_request(), [IncomingFile("a.pdf", multi_page_pdf(1))]
        )
        await wait_for_stage(client, done.referral_id, {ProcessingStage.AWAITING_REVIEW})
        busy = await submit_referral(
            client, store, network, own, make_request(), [IncomingFile("b.pdf", multi_page_pdf(4))]
        )
        await asyncio.sleep(2)  # OCR of the second referral is under way

        server.stop()  # SIGTERM: the server goes away mid-OCR
        await asyncio.sleep(2)
        server.start()
        await server.wait_ready()

        status = await wait_for_stage(client, busy.referral_id, PIPELINE_SETTLED)
        assert status.stage == ProcessingStage.AWAITING_REVIEW
        waiting = await get_status(client, done.referral_id)  # its drafts still wait for review, timers intact
        assert (waiting.state, waiting.stage) == (ReferralState.DRAFT, ProcessingStage.AWAITING_REVIEW)
        await drive(client, done.referral_id, [(ReferralEvent.WITHDRAW, Side.REFERRING)])
        closed = await client.get_workflow_handle(done.referral_id, result_type=ReferralStatus).result()
        assert closed.state == ReferralState.CANCELLED and closed.transitions == 1
        await asyncio.gather(*(w.shutdown() for w in running))
        for task in tasks:
            task.cancel()
    finally:
        server.stop()
