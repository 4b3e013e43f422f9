"""From signature to the receiving hospital: signed drafts travel as one FHIR message to the receiving
gateway, exactly once even when that gateway is down for several retry intervals, and its receipt moves the
referral to RECEIVED."""

from __future__ import annotations

import asyncio
import base64

import pytest
from temporalio.client import Client

from flows.referral.io import ProcessingStage
from referral.fhir.message import validate
from referral.fhir.signature import verify_bundle
from referral.models import Side
from referral.operations import get_history, get_status
from referral.pades import PdfSigner, verify_pdf
from referral.review_plan import ReviewRoundName
from referral.signing_keys import SigningKeys
from referral.states import ReferralState
from referral.storage import DocumentStore
from referral.submission import IncomingFile, submit_referral
from referral.synthetic import clinical_record, image_bytes, render_page
from review.server import LabelStudioServer
from tests.deployment import TOKENS, Deployment, sign_round, task_updates
from tests.helpers import event_request, make_request, wait_for, wait_for_attempts
from tests.review_fixtures import KNUH_SIGNERS, annotate
from tests.test_review import KIM, PARK, tasks_ready

pytestmark = pytest.mark.slow


def referral_tasks(url: str, email: str, referral_id: str) -> set[str]:
    """The draft kinds of a referral's tasks that a clinician's own account can list on a board."""
    import httpx

    from tests.review_fixtures import reviewer_token

    headers = {"Authorization": f"Token {reviewer_token(url, email)}"}
    kinds = set()
    with httpx.Client(base_url=url, headers=headers, timeout=30) as api:
        projects = api.get("/api/projects/", params={"page_size": 100}).json()["results"]
        for project in projects:
            tasks = api.get("/api/tasks/", params={"project": project["id"], "page_size": 1000}).json()["tasks"]
            kinds |= {t["meta"]["kind"] for t in tasks if (t.get("meta") or {}).get("workflow_id") == referral_id}
    return kinds


async def sees_only_projects_of_its_board(url: str, email: str, shown: str, not_shown: str) -> None:
    """In the browser: the clinician's project list shows `shown`'s review project, and nothing of `not_shown`."""
    from tests.review_fixtures import signed_in_browser

    async with signed_in_browser(url, email) as page:
        await page.goto(f"{url}/projects/")
        await page.get_by_text(shown, exact=False).first.wait_for(timeout=30_000)
        assert not_shown not in await page.inner_text("body")


async def submit_and_sign(client: Client, store: DocumentStore, deployment: Deployment, url: str) -> str:
    scan = image_bytes(render_page(clinical_record(55).lines, damage=0.2, seed=55))
    result = await submit_referral(client, store, deployment.network, deployment.settings, make_request(),
                                   [IncomingFile("outside-record.png", scan)])  # fmt: skip
    status = await wait_for(client, result.referral_id, tasks_ready)
    for review in status.reviews:
        await asyncio.to_thread(annotate, url, KIM, review.task.task_id, "approve")
    return result.referral_id


async def test_signed_referral_is_delivered_and_received(
    client: Client, store: DocumentStore, deployment: Deployment, label_studio: LabelStudioServer
) -> None:
    before = deployment.index.count()
    referral_id = await submit_and_sign(client, store, deployment, label_studio.url)
    status = await wait_for(client, referral_id, lambda s: s.state == ReferralState.RECEIVED)
    assert status.delivery is not None
    [receipt] = [r for r in (await get_history(client, referral_id)) if r.event == "receive"]
    assert receipt.side == Side.RECEIVING and receipt.actor == "gateway:knuh"
    assert deployment.index.count() == before + 1
    bundle = __import__("json").loads(deployment.inbox.get(status.delivery.stored_key))
    validate(bundle)
    assert status.delivery.bundle_key is not None  # the sender kept what it sent: exactly what the receiver holds
    assert __import__("json").loads(store.get(status.delivery.bundle_key)) == bundle
    from tests.test_cli import run_cli

    written = await run_cli(client, deployment.settings, "bundle", referral_id)
    assert written.returncode == 0, written.stderr
    assert __import__("json").loads(written.stdout) == bundle
    resources = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert resources.count("Binary") == 2  # the signed letter and the scan: the referring side's drafts only
    [letter] = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Bundle"]
    composition = letter["entry"][0]["resource"]
    assert composition["attester"][0]["mode"] == "legal"
    assert "서명 전 초안" not in composition["section"][0]["text"]["div"]  # what travels is signed, not a draft
    [signer] = [e["resource"] for e in letter["entry"] if e["resource"]["resourceType"] == "Practitioner"]
    [role] = [e["resource"] for e in letter["entry"] if e["resource"]["resourceType"] == "PractitionerRole"]
    assert (
        composition["attester"][0]["party"]
        == composition["author"][0]
        == {"reference": f"PractitionerRole/{role['id']}"}
    )
    assert role["practitioner"]["reference"] == f"Practitioner/{signer['id']}"  # the signer, in their role
    assert (signer["name"][0]["text"], signer["qualification"][0]["identifier"][0]["value"]) == ("김영월", "100001")
    # real signatures, as the receiver checks them: the message by 영월의료원's key, the letter PDF (PAdES) by the
    # clinician who approved it, both chaining to the network's CA
    trust_root = SigningKeys(deployment.settings.signing_keys_dir).trust_root()
    assert verify_bundle(bundle, trust_root) == "yeongwol-mc"
    [document] = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "DocumentReference"
                  and e["resource"]["type"]["text"] == "referral_letter"]  # fmt: skip
    binary_id = document["content"][0]["attachment"]["url"].rsplit("/", 1)[-1]
    [pdf] = [base64.b64decode(e["resource"]["data"]) for e in bundle["entry"] if e["resource"]["id"] == binary_id]
    assert verify_pdf(pdf, trust_root) == PdfSigner("김영월", "yeongwol-mc", "100001")


