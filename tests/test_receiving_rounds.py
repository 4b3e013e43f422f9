"""The receiving side's half of a referral: once delivered, 강원대병원 reviews its own drafts on its own board. A
planned operation has its 마취 전 상태평가 drafted and signed by a clinician of its anaesthesiology only; the
referring side cannot plan one, nor can anyone before the referral is accepted, and bad input loses nothing."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from temporalio.client import Client

from flows.referral.io import EventRequest
from referral.api import create_app
from referral.models import Side
from referral.operations import send_event
from referral.review_plan import ReviewRoundName
from referral.states import ReferralEvent
from referral.storage import DocumentStore
from review.models import SignedDocument
from review.server import LabelStudioServer
from tests.deployment import TOKENS, Deployment, delivered_referral, sign_round
from tests.helpers import wait_for
from tests.review_fixtures import KNUH_SIGNERS, annotate
from tests.test_review import PARK

pytestmark = pytest.mark.slow
CHOI = KNUH_SIGNERS["pre_anesthesia"]
OPERATION = {"actor": "dr-lee", "procedure": "우측 인공슬관절 치환술", "planned_on": "2027-01-15",
             "department": "정형외과"}  # fmt: skip


async def test_a_planned_operation_is_assessed_and_signed_by_anaesthesiology_only(
    client: Client, store: DocumentStore, deployment: Deployment, knuh_board: LabelStudioServer
) -> None:
    referral_id = await delivered_referral(client, store, deployment)
    await sign_round(client, referral_id, ReviewRoundName.RECEIPT, knuh_board.url, PARK, KNUH_SIGNERS)
    app = create_app(deployment.settings, client=client, store=store, network=deployment.network)
    knuh, yeongwol = ({"Authorization": f"Bearer {TOKENS[org]}"} for org in ("knuh", "yeongwol-mc"))
    url = f"/referrals/{referral_id}/planned-operation"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as api:
        assert (await api.post(url, headers=knuh, json=OPERATION)).status_code == 409  # not accepted yet
        await send_event(client, referral_id, EventRequest(event=ReferralEvent.ACCEPT, side=Side.RECEIVING,
                                                            org="knuh", actor="dr-lee"))  # fmt: skip
        assert (await api.post(url, headers=yeongwol, json=OPERATION)).status_code == 403  # the referring side
        assert (await api.post(url, json=OPERATION)).status_code == 401
        assert (await api.post(url, headers=knuh, json={**OPERATION, "procedure": ""})).status_code == 422
        assert (await api.post(url, headers=knuh, json={**OPERATION, "planned_on": "15/01"})).status_code == 422
        assert (await api.get(f"/referrals/{referral_id}", headers=knuh)).json()["planned_operations"] == []
        planned = await api.post(url, headers=knuh, json=OPERATION)
        assert planned.status_code == 202, planned.text
        assert (await api.post(url, headers=knuh, json=OPERATION)).status_code == 409  # one at a time
    status = await wait_for(client, referral_id, lambda s: s.review_round == "operation" and bool(s.reviews))
    [review] = status.reviews
    assert review.task.kind == "pre_anesthesia" and review.side == Side.RECEIVING and review.task.org == "knuh"
    draft = json.loads(store.get(review.task.draft_key))["text"]
    assert "예정 수술: 2027-01-15 우측 인공슬관절 치환술 정형외과" in draft
    await asyncio.to_thread(annotate, knuh_board.url, PARK, review.task.task_id, "approve")  # a surgeon
    refused = await wait_for(client, referral_id, lambda s: s.reviews[0].refused == "signer_not_in_department")
    assert refused.reviews[0].status == "pending" and refused.reviews[0].signed is None
    await asyncio.to_thread(annotate, knuh_board.url, CHOI, review.task.task_id, "approve")
    done = await wait_for(client, referral_id, lambda s: s.reviews[0].signed is not None)
    signed = done.reviews[0].signed
    assert signed is not None and signed.reviewer == CHOI
    document = SignedDocument.model_validate_json(store.get(signed.json_key))
    assert (document.reviewer_name, document.reviewer_org) == ("최마취", "knuh")
    assert "서명 전 초안" not in document.text and "우측 인공슬관절 치환술" in document.text
    assert [o.procedure for o in done.planned_operations] == ["우측 인공슬관절 치환술"]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as api:
        mine = (await api.get(f"/referrals/{referral_id}", headers=yeongwol)).json()
        assert mine["reviews"] == [] and mine["summary"] is None  # the assessment stays with 강원대병원


async def test_a_referral_declined_during_its_receipt_round_takes_its_drafts_off_the_board(
    client: Client, store: DocumentStore, deployment: Deployment, knuh_board: LabelStudioServer
) -> None:
    """강원대병원 declines before its clinician reviewed the outside-record summary: the undecided task is removed
    from its board (nobody reviews a closed referral's draft) and shows as closed."""
    from flows.referral.io import ReferralStatus
    from tests.deployment import drafts_ready

    referral_id = await delivered_referral(client, store, deployment)
    pending = await wait_for(client, referral_id, lambda s: s.review_round == "receipt" and drafts_ready(s))
    decline = EventRequest(event=ReferralEvent.DECLINE, side=Side.RECEIVING, org="knuh", actor="dr-lee",
                           reason="본원 진료 불가 (capacity)", reason_code="no-capacity")  # fmt: skip
    await send_event(client, referral_id, decline)
    final = await client.get_workflow_handle(referral_id, result_type=ReferralStatus).result()
    assert final.state == "DECLINED" and [r.status for r in final.reviews] == ["closed"] * len(pending.reviews)
    headers = {"Authorization": f"Token {knuh_board.token}"}
    async with httpx.AsyncClient(base_url=knuh_board.url, headers=headers, timeout=30) as board:
        for review in pending.reviews:
            assert (await board.get(f"/api/tasks/{review.task.task_id}/")).status_code == 404
