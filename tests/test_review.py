"""Clinician review against a real Label Studio server: decisions drive the workflow; signed documents hold the
clinician's text and identity; outages and duplicate or forged webhooks lose and change nothing."""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from flows.fleet.review_reconciler import reconcile
from flows.referral.io import ProcessingStage, ReferralStatus
from referral.network import Network
from referral.operations import get_status
from referral.storage import DocumentStore
from referral.submission import IncomingFile, submit_referral
from referral.synthetic import clinical_record, image_bytes, render_page
from review.board import WEBHOOK_SECRET_HEADER
from review.models import SignedDocument, SignedDocumentRef
from review.roster import Signer, load_roster
from tests.helpers import (
    first_round,
    make_request,
    referring_sends_summaries,
    wait_for,
    wait_for_activity,
    wait_for_attempts,
)
from tests.review_fixtures import REVIEWERS, ReviewEnv, annotate, task_in_browser

pytestmark = pytest.mark.slow
KIM, JUNG = "dr.kim@yeongwol.example", "dr.jung@yeongwol.example"  # sign for 영월의료원 (the referring side)
PARK, HAN = "dr.park@knuh.example", "dr.han@knuh.example"  # 강원대병원; dr.han is not on the signing roster


async def submit(client: Client, store: DocumentStore, network: Network, env: ReviewEnv, **settings: object) -> str:
    record = clinical_record(31)
    scan = image_bytes(render_page(record.lines, damage=0.2, seed=31))
    result = await submit_referral(client, store, referring_sends_summaries(network),
                                   env.settings.with_changes(**settings), make_request(record=record),
                                   [IncomingFile("scan.png", scan)])  # fmt: skip
    return result.referral_id


def all_signed(status: ReferralStatus) -> bool:
    """Every draft approved and signed (the referral then moves on to delivery)."""
    return bool(status.reviews) and all(r.status == "approved" and r.signed for r in status.reviews)


async def letter_signed(client: Client, referral_id: str) -> SignedDocumentRef:
    """Wait until the referral letter is approved; its signature."""

    def letter_approved(s: ReferralStatus) -> bool:
        return any(r.task.kind == "referral_letter" and r.status == "approved" for r in s.reviews)

    done = await wait_for(client, referral_id, letter_approved)
    signed = next(r for r in done.reviews if r.task.kind == "referral_letter").signed
    assert signed is not None
    return signed


def tasks_ready(status: ReferralStatus) -> bool:
    """The drafts of the current round are on the board, undecided (they are made and posted together)."""
    return bool(status.reviews) and all(r.status == "pending" for r in status.reviews)


async def test_approve_with_edits_signs_the_clinicians_text(
    client: Client, store: DocumentStore, network: Network, review_env: ReviewEnv
) -> None:
    referral_id = await submit(client, store, network, review_env)
    status = await wait_for(client, referral_id, tasks_ready)
    letter = next(r for r in status.reviews if r.task.kind == "referral_letter")
    draft_text = json.loads(store.get(letter.task.draft_key))["text"]
    edited = draft_text.replace("의뢰사유", "의뢰사유 (임상의 수정: 관상동맥 조영술 요청)")
    url = review_env.label_studio.url
    await asyncio.to_thread(annotate, url, KIM, letter.task.task_id, "approve", edited)
    for other in status.reviews:
        if other.task.kind != "referral_letter":
            await asyncio.to_thread(annotate, url, JUNG, other.task.task_id, "approve")
    done = await wait_for(client, referral_id, all_signed)
    signed_letter = next(r for r in done.reviews if r.task.kind == "referral_letter").signed
    assert signed_letter is not None and signed_letter.reviewer == KIM
    document = SignedDocument.model_validate_json(store.get(signed_letter.json_key))
    banner = "※ 서명 전 초안 — 임상의 검토·서명 후 발송\n"
    assert banner in edited and document.text.strip() == edited.replace(banner, "").strip()
    assert "임상의 수정" in document.text
    assert document.reviewer_email == KIM and 0 < document.edit_ratio < 0.1
    assert (document.reviewer_name, document.reviewer_licence, document.reviewer_org) == ("김영월", "100001",
                                                                                         "yeongwol-mc")  # fmt: skip
    assert "서명 전 초안" in draft_text and "서명 전 초안" not in document.text  # the banner is the draft's only
    assert "+" in document.diff and "임상의 수정" in document.diff
    assert document.ai_backend == "clinical-extractor-1"
    import hashlib

    assert hashlib.sha256(document.text.encode()).hexdigest() == document.sha256 == signed_letter.sha256
    assert store.get(signed_letter.pdf_key).startswith(b"%PDF-")
    others = [r.signed for r in done.reviews if r.task.kind != "referral_letter"]
    assert all(s is not None and s.reviewer == JUNG and s.edit_ratio == 0.0 for s in others), others