async def test_gateway_down_for_several_retries_then_delivered_once(
    client: Client, store: DocumentStore, deployment: Deployment, label_studio: LabelStudioServer
) -> None:
    await deployment.gateway.stop()
    try:
        referral_id = await submit_and_sign(client, store, deployment, label_studio.url)
        await wait_for_attempts(client, referral_id, "deliver_message", 4)  # several retry intervals pass
        before = deployment.index.count()
    finally:
        await deployment.gateway.start()
    status = await wait_for(client, referral_id, lambda s: s.state == ReferralState.RECEIVED, timeout_s=60)
    assert status.delivery is not None
    assert deployment.index.count() == before + 1  # exactly one stored message


async def test_full_loop_from_yeongwol_to_knuh_and_back(
    client: Client, store: DocumentStore, deployment: Deployment, label_studio: LabelStudioServer,
    knuh_board: LabelStudioServer,
) -> None:  # fmt: skip
    """영월의료원 → 강원대병원, each half reviewed by its own hospital on its own board: 영월의료원's clinician signs
    the 진료의뢰서 → delivered → 강원대병원's clinician signs its summary of the outside records → accepted, an
    operation planned → its anaesthesiologist signs the 마취 전 상태평가 → in care with a pathology report → the
    attending signs the 퇴원요약 and 회송서 (its pathologist the 병리 판독 리뷰) → delivered back → acknowledged →
    LOOP_CLOSED; every bundle on both gateways validates. Neither board holds a task of the other hospital's
    (through the API with each clinician's own token, and in the browser)."""
    import httpx

    from flows.referral.io import EventRequest, ReferralStatus
    from referral.api import create_app
    from referral.operations import send_event
    from referral.states import ReferralEvent
    from referral.synthetic import text_pdf
    from tests.test_summary import KOREAN_DISCHARGE

    referral_id = await submit_and_sign(client, store, deployment, label_studio.url)
    await wait_for(client, referral_id, lambda s: s.state == ReferralState.RECEIVED)
    receipt = await sign_round(client, referral_id, ReviewRoundName.RECEIPT, knuh_board.url, PARK, KNUH_SIGNERS)
    assert {r.task.kind for r in receipt.reviews} <= {"outside_record_summary", "pathology_review"}
    assert "outside_record_summary" in {r.task.kind for r in receipt.reviews}
    assert all(r.side == Side.RECEIVING and r.task.org == "knuh" for r in receipt.reviews)
    for event in (ReferralEvent.ACCEPT, ReferralEvent.SCHEDULE):
        await send_event(client, referral_id, event_request(event, Side.RECEIVING, "knuh"))
    app = create_app(deployment.settings, client=client, store=store, network=deployment.network)
    knuh = {"Authorization": f"Bearer {TOKENS['knuh']}"}
    operation = {"actor": "dr-lee", "procedure": "복강경 담낭절제술", "planned_on": "2026-12-10", "department": "외과"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as api:
        planned = await api.post(f"/referrals/{referral_id}/planned-operation", headers=knuh, json=operation)
        assert planned.status_code == 202, planned.text
    assessment = await sign_round(client, referral_id, ReviewRoundName.OPERATION, knuh_board.url, PARK,
                                  KNUH_SIGNERS)  # fmt: skip
    assert [r.task.kind for r in assessment.reviews] == ["pre_anesthesia"]
    await wait_for(client, referral_id, lambda s: all(r.signed for r in s.reviews) and s.review_round == "operation")
    await send_event(client, referral_id, EventRequest(event=ReferralEvent.START_CARE, side=Side.RECEIVING,
                                                        org="knuh", actor="dr-lee"))  # fmt: skip
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as api:
        pathology = text_pdf(KOREAN_DISCHARGE.splitlines())
        report = [("files", ("pathology.pdf", pathology, "application/pdf"))]
        added = await api.post(f"/referrals/{referral_id}/documents", headers=knuh, data={"actor": "dr-lee"},
                               files=report)  # fmt: skip
        assert added.status_code == 202, added.text
        await wait_for(client, referral_id, lambda s: s.interim_documents == 1)
        asked = await api.post(f"/referrals/{referral_id}/outcome", headers=knuh, data={"actor": "dr-lee"})
        assert asked.status_code == 202, asked.text
        again = await api.post(f"/referrals/{referral_id}/outcome", headers=knuh, data={"actor": "dr-lee"})
        assert again.status_code == 409
    outcome = await sign_round(client, referral_id, ReviewRoundName.OUTCOME, knuh_board.url, PARK, KNUH_SIGNERS)
    assert {r.task.kind for r in outcome.reviews} == {"discharge_summary", "return_letter", "pathology_review"}
    assert all(r.side == Side.RECEIVING and r.task.org == "knuh" for r in outcome.reviews)
    [letter] = [r for r in outcome.past_reviews if r.side == Side.REFERRING]
    assert letter.task.kind == "referral_letter" and letter.task.org == "yeongwol-mc"
    on_knuh = await asyncio.to_thread(referral_tasks, knuh_board.url, PARK, referral_id)
    on_yeongwol = await asyncio.to_thread(referral_tasks, label_studio.url, KIM, referral_id)
    knuh_rounds = [r for r in [*outcome.past_reviews, *outcome.reviews] if r.side == Side.RECEIVING]
    assert on_knuh == {r.task.kind for r in knuh_rounds}  # its own rounds, and nothing of 영월의료원's
    assert on_yeongwol == {"referral_letter"}  # its own round, no draft of 강원대병원's
    await sees_only_projects_of_its_board(knuh_board.url, PARK, "회송서", "진료의뢰서")
    completed = await wait_for(client, referral_id, lambda s: s.state == ReferralState.COMPLETED)
    assert {r.task.kind: r.signed.reviewer for r in completed.reviews if r.signed} == {
        "discharge_summary": PARK,
        "return_letter": PARK,
        "pathology_review": KNUH_SIGNERS["pathology_review"],
    }
    assert completed.delivery is not None and completed.delivery.target_org == "yeongwol-mc"
    await send_event(client, referral_id, EventRequest(event=ReferralEvent.ACKNOWLEDGE, side=Side.REFERRING,
                                                        org="yeongwol-mc", actor="dr-kim"))  # fmt: skip
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as api:
        late = await api.post(f"/referrals/{referral_id}/documents", headers=knuh, data={"actor": "dr-lee"},
                              files=report)  # fmt: skip
        assert late.status_code == 409  # documents of the stay only while in care
    final = await client.get_workflow_handle(referral_id, result_type=ReferralStatus).result()
    assert final.state == ReferralState.LOOP_CLOSED
    events = [r.event for r in await get_history(client, referral_id)]
    assert events == ["receive", "accept", "schedule", "start_care", "complete", "acknowledge"]
    assert deployment.home_index is not None and deployment.home_inbox is not None
    returned = __import__("json").loads(deployment.home_inbox.get(completed.delivery.stored_key))
    validate(returned)
    kinds = [
        e["resource"]["type"]["text"] for e in returned["entry"] if e["resource"]["resourceType"] == "DocumentReference"
    ]
    assert {"discharge_summary", "return_letter", "pathology_review"} <= set(kinds)
    assert "pre_anesthesia" not in kinds and "outside_record_summary" not in kinds  # 강원대병원's own records
    updates = task_updates(deployment, referral_id)  # what 영월의료원's system learnt on the way: accepted, booked …
    assert [u["Task"]["businessStatus"]["coding"][0]["code"] for u in updates] == ["3.0", "5.1.1", "5.1.4"]
    assert updates[1]["Appointment"]["status"] == "booked"
    for stored in deployment.inbox.root.rglob("*.meta.json"):
        key = str(stored.relative_to(deployment.inbox.root)).removesuffix(".meta.json")
        validate(__import__("json").loads(deployment.inbox.get(key)))


async def test_cds_hooks_card_for_a_recent_outside_ct_and_the_choice_recorded(
    client: Client, store: DocumentStore, deployment: Deployment, label_studio: LabelStudioServer
) -> None:
    """The receiving EMR asks at ordering time: a chest CT planned 20 days after the outside chest CT gets one
    card with the prior study; one planned 120 days after gets none; malformed or unauthorised calls are refused;
    the clinician's choices are recorded on the referral."""
    import httpx

    from referral.api import create_app
    from referral.synthetic import text_pdf
    from tests.test_cds_hooks import hook, service_request

    record = text_pdf(["외래 기록", "환자명: 홍길순   생년월일: 1951-03-14", "[영상]",
                       "2026-10-01 Chest CT: 우상엽 8 mm 결절, 추적 필요"])  # fmt: skip
    result = await submit_referral(client, store, deployment.network, deployment.settings, make_request(),
                                   [IncomingFile("outside-ct.pdf", record)])  # fmt: skip
    status = await wait_for(client, result.referral_id, tasks_ready)
    for review in status.reviews:
        await asyncio.to_thread(annotate, label_studio.url, KIM, review.task.task_id, "approve")
    await wait_for(client, result.referral_id, lambda s: s.state == ReferralState.RECEIVED)
    knuh = {"Authorization": f"Bearer {TOKENS['knuh']}"}
    service = "/cds-services/referral-duplicate-tests"

    def ct_on(day: str) -> dict:
        bundle = {"resourceType": "Bundle", "type": "collection",
                  "entry": [{"resource": service_request("ct", "Chest CT with contrast", day)}]}  # fmt: skip
        return hook(patientId=result.referral_id, draftOrders=bundle)

    app = create_app(deployment.settings, client=client, store=store, network=deployment.network)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as api:
        discovery = (await api.get("/cds-services")).json()
        assert {s["hook"] for s in discovery["services"]} == {"order-select", "order-sign"}
        for _ in range(120):  # the receiving side summarises the outside records after receipt: 409 until then
            answered = await api.post(service, headers=knuh, json=ct_on("2026-10-21"))
            if answered.status_code != 409:
                break
            await asyncio.sleep(1)
        assert answered.status_code == 200, answered.text
        [card] = answered.json()["cards"]
        assert card["indicator"] == "warning" and "20일 전" in card["summary"]
        assert "2026-10-01" in card["detail"] and "영월의료원" in card["detail"] and "150,000원" in card["detail"]
        assert card["suggestions"][0]["actions"][0]["resourceId"] == ["ServiceRequest/ct"]
        late = await api.post(service, headers=knuh, json=ct_on("2027-01-29"))
        assert late.status_code == 200 and late.json()["cards"] == []  # 120 days: outside the 90-day window
        assert (await api.post(service, headers=knuh, json={"hook": "order-select"})).status_code == 400
        assert (await api.post(service, headers=knuh, content=b"{not json")).status_code == 400
        assert (await api.post(service, json=ct_on("2026-10-21"))).status_code == 401
        referring = {"Authorization": f"Bearer {TOKENS['yeongwol-mc']}"}
        assert (await api.post(service, headers=referring, json=ct_on("2026-10-21"))).status_code == 403
        kept = {"feedback": [{"card": card["uuid"], "outcome": "overridden", "overrideReason": {
            "reason": {"code": "interval-change", "display": "이후 상태 변화"}}}]}  # fmt: skip
        assert (await api.post(f"{service}/feedback", headers=knuh, json=kept)).json() == {"recorded": 1}
        planned = await api.post(f"/referrals/{result.referral_id}/planned-orders", headers=knuh, json={
            "actor": "dr-lee", "orders": [{"name": "Chest CT", "planned_on": "2026-10-22"}]})  # fmt: skip
        assert planned.status_code == 200, planned.text
        check = planned.json()
        assert [r["days_since"] for r in check["report"]["repeats"]] == [21]
        chosen = await api.post(f"/referrals/{result.referral_id}/planned-orders/{check['check_id']}/choices",
                                headers=knuh, json={"actor": "dr-lee", "test": check["report"]["repeats"][0]["test"],
                                                    "choice": "cancelled"})  # fmt: skip
        assert chosen.status_code == 200, chosen.text
        unreasoned = await api.post(f"/referrals/{result.referral_id}/planned-orders/{check['check_id']}/choices",
                                    headers=knuh, json={"actor": "dr-lee", "test": "흉부 CT (Chest CT)",
                                                        "choice": "kept"})  # fmt: skip
        assert unreasoned.status_code == 400  # keeping a repeat needs a reason
    final = await get_status(client, result.referral_id)
    assert [c.source for c in final.order_checks] == ["cds-hooks", "cds-hooks", "api"]
    assert sorted((c.choice, c.reason) for c in final.order_choices) == [("cancelled", None),
                                                                          ("kept", "이후 상태 변화")]  # fmt: skip


async def test_once_delivered_the_receiving_side_sees_it_but_not_the_referring_sides_review(
    client: Client, store: DocumentStore, deployment: Deployment
) -> None:
    """강원대병원 sees the referral after delivery (status, worklist, actions) with its own review round of the
    outside records, without 영월의료원's drafts, decisions, reviewers or dictations; 영월의료원 sees its own signed
    letter and nothing of 강원대병원's round."""
    import httpx

    from referral.api import create_app
    from tests.deployment import delivered_referral, drafts_ready

    referral_id = await delivered_referral(client, store, deployment)
    await wait_for(client, referral_id, lambda s: s.review_round == ReviewRoundName.RECEIPT and drafts_ready(s))
    app = create_app(deployment.settings, client=client, store=store, network=deployment.network)
    knuh, yeongwol = ({"Authorization": f"Bearer {TOKENS[org]}"} for org in ("knuh", "yeongwol-mc"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as api:
        seen = (await api.get(f"/referrals/{referral_id}", headers=knuh)).json()
        assert seen["state"] == "RECEIVED" and seen["delivery"] is not None
        assert (seen["past_reviews"], seen["dictations"]) == ([], [])  # nothing of the referring side's round
        assert seen["reviews"] and all(r["side"] == "receiving" and r["task"]["org"] == "knuh" for r in seen["reviews"])
        assert seen["summary"] is not None and seen["review_side"] == "receiving"
        own = (await api.get(f"/referrals/{referral_id}", headers=yeongwol)).json()
        assert (own["reviews"], own["summary"]) == ([], None)  # nothing of the receiving side's round
        [letter] = own["past_reviews"]
        assert letter["task"]["kind"] == "referral_letter" and letter["status"] == "approved" and letter["signed"]
        actions = (await api.get(f"/referrals/{referral_id}/actions", headers=knuh)).json()
        assert "accept" in actions and "receive" not in actions
        for _ in range(40):  # visibility is eventually consistent
            listed = (await api.get("/referrals", params={"side": "receiving"}, headers=knuh)).json()
            if referral_id in [row["referral_id"] for row in listed]:
                break
            await asyncio.sleep(0.25)
        assert referral_id in [row["referral_id"] for row in listed]


async def test_consent_withdrawn_while_the_gateway_is_down_stops_the_delivery_for_good(
    client: Client, store: DocumentStore, deployment: Deployment, label_studio: LabelStudioServer
) -> None:
    """The signed referral is being retried against 강원대병원's gateway when the patient withdraws consent: 영월의료원
    records it, the retries stop, and when the gateway is back nothing arrives. Only the referring side records it
    (the receiving side does not even see the referral yet), and only once."""
    import httpx

    from referral.api import create_app

    app = create_app(deployment.settings, client=client, store=store, network=deployment.network)
    knuh, yeongwol = ({"Authorization": f"Bearer {TOKENS[org]}"} for org in ("knuh", "yeongwol-mc"))
    await deployment.gateway.stop()
    try:
        referral_id = await submit_and_sign(client, store, deployment, label_studio.url)
        await wait_for_attempts(client, referral_id, "deliver_message", 2)
        withdrawal = f"/referrals/{referral_id}/consent-withdrawal"
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as api:
            assert (await api.post(withdrawal, headers=knuh, json={"actor": "접수"})).status_code == 404
            assert (await api.post(withdrawal, headers=yeongwol, json={})).status_code == 422  # who records it
            body = {"actor": "진료협력센터", "reason": "환자 요청"}
            withdrawn = await api.post(withdrawal, headers=yeongwol, json=body)
            assert withdrawn.status_code == 200, withdrawn.text
            assert (await api.post(withdrawal, headers=yeongwol, json={"actor": "진료협력센터"})).status_code == 409
        status = await wait_for(client, referral_id, lambda s: s.stage == ProcessingStage.CONSENT_WITHDRAWN)
        before = deployment.index.count()
    finally:
        await deployment.gateway.start()
    await asyncio.sleep(4)  # retries were 1–2 s apart: a delivery still going would have arrived by now
    after = await get_status(client, referral_id)
    assert deployment.index.count() == before and after.state == ReferralState.DRAFT and after.delivery is None
    assert status.consent_withdrawn is not None and status.consent_withdrawn.reason == "환자 요청"
    assert "동의 철회" in (status.stage_error or "")
