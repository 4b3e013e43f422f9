"""A referral whose packet holds another patient's page: the finding is at the top of every review task, no
draft is signed until the reviewer marks the flagged pages (keep / remove), and the mark is part of the signed
record; "remove" drafts again without those pages. Real Label Studio, real workflow, a browser for the UI."""

from __future__ import annotations

import asyncio
import base64
import io
import json
from pathlib import Path

import pytest
from temporalio.client import Client

from flows.referral.io import ReferralStatus
from referral.config import Settings
from referral.network import Network
from referral.operations import get_status
from referral.storage import DocumentStore
from referral.submission import IncomingFile, submit_referral
from referral.synthetic import text_pdf
from review.models import SignedDocument
from tests.deployment import Deployment
from tests.helpers import PATIENT_NAME, make_request, wait_for
from tests.review_fixtures import ReviewEnv, annotate, task_in_browser
from tests.test_review import KIM, all_signed, letter_signed, tasks_ready

pytestmark = pytest.mark.slow

OWN = ["진료의뢰서", f"환자명: {PATIENT_NAME}   생년월일: 1951-03-14", "진단: 본태성 고혈압 (I10)",
       "투약: Amlodipine 5 mg 1일 1회"]  # fmt: skip
OTHER = ["검사결과지", "성명: 김민수   생년월일: 1960-05-05", "Creatinine 1.9 mg/dL"]


async def submit_packet(client: Client, store: DocumentStore, network: Network, env: ReviewEnv) -> str:
    files = [IncomingFile("letter.pdf", text_pdf(OWN)), IncomingFile("labs.pdf", text_pdf(OTHER))]
    result = await submit_referral(client, store, network, env.settings, make_request(), files)
    return result.referral_id


async def test_approval_waits_for_the_identity_mark_and_keep_is_signed(
    client: Client, store: DocumentStore, network: Network, review_env: ReviewEnv
) -> None:
    referral_id = await submit_packet(client, store, network, review_env)
    status = await wait_for(client, referral_id, tasks_ready)
    assert status.summary is not None
    findings = status.summary.identity
    assert {f.kind for f in findings} == {"name_mismatch", "birth_date_mismatch"}
    assert len({f.document_key for f in findings}) == 1
    for review in status.reviews:
        task = review_env.board.client.tasks.get(id=review.task.task_id)
        assert task.data["identity"].startswith("⚠ 환자 확인 필요")
        assert "⚠ 환자 확인 필요" in json.loads(store.get(review.task.draft_key))["text"]
    url = review_env.label_studio.url
    letter = next(r for r in status.reviews if r.task.kind == "referral_letter")
    await asyncio.to_thread(annotate, url, KIM, letter.task.task_id, "approve", None, None, None)

    def refused(s: ReferralStatus) -> bool:
        return any(r.task.task_id == letter.task.task_id and r.refused == "identity_unmarked" for r in s.reviews)

    after = await wait_for(client, referral_id, refused)
    assert all(r.status == "pending" and r.signed is None for r in after.reviews)
    for review in after.reviews:
        await asyncio.to_thread(annotate, url, KIM, review.task.task_id, "approve", None, None, "keep")
    done = await wait_for(client, referral_id, all_signed)
    signed = next(r for r in done.reviews if r.task.kind == "referral_letter").signed
    assert signed is not None
    document = SignedDocument.model_validate_json(store.get(signed.json_key))
    assert document.identity_choice == "keep" and document.identity_findings == findings
    assert store.get(signed.pdf_key)[:5] == b"%PDF-"


async def test_remove_drafts_again_without_the_other_patients_pages(
    client: Client, store: DocumentStore, network: Network, review_env: ReviewEnv
) -> None:
    referral_id = await submit_packet(client, store, network, review_env)
    first = await wait_for(client, referral_id, tasks_ready)
    assert first.summary is not None and first.summary.identity
    other_key = first.summary.identity[0].document_key
    await asyncio.to_thread(annotate, review_env.label_studio.url, KIM, first.reviews[0].task.task_id, "approve",
                            None, None, "remove")  # fmt: skip
    first_ids = {r.task.task_id for r in first.reviews}

    def new_round(s: ReferralStatus) -> bool:
        return tasks_ready(s) and not first_ids & {r.task.task_id for r in s.reviews}

    second = await wait_for(client, referral_id, new_round)
    assert second.summary is not None and second.summary.identity == []
    assert [(p.document_key, p.page) for p in second.excluded_pages] == [(other_key, 1)]
    for review in second.reviews:
        text = json.loads(store.get(review.task.draft_key))["text"]
        assert "1.9" not in text and "⚠ 환자 확인" not in text  # the other patient's creatinine is gone
        assert "I10" in text or review.task.kind == "pre_anesthesia" or "고혈압" in text