async def test_only_a_clinician_on_the_institutions_roster_signs(
    client: Client, store: DocumentStore, network: Network, review_env: ReviewEnv
) -> None:
    """An approval by a clinician of the other hospital, or by an account on no roster, signs nothing: the task
    stays open with the refusal shown; a clinician of the referring hospital then signs it."""
    referral_id = await submit(client, store, network, review_env)
    status = await wait_for(client, referral_id, tasks_ready)
    letter = next(r for r in status.reviews if r.task.kind == "referral_letter")
    url = review_env.label_studio.url
    for outsider in (PARK, HAN):
        await asyncio.to_thread(annotate, url, outsider, letter.task.task_id, "approve")
        refused = await wait_for(
            client,
            referral_id,
            lambda s: any(
                r.task.task_id == letter.task.task_id and r.refused == "signer_not_on_roster" for r in s.reviews
            ),
        )
        mine = next(r for r in refused.reviews if r.task.task_id == letter.task.task_id)
        assert mine.status == "pending" and mine.signed is None
    await asyncio.to_thread(annotate, url, KIM, letter.task.task_id, "approve")
    signed = await letter_signed(client, referral_id)
    assert signed.reviewer == KIM


async def test_reject_returns_the_referral_with_the_reason(
    client: Client, store: DocumentStore, network: Network, review_env: ReviewEnv
) -> None:
    referral_id = await submit(client, store, network, review_env)
    status = await wait_for(client, referral_id, tasks_ready)
    await asyncio.to_thread(annotate, review_env.label_studio.url, KIM, status.reviews[0].task.task_id, "reject",
                            None, "검사 결과 누락 (missing lab results)")  # fmt: skip
    done = await wait_for(client, referral_id, lambda s: s.stage == ProcessingStage.REVIEW_REJECTED)
    assert done.stage_error is not None and "검사 결과 누락" in done.stage_error
    assert done.reviews[0].status == "rejected"


async def test_redraft_runs_the_summary_again_with_new_tasks(
    client: Client, store: DocumentStore, network: Network, review_env: ReviewEnv
) -> None:
    referral_id = await submit(client, store, network, review_env)
    first = await wait_for(client, referral_id, tasks_ready)
    first_ids = {r.task.task_id for r in first.reviews}
    await asyncio.to_thread(annotate, review_env.label_studio.url, KIM, first.reviews[1].task.task_id, "redraft",
                            None, "영상 소견 보강 필요")  # fmt: skip
    second = await wait_for(
        client, referral_id, lambda s: tasks_ready(s) and {r.task.task_id for r in s.reviews} != first_ids
    )
    assert not first_ids & {r.task.task_id for r in second.reviews}
    history = await client.get_workflow_handle(first_round(referral_id)).fetch_history()  # the round drafts
    summaries = [e for e in history.events if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
                 and e.activity_task_scheduled_event_attributes.activity_type.name == "summarize_records"]  # fmt: skip
    assert len(summaries) == 2


