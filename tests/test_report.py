"""The daily operations report under prefect_test_harness, from real workflows on the Temporal server."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import Client

from referral.config import Settings
from referral.network import Network
from referral.states import ReferralEvent, ReferralState
from referral.storage import DocumentStore
from tests.deployment import Deployment, delivered_referral
from tests.helpers import drive, path_to, process_env, start_referral
from tests.test_bulk_intake import prefect_harness  # noqa: F401

pytestmark = pytest.mark.slow


async def test_report_renders_with_plots_from_real_workflows(
    client: Client, workers: None, settings: Settings, store: DocumentStore, network: Network,
    prefect_harness: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, deployment: Deployment,  # noqa: F811
) -> None:  # fmt: skip
    from referral.models import Side

    for key, value in process_env(client, settings).items():
        if key.startswith("REFERRAL_"):
            monkeypatch.setenv(key, value)
    closed = await delivered_referral(client, store, deployment)
    await drive(client, closed, path_to(ReferralState.ACCEPTED) + [
        (ReferralEvent.START_CARE, Side.RECEIVING), (ReferralEvent.COMPLETE, Side.RECEIVING),
        (ReferralEvent.ACKNOWLEDGE, Side.REFERRING)])  # fmt: skip
    overdue = await start_referral(client, store, network, settings.model_copy(update={"sla_override_s": 1}))
    import asyncio
    import uuid

    from referral.submission import IncomingFile, submit_referral
    from tests.helpers import make_request, tiny_scan

    # a referral no worker serves (its queries cannot be answered): the report must not stall on it
    orphan_settings = settings.model_copy(update={"cpu_task_queue": f"nobody-{uuid.uuid4().hex[:6]}"})
    orphan = await submit_referral(client, store, network, orphan_settings, make_request(),
                                   [IncomingFile("s.png", tiny_scan())])  # fmt: skip
    await asyncio.sleep(2)  # the second referral's receipt wait is now past due

    from flows.fleet.report import daily_operations_report

    page = Path(await daily_operations_report(str(tmp_path / "report")))
    text = page.read_text(encoding="utf-8")
    assert "운영 보고서" in text and "loop-closure rate" in text
    assert orphan.referral_id  # reported from visibility, without stalling
    assert overdue in text  # listed under overdue waits
    assert "median time to decision 0.0 h" in text  # the closed referral was accepted within the hour
    for plot in ("open-by-state.png", "edit-ratio.png"):
        image = tmp_path / "report" / plot
        assert image.read_bytes().startswith(b"\x89PNG") and image.stat().st_size > 5_000


def test_report_gives_median_time_to_review(tmp_path: Path) -> None:
    from flows.fleet.report import ReferralFacts, render

    facts = [ReferralFacts(referral_id=f"ref-{i:024d}", state="DRAFT", referring_org="yeongwol-mc",
                           receiving_org="knuh", overdue=False, hours_to_review=hours)
             for i, hours in enumerate([1.0, 3.0, None])]  # fmt: skip
    text = Path(render(facts, str(tmp_path))).read_text(encoding="utf-8")
    assert "median time to review 2.0 h" in text  # the referral not yet signed does not count