async def test_identity_mark_is_required_in_the_browser(
    client: Client, store: DocumentStore, network: Network, review_env: ReviewEnv, artifacts: Path
) -> None:
    """Label Studio's interface refuses a submission without the keep/remove mark; with it, the draft is signed."""
    referral_id = await submit_packet(client, store, network, review_env)
    status = await wait_for(client, referral_id, tasks_ready)
    letter = next(r for r in status.reviews if r.task.kind == "referral_letter")
    url = review_env.label_studio.url
    async with task_in_browser(url, KIM, letter.task) as page:
        await page.get_by_text("환자 확인 필요").first.wait_for()
        await page.locator("img[src^='data:image/png']").first.wait_for()  # the numbers to check, as images
        await page.get_by_text("approve").first.click()
        await page.get_by_label("Submit current annotation").click()
        await page.get_by_text('"identity" is required').wait_for()
        await page.screenshot(path=str(artifacts / "review-identity-required.png"), full_page=True)
        annotations = list(review_env.board.client.annotations.list(id=letter.task.task_id))
        assert annotations == []  # refused by the interface: nothing was submitted
        await page.get_by_role("button", name="OK").click()
        await page.get_by_text("keep").first.click()
        await page.screenshot(path=str(artifacts / "review-identity-kept.png"), full_page=True)
        await page.get_by_label("Submit current annotation").click()
        await page.wait_for_load_state("networkidle")

    signed = await letter_signed(client, referral_id)
    assert signed.reviewer == KIM
    assert SignedDocument.model_validate_json(store.get(signed.json_key)).identity_choice == "keep"
    assert (await get_status(client, referral_id)).excluded_pages == []


async def referral_with_a_removed_page(
    client: Client, store: DocumentStore, network: Network, settings: Settings
) -> ReferralStatus:  # fmt: skip
    """One PDF: the referral's letter on page 1, another patient's lab sheet on page 2. The reviewer removes the
    flagged page and signs the drafts made again without it; the referral as received."""
    from pypdf import PdfReader, PdfWriter

    from referral.states import ReferralState

    writer = PdfWriter()
    for lines in (OWN, OTHER):
        writer.add_page(PdfReader(io.BytesIO(text_pdf(lines))).pages[0])
    packet = io.BytesIO()
    writer.write(packet)
    result = await submit_referral(client, store, network, settings, make_request(),
                                   [IncomingFile("packet.pdf", packet.getvalue())])  # fmt: skip
    first = await wait_for(client, result.referral_id, tasks_ready)
    assert first.summary is not None and {f.page for f in first.summary.identity} == {2}
    url = settings.label_studio_url
    await asyncio.to_thread(annotate, url, KIM, first.reviews[0].task.task_id, "approve", None, None, "remove")
    first_ids = {r.task.task_id for r in first.reviews}

    def new_round(s: ReferralStatus) -> bool:
        return tasks_ready(s) and not first_ids & {r.task.task_id for r in s.reviews}

    second = await wait_for(client, result.referral_id, new_round)
    for review in second.reviews:
        await asyncio.to_thread(annotate, url, KIM, review.task.task_id, "approve")
    return await wait_for(client, result.referral_id, lambda s: s.state == ReferralState.RECEIVED)


async def test_a_removed_page_is_not_sent_to_the_receiving_hospital(
    client: Client, store: DocumentStore, deployment: Deployment
) -> None:
    """The receiving hospital gets the PDF without the removed page, and told how many were removed."""
    from pypdf import PdfReader

    done = await referral_with_a_removed_page(client, store, deployment.network, deployment.settings)
    assert done.delivery is not None
    bundle = json.loads(deployment.inbox.get(done.delivery.stored_key))
    resources = {e["resource"]["id"]: e["resource"] for e in bundle["entry"]}
    [record] = [r for r in resources.values() if r["resourceType"] == "DocumentReference"
                and r["type"]["text"] == "outside_record"]  # fmt: skip
    assert "1쪽 제외" in record["description"] and "another patient" in record["description"]
    binary = resources[record["content"][0]["attachment"]["url"].rsplit("/", 1)[1]]
    sent = PdfReader(io.BytesIO(base64.b64decode(binary["data"])))
    text = "".join(page.extract_text() for page in sent.pages)
    assert len(sent.pages) == 1 and "진료의뢰서" in text and "김민수" not in text and "1.9" not in text