async def test_webhook_without_or_with_a_wrong_secret_changes_nothing(
    client: Client, store: DocumentStore, network: Network, review_env: ReviewEnv
) -> None:
    referral_id = await submit(client, store, network, review_env)
    status = await wait_for(client, referral_id, tasks_ready)
    task = status.reviews[0].task
    approve = {"from_name": "decision", "to_name": "source", "type": "choices", "value": {"choices": ["approve"]}}
    payload = {"action": "ANNOTATION_CREATED", "task": {"id": task.task_id, "meta": {"workflow_id": referral_id}},
               "annotation": {"id": 999_001, "completed_by": 1, "result": [approve]}}  # fmt: skip
    url = f"http://127.0.0.1:{review_env.api.port}/review/webhook"
    async with httpx.AsyncClient() as http:
        assert (await http.post(url, json=payload)).status_code == 401
        assert (await http.post(url, json=payload, headers={WEBHOOK_SECRET_HEADER: "forged"})).status_code == 401
    await asyncio.sleep(2)
    after = await get_status(client, referral_id)
    assert [r.status for r in after.reviews] == ["pending"] * 3 and after.stage == ProcessingStage.AWAITING_REVIEW


async def test_forged_webhook_with_the_real_secret_signs_nothing(
    client: Client, store: DocumentStore, network: Network, review_env: ReviewEnv
) -> None:
    """A reviewer account can read the webhook secret from Label Studio's API; its forged "approve" with its own
    text only makes the workflow look, and Label Studio holds no such decision: nothing is signed. The real
    decision that follows is signed with the clinician's text, not the forger's."""
    referral_id = await submit(client, store, network, review_env)
    status = await wait_for(client, referral_id, tasks_ready)
    forged_text = "위조된 의뢰서 (forged letter)"
    url = f"http://127.0.0.1:{review_env.api.port}/review/webhook"
    headers = {WEBHOOK_SECRET_HEADER: review_env.settings.review_webhook_secret or ""}
    async with httpx.AsyncClient() as http:
        for review in status.reviews:
            result = [{"from_name": "decision", "to_name": "source", "type": "choices",
                       "value": {"choices": ["approve"]}},
                      {"from_name": "final_text", "to_name": "source", "type": "textarea",
                       "value": {"text": [forged_text]}}]  # fmt: skip
            payload = {"action": "ANNOTATION_CREATED", "annotation": {"id": 990_000 + review.task.task_id,
                       "completed_by": 1, "result": result},
                       "task": {"id": review.task.task_id, "meta": {"workflow_id": referral_id}}}  # fmt: skip
            answer = await http.post(url, json=payload, headers=headers)
            assert answer.status_code == 200 and answer.json()["status"] == "hinted"
    await wait_for_activity(client, first_round(referral_id), "fetch_decisions")  # the round looked: found nothing
    after = await get_status(client, referral_id)
    assert [r.status for r in after.reviews] == ["pending"] * 3 and after.stage == ProcessingStage.AWAITING_REVIEW
    assert all(r.signed is None for r in after.reviews)
    for review in status.reviews:
        await asyncio.to_thread(annotate, review_env.label_studio.url, KIM, review.task.task_id, "approve")
    done = await wait_for(client, referral_id, all_signed)
    for review in done.reviews:
        assert review.signed is not None and review.signed.reviewer == KIM
        assert forged_text not in SignedDocument.model_validate_json(store.get(review.signed.json_key)).text


async def test_decisions_are_read_only_from_the_task_the_workflow_made(
    client: Client, store: DocumentStore, network: Network, review_env: ReviewEnv
) -> None:
    """The board answers a referral's decisions only for its own tasks: the same task asked for by another
    referral, or under another draft, gives nothing."""
    referral_id = await submit(client, store, network, review_env)
    status = await wait_for(client, referral_id, tasks_ready)
    ref = status.reviews[0].task
    await asyncio.to_thread(annotate, review_env.label_studio.url, JUNG, ref.task_id, "approve")
    board = review_env.board
    assert [d.task_id for d in await asyncio.to_thread(board.decisions, referral_id, [ref])] == [ref.task_id]
    assert await asyncio.to_thread(board.decisions, "ref-someone-else", [ref]) == []
    moved = ref.model_copy(update={"draft_key": status.reviews[1].task.draft_key})
    assert await asyncio.to_thread(board.decisions, referral_id, [moved]) == []


async def test_same_webhook_twice_is_one_decision(
    client: Client, store: DocumentStore, network: Network, review_env: ReviewEnv
) -> None:
    referral_id = await submit(client, store, network, review_env)
    status = await wait_for(client, referral_id, tasks_ready)
    created = [await asyncio.to_thread(annotate, review_env.label_studio.url, JUNG, r.task.task_id, "approve")
               for r in status.reviews]  # fmt: skip
    url = f"http://127.0.0.1:{review_env.api.port}/review/webhook"
    headers = {WEBHOOK_SECRET_HEADER: review_env.settings.review_webhook_secret or ""}
    payload = {"action": "ANNOTATION_UPDATED", "annotation": created[0],
               "task": {"id": status.reviews[0].task.task_id, "meta": {"workflow_id": referral_id}}}  # fmt: skip
    async with httpx.AsyncClient() as http:
        for _ in range(2):
            assert (await http.post(url, json=payload, headers=headers)).json()["status"] == "hinted"
    await wait_for(client, referral_id, all_signed)
    history = await client.get_workflow_handle(first_round(referral_id)).fetch_history()  # the round signs
    signs = [e for e in history.events if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
             and e.activity_task_scheduled_event_attributes.activity_type.name == "sign_document"]  # fmt: skip
    assert len(signs) == 3  # one per task, though the first decision arrived three times (LS webhook + 2 replays)


async def test_receiver_down_the_fleet_reconciler_hints_and_the_decisions_are_read(
    client: Client, store: DocumentStore, network: Network, review_env: ReviewEnv
) -> None:
    referral_id = await submit(client, store, network, review_env)
    status = await wait_for(client, referral_id, tasks_ready)
    since = datetime.now(UTC) - timedelta(seconds=5)
    await review_env.api.stop()  # Label Studio's webhooks are lost (it never retries them)
    try:
        for review in status.reviews:
            await asyncio.to_thread(annotate, review_env.label_studio.url, KIM, review.task.task_id, "approve")
        await asyncio.sleep(2)
        assert all(r.status == "pending" for r in (await get_status(client, referral_id)).reviews)
        report = await reconcile(client, [review_env.board], since)
        assert sorted(report.hinted[referral_id]) == sorted(r.task.task_id for r in status.reviews)
        done = await wait_for(client, referral_id, all_signed, timeout_s=60)
    finally:
        await review_env.api.start()
    assert all(r.signed is not None and r.signed.reviewer == KIM for r in done.reviews)
    assert referral_id not in (await reconcile(client, [review_env.board], datetime.now(UTC))).hinted


async def test_reminders_then_escalation(
    client: Client, store: DocumentStore, network: Network, review_env: ReviewEnv
) -> None:
    referral_id = await submit(client, store, network, review_env, review_reminder_s=1.0,
                               review_escalate_after=2)  # fmt: skip
    status = await wait_for(client, referral_id, lambda s: s.review_escalated, timeout_s=120)
    assert status.review_reminders >= 2 and status.stage == ProcessingStage.AWAITING_REVIEW
    query = f"WorkflowId = '{referral_id}' AND ReviewEscalated = true AND ReviewReminders >= 2"
    for _ in range(20):
        if (await client.count_workflows(query)).count == 1:
            break
        await asyncio.sleep(0.5)
    assert (await client.count_workflows(query)).count == 1


async def test_label_studio_down_while_tasks_are_created(
    client: Client, store: DocumentStore, network: Network, review_env: ReviewEnv
) -> None:
    review_env.label_studio.stop()
    try:
        referral_id = await submit(client, store, network, review_env)
        await wait_for_attempts(client, first_round(referral_id), "create_review_tasks", 2)  # failed, retried
    finally:
        review_env.label_studio.start()
        await asyncio.to_thread(review_env.label_studio.wait_ready)
    status = await wait_for(client, referral_id, tasks_ready, timeout_s=180)
    for review in status.reviews:
        key = f"{referral_id}:r1:{review.task.draft_key}"
        found = [t for t in review_env.board.client.tasks.list(project=review.task.project_id, fields="all")
                 if (t.data or {}).get("review_key") == key]  # fmt: skip
        assert len(found) == 1  # retried, never duplicated


async def test_clinician_edits_and_approves_in_the_browser(
    client: Client, store: DocumentStore, network: Network, review_env: ReviewEnv, artifacts: Path
) -> None:
    """A clinician logs in to Label Studio, opens the task, edits the draft, approves and submits (Playwright,
    Debian chromium). The workflow signs the edited text under that clinician's identity."""
    referral_id = await submit(client, store, network, review_env)
    status = await wait_for(client, referral_id, tasks_ready)
    letter = next(r for r in status.reviews if r.task.kind == "referral_letter")
    url = review_env.label_studio.url
    addition = "추가 소견 (clinician note): 외래 추적 담당 김의사"
    async with task_in_browser(url, KIM, letter.task) as page:
        await page.get_by_label("Edit Region").first.click()
        editor = page.locator("textarea").first
        draft_text = await editor.input_value()
        assert draft_text.startswith("진료의뢰서")
        await editor.fill(draft_text.rstrip("\n") + "\n" + addition)
        await page.get_by_text("approve").first.click()
        await page.screenshot(path=str(artifacts / "review-approve-in-browser.png"), full_page=True)
        await page.get_by_label("Submit current annotation").click()
        await page.wait_for_load_state("networkidle")

    signed = await letter_signed(client, referral_id)
    assert signed.reviewer == KIM
    document = SignedDocument.model_validate_json(store.get(signed.json_key))
    assert addition in document.text and document.reviewer_email == KIM and document.edit_ratio > 0
    assert (artifacts / "review-approve-in-browser.png").stat().st_size > 10_000


async def test_reviewer_accounts_from_the_cli(client: Client, review_env: ReviewEnv) -> None:
    from asyncio.subprocess import PIPE

    from tests.helpers import process_env
    from tests.review_fixtures import reviewer_token

    env = process_env(client, review_env.settings, REFERRAL_LABEL_STUDIO_URL=review_env.label_studio.url,
                      REFERRAL_LABEL_STUDIO_TOKEN=review_env.label_studio.token)  # fmt: skip
    entry = ["--org", "cnuh", "--name", "최전남", "--department", "신경과"]

    async def reviewer(email: str, licence: str) -> tuple[int | None, str]:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "referral.cli", "reviewer", email, "--password", "choi-review-pass-1", *entry,
            "--licence", licence, env=env, stdout=PIPE, stderr=PIPE,
        )  # fmt: skip
        _, err = await process.communicate()
        return process.returncode, err.decode()

    code, err = await reviewer("dr.nobody@cnuh.example", "12-34")  # not a licence number: nothing is created
    assert code == 2 and "licence" in err
    entry[1] = "no-such-hospital"
    code, err = await reviewer("dr.nobody@cnuh.example", "300009")  # an institution the network does not know
    assert code == 2 and "unknown institution" in err
    entry[1] = "cnuh"
    code, err = await reviewer("dr.choi@cnuh.example", "300001")
    assert code == 0, err
    REVIEWERS["dr.choi@cnuh.example"] = "choi-review-pass-1"
    assert len(await asyncio.to_thread(reviewer_token, review_env.label_studio.url, "dr.choi@cnuh.example")) == 40
    roster = load_roster(review_env.settings.roster_path)
    assert roster.signer("DR.CHOI@cnuh.example", "cnuh") == Signer(email="dr.choi@cnuh.example", name="최전남",
                                                                   licence="300001", department="신경과")  # fmt: skip
    assert (
        roster.signer("dr.choi@cnuh.example", "knuh") is None
        and roster.signer("dr.nobody@cnuh.example", "cnuh") is None
    )
    assert review_env.settings.roster_path.stat().st_mode & 0o777 == 0o600


async def test_a_task_is_found_by_its_review_key_never_made_twice(review_env: ReviewEnv) -> None:
    """Task creation is idempotent by (round, draft) and asks the board for that one key (a filter), so it costs
    the same on a project of ten tasks as of ten thousand."""
    from referral.summary.drafts import Draft, DraftKind

    board = review_env.board
    draft = Draft(kind=DraftKind.REFERRAL_LETTER, language="ko", title="진료의뢰서", text="의뢰 사유: 흉통\n",
                  omissions=[], evidence=[], backend="test")  # fmt: skip
    pages = [("sha256/aa/" + "a" * 64, 1, "흉통으로 내원")]
    first = await asyncio.to_thread(board.create_task, "ref-idem:r1", "ref-idem", "sha256/dk/1", draft, pages)
    again = await asyncio.to_thread(board.create_task, "ref-idem:r1", "ref-idem", "sha256/dk/1", draft, pages)
    other = await asyncio.to_thread(board.create_task, "ref-idem:r2", "ref-idem", "sha256/dk/1", draft, pages)
    assert first.task_id == again.task_id and other.task_id != first.task_id
    assert await asyncio.to_thread(board.find_task, first.project_id, "ref-idem:r1:sha256/dk/1") == first.task_id
    assert await asyncio.to_thread(board.find_task, first.project_id, "ref-idem:r9:sha256/dk/1") is None


async def test_a_clinician_without_a_signing_key_is_refused_until_one_is_provisioned(
    client: Client, store: DocumentStore, network: Network, review_env: ReviewEnv, tmp_path: Path
) -> None:
    """Production keys (no CA key to issue one) and none provisioned for the approving clinician: nothing is
    signed, the task stays open with the refusal shown; once the key is there, the next approval signs."""
    from referral.signing_keys import SigningKeys

    keys = SigningKeys(review_env.settings.signing_keys_dir)
    keys.trust_root()  # the CA exists (made on first use in development)
    aside = [(keys.folder / "ca.key", tmp_path / "ca.key"), (keys.folder / "reviewers", tmp_path / "reviewers")]
    referral_id = await submit(client, store, network, review_env)
    letter = next(r for r in (await wait_for(client, referral_id, tasks_ready)).reviews
                  if r.task.kind == "referral_letter")  # fmt: skip
    try:
        for there, away in aside:
            if there.exists():
                shutil.move(there, away)
        await asyncio.to_thread(annotate, review_env.label_studio.url, KIM, letter.task.task_id, "approve")
        refused = await wait_for(client, referral_id, lambda s: any(
            r.task.task_id == letter.task.task_id and r.refused == "signer_has_no_signing_key" for r in s.reviews
        ))  # fmt: skip
        mine = next(r for r in refused.reviews if r.task.task_id == letter.task.task_id)
        assert mine.status == "pending" and mine.signed is None
    finally:
        for there, away in aside:
            if away.exists():  # the keys are back: provisioned
                shutil.move(away, there)
    await asyncio.to_thread(annotate, review_env.label_studio.url, KIM, letter.task.task_id, "approve")
    assert (await letter_signed(client, referral_id)).reviewer == KIM


async def test_a_review_rounds_workflow_is_no_referral(
    client: Client, store: DocumentStore, network: Network, review_env: ReviewEnv
) -> None:
    """The id of a referral's review round (a child workflow) names no referral: status, a party's view and a hint
    answer "not found" / "closed", as for a made-up id — never the round's state, never a server error."""
    from referral.operations import NotAParty, ReferralNotFound, get_status, hint_review, party_status

    referral_id = await submit(client, store, network, review_env)
    await wait_for(client, referral_id, tasks_ready)
    for not_a_referral in (first_round(referral_id), "ref-not-a-referral"):
        with pytest.raises(ReferralNotFound):
            await get_status(client, not_a_referral)
        with pytest.raises(NotAParty):
            await party_status(client, not_a_referral, "yeongwol-mc")
        assert await hint_review(client, not_a_referral, [1]) == "closed"
    assert (await get_status(client, referral_id)).review_round == "referral"  # the referral itself answers
