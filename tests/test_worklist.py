"""The 진료협력센터 worklist in a real browser (Playwright + Debian chromium) against the API process, the session's
Temporal server and workers, Label Studio and two hospitals' gateways: 영월의료원's coordinator sends a referral;
강원대학교병원's coordinator sees it only once it is signed and delivered, asks for information, 영월의료원
answers, 강원대학교병원 accepts and books; the overdue list shows it with its escalation; a third hospital's
coordinator sees nothing of it; a read-only member acts on nothing; forms without this session's CSRF token, or
from an ended session, change nothing. Screenshots are kept in tests/artifacts/worklist/."""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from pypdf import PdfReader
from temporalio.client import Client

from referral.api import create_app
from referral.config import Settings
from referral.devserver import free_port
from referral.operations import get_history, get_status
from referral.states import ReferralState
from referral.storage import DocumentStore
from referral.web.accounts import StaffDirectory, StaffRole
from review.server import LabelStudioServer
from tests.deployment import TOKENS, Deployment, drafts_ready
from tests.helpers import tiny_scan, wait_for
from tests.review_fixtures import ApiServer, annotate
from tests.test_review import KIM

pytestmark = pytest.mark.slow

PASSWORD = "worklist-pass-0001"
STAFF = {
    "coord.yeongwol": ("yeongwol-mc", StaffRole.COORDINATOR, "이영월"),
    "coord.knuh": ("knuh", StaffRole.COORDINATOR, "박강원"),
    "viewer.knuh": ("knuh", StaffRole.READ_ONLY, "조회원"),
    "coord.snuh": ("snuh", StaffRole.COORDINATOR, "최서울"),
}
PATIENT = "박영순"


class Worklist:
    def __init__(self, url: str, api: httpx.AsyncClient, settings: Settings, folder: Path) -> None:
        self.url, self.api, self.settings, self.folder = url, api, settings, folder
        self.shots = 0


@pytest.fixture(scope="module")
async def worklist(
    client: Client, store: DocumentStore, deployment: Deployment, tmp_path_factory: pytest.TempPathFactory,
    artifacts: Path,
) -> AsyncIterator[Worklist]:  # fmt: skip
    folder = tmp_path_factory.mktemp("worklist")
    staff = StaffDirectory(folder / "staff.yaml")
    for username, (org, role, name) in STAFF.items():
        staff.add(username, org, role, name, PASSWORD)
    # every wait is due 4 s after it begins and escalates after two reminders a second apart: overdue lists fill
    settings = deployment.settings.with_changes(
        staff_file=folder / "staff.yaml", sla_override_s=4.0, sla_reminder_every_s=1.0, sla_escalate_after=2
    )
    app = create_app(settings, client=client, store=store, network=deployment.network)
    server = ApiServer(app, free_port())
    await server.start()
    shots = artifacts / "worklist"
    shots.mkdir(exist_ok=True)
    for old in shots.glob("*.png"):
        old.unlink()
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as api:
            yield Worklist(f"http://127.0.0.1:{server.port}", api, settings, shots)
    finally:
        await server.stop()


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        launched = await pw.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
        )
        try:
            yield launched
        finally:
            await launched.close()


async def sign_in(browser: Any, url: str, username: str, tablet: bool = False) -> Any:
    """A member's own browser (its own cookies) at a 1366×768 hospital PC, or a tablet, signed in."""
    viewport = {"width": 820, "height": 1180} if tablet else {"width": 1366, "height": 768}
    context = await browser.new_context(viewport=viewport, locale="ko-KR", timezone_id="Asia/Seoul")
    page = await context.new_page()
    await page.goto(f"{url}/app/worklist")
    assert "/app/login" in page.url  # not signed in: the sign-in page, coming back here after
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url("**/app/worklist**")
    return page


async def shot(worklist: Worklist, page: Any, name: str) -> None:
    worklist.shots += 1
    await page.screenshot(path=str(worklist.folder / f"{worklist.shots:02d}-{name}.png"), full_page=True)


async def act(page: Any, event: str, fields: dict[str, str] | None = None, code: str | None = None) -> None:
    """Fill and send one action's form on the referral page, then wait for the page to say it was done."""
    form = page.locator(f"form.action[data-event={event}]")
    if code:
        await form.locator("select[name=reason_code]").select_option(code)
    for name, value in (fields or {}).items():
        await form.locator(f"[name={name}]").fill(value)
    await form.locator("button[type=submit]").click()
    await page.locator(f".notice:has-text('{(await form_label(page, event))}'), .alert").first.wait_for()


async def form_label(page: Any, event: str) -> str:
    from referral.web.worklist import vocabulary

    return vocabulary().events[event].split(" (")[0]  # type: ignore[index]


async def shown_actions(page: Any) -> set[str]:
    return set(await page.locator("form.action").evaluate_all("forms => forms.map(f => f.dataset.event)"))


async def api_actions(worklist: Worklist, org: str, referral_id: str) -> set[str]:
    answer = await worklist.api.get(f"/referrals/{referral_id}/actions",
                                    headers={"Authorization": f"Bearer {TOKENS[org]}"})  # fmt: skip
    answer.raise_for_status()
    return set(answer.json())


async def listed(page: Any, url: str, query: str, referral_id: str) -> bool:
    await page.goto(f"{url}/app/worklist?{query}")
    return await page.locator(f"tr[data-referral='{referral_id}']").count() == 1


@pytest.fixture(scope="module")
async def sent(
    worklist: Worklist, browser: Any, client: Client, tmp_path_factory: pytest.TempPathFactory,
    label_studio: LabelStudioServer,
) -> str:  # fmt: skip
    """영월의료원's coordinator sends a referral through the form; its clinician signs the letter in Label Studio;
    강원대학교병원 receives it. Before delivery, 강원대학교병원's coordinator neither lists nor opens it."""
    scan = tmp_path_factory.mktemp("upload") / "outside-record.png"
    scan.write_bytes(tiny_scan())
    page = await sign_in(browser, worklist.url, "coord.yeongwol")
    await shot(worklist, page, "yeongwol-outgoing-empty")
    await page.click("text=새 의뢰")
    values = {"patient_name": PATIENT, "birth_date": "1948-05-02", "registration_no": "Y-2026-0042",
              "consent_date": "2026-11-30", "consent_time": "10:15", "receiving_department": "순환기내과",
              "referring_department": "내과", "clinician_name": "김영월", "clinician_licence": "100001",
              "reason": "운동 시 흉통, 관상동맥 조영술 평가 의뢰 (exertional chest pain)"}  # fmt: skip
    for name, value in values.items():
        await page.fill(f"[name={name}]", value)
    await page.select_option("[name=consent_basis]", "patient")
    await page.select_option("[name=receiving_org]", "knuh")
    await page.select_option("[name=priority]", "urgent")
    await page.set_input_files("input[name=files]", str(scan))
    await shot(worklist, page, "yeongwol-new-referral")
    await page.click("form.new-referral button[type=submit]")
    await page.locator(".notice, .alert").first.wait_for()
    assert await page.locator(".alert").count() == 0, await page.inner_text(".alert")
    referral_id = page.url.split("/app/referrals/")[1].split("?")[0]
    assert await page.locator("[data-state]").get_attribute("data-state") == "DRAFT"

    knuh = await sign_in(browser, worklist.url, "coord.knuh")
    assert not await listed(knuh, worklist.url, "side=receiving", referral_id)
    answer = await knuh.goto(f"{worklist.url}/app/referrals/{referral_id}")
    assert answer.status == 404 and PATIENT not in await knuh.inner_text("body")
    await knuh.context.close()

    status = await wait_for(client, referral_id, drafts_ready)
    for review in status.reviews:
        await asyncio.to_thread(annotate, worklist.settings.label_studio_url, KIM, review.task.task_id, "approve")
    await wait_for(client, referral_id, lambda s: s.state == ReferralState.RECEIVED)
    assert await listed(page, worklist.url, "side=referring&bucket=sent", referral_id)
    await shot(worklist, page, "yeongwol-sent")
    await page.context.close()
    return referral_id


async def test_receiving_coordinator_asks_for_information_then_accepts_and_books(
    worklist: Worklist, browser: Any, client: Client, sent: str
) -> None:
    knuh = await sign_in(browser, worklist.url, "coord.knuh")
    assert await listed(knuh, worklist.url, "side=receiving&bucket=new", sent)
    row = knuh.locator(f"tr[data-referral='{sent}']")
    assert "박*순" in await row.inner_text() and PATIENT not in await knuh.inner_text("body")  # masked in lists
    await shot(worklist, knuh, "knuh-incoming")
    for _ in range(60):  # the wait for receipt runs past its due time; two reminders later it is escalated
        if await listed(knuh, worklist.url, "side=receiving&overdue=true", sent):
            row = knuh.locator(f"tr[data-referral='{sent}']")
            if "상향 보고" in await row.inner_text() and "지연" in await row.inner_text():
                break
        await asyncio.sleep(1)
    else:
        pytest.fail("the overdue referral never showed escalated in the overdue list")
    assert await listed(knuh, worklist.url, "side=receiving&escalated=true", sent)
    overdue_count = await knuh.locator("[data-bucket=overdue] b").inner_text()
    assert int(overdue_count) >= 1
    await shot(worklist, knuh, "knuh-overdue")
    await row.locator("a").click()
    await knuh.locator("[data-state]").wait_for()
    assert PATIENT in await knuh.inner_text("h1")  # the referral page names the patient in full
    assert await shown_actions(knuh) == await api_actions(worklist, "knuh", sent)  # only what the API allows
    await act(knuh, "start_review")
    await act(knuh, "request_info", {"reason": "최근 심초음파 결과지를 보내 주십시오"})
    assert await knuh.locator("[data-state]").get_attribute("data-state") == "INFO_REQUESTED"
    await shot(worklist, knuh, "knuh-info-requested")

    yeongwol = await sign_in(browser, worklist.url, "coord.yeongwol")
    assert await listed(yeongwol, worklist.url, "side=referring&bucket=info-requested", sent)
    await yeongwol.goto(f"{worklist.url}/app/referrals/{sent}")
    assert "최근 심초음파 결과지를 보내 주십시오" in await yeongwol.inner_text("#history ~ table, table.history")
    assert await shown_actions(yeongwol) == await api_actions(worklist, "yeongwol-mc", sent)
    await act(yeongwol, "provide_info", {"reason": "2026-11-20 심초음파: EF 55%, 결과지 첨부 예정"})
    await yeongwol.context.close()

    stale = await knuh.context.new_page()  # a second tab, opened before the referral is accepted
    await stale.goto(f"{worklist.url}/app/referrals/{sent}")
    await knuh.goto(f"{worklist.url}/app/referrals/{sent}")
    await act(knuh, "accept")
    await act(knuh, "schedule", {"appointment_date": "2026-12-07", "appointment_time": "09:30",
                                 "appointment_place": "본관 2층 순환기내과 외래"})  # fmt: skip
    appointment = await knuh.inner_text("[data-appointment]")
    assert "2026년 12월 7일 (월) 09:30" in appointment and "본관 2층" in appointment
    await shot(worklist, knuh, "knuh-booked")
    letter = await knuh.request.get(f"{worklist.url}/app/referrals/{sent}/files/received/0")
    assert letter.headers["content-type"] == "application/pdf" and (await letter.body()).startswith(b"%PDF")
    image = await knuh.request.get(f"{worklist.url}/app/referrals/{sent}/files/document/0?page_no=1")
    assert image.headers["content-type"] == "image/png" and (await image.body()).startswith(b"\x89PNG")
    await knuh.goto(f"{worklist.url}/app/referrals/{sent}/print")
    assert PATIENT in await knuh.inner_text(".particulars h1")
    assert await knuh.locator("form.action").count() == 0 and await knuh.locator("table.history tr").count() >= 7
    await knuh.emulate_media(media="print")
    await shot(worklist, knuh, "knuh-print")
    await knuh.emulate_media(media="screen")
    status = await get_status(client, sent)
    assert status.state == ReferralState.SCHEDULED and status.appointment is not None
    [accept] = [t for t in await get_history(client, sent) if t.event == "accept"]
    assert accept.org == "knuh" and accept.actor == "박강원 (coord.knuh)"

    await act(stale, "decline", {"reason": "중복"}, code="duplicate-referral")  # the stale tab: refused, shown
    alert = await stale.inner_text(".alert")
    assert "처리되지 않았습니다" in alert and "refused" in alert
    assert (await get_status(client, sent)).state == ReferralState.SCHEDULED
    await shot(worklist, stale, "knuh-stale-refused")

    await knuh.goto(f"{worklist.url}/app/referrals/{sent}")
    await act(knuh, "start_care")
    await knuh.locator("form.action[data-event=outcome] button").click()  # the 회송 drafts, for its clinicians
    await knuh.locator(".notice:has-text('회송서 작성 요청')").wait_for()
    status = await wait_for(client, sent, lambda s: s.stage == "OUTCOME_RUNNING" or s.review_round == "outcome")
    assert status.state == ReferralState.IN_CARE

    await knuh.context.close()


async def test_keyboard_only_and_counts_that_refresh_themselves(worklist: Worklist, browser: Any, sent: str) -> None:
    """From the worklist to the referral with the keyboard alone; the counts fragment htmx polls answers with
    the current counts (htmx runs under the page's Content-Security-Policy)."""
    knuh = await sign_in(browser, worklist.url, "coord.knuh")
    await knuh.goto(f"{worklist.url}/app/worklist?side=receiving")
    assert await knuh.evaluate("typeof htmx") == "object"
    assert await knuh.get_attribute("#counts", "hx-trigger") == "every 30s"
    counts = await knuh.request.get(f"{worklist.url}/app/worklist/counts?side=receiving")
    assert counts.status == 200 and 'data-bucket="booked"' in await counts.text()
    await knuh.keyboard.press("Tab")
    assert (await knuh.evaluate("document.activeElement.textContent")).startswith("본문으로 건너뛰기")
    for _ in range(60):
        await knuh.keyboard.press("Tab")
        if sent in (await knuh.evaluate("document.activeElement.getAttribute('href') || ''")):
            break
    else:
        pytest.fail("the referral's row cannot be reached with the keyboard")
    await knuh.keyboard.press("Enter")
    await knuh.wait_for_url(f"**/app/referrals/{sent}")
    assert PATIENT in await knuh.inner_text(".particulars h1")
    await knuh.context.close()


async def test_a_third_hospital_sees_nothing_and_changes_nothing(worklist: Worklist, browser: Any, sent: str) -> None:
    snuh = await sign_in(browser, worklist.url, "coord.snuh")
    for query in ["side=receiving", "side=referring", "side=receiving&bucket=closed", "overdue=true"]:
        assert not await listed(snuh, worklist.url, query, sent)
    for path in [f"/app/referrals/{sent}", f"/app/referrals/{sent}/print", f"/app/referrals/{sent}/files/document/0"]:
        answer = await snuh.goto(worklist.url + path)
        assert answer.status == 404 and PATIENT not in await snuh.inner_text("body")
    await snuh.goto(f"{worklist.url}/app/worklist")
    token = await snuh.locator("input[name=csrf_token]").first.get_attribute("value")
    posted = await snuh.request.post(f"{worklist.url}/app/referrals/{sent}/events",
                                     form={"csrf_token": token, "event": "no_show"}, max_redirects=0)  # fmt: skip
    assert posted.status == 404
    await shot(worklist, snuh, "snuh-sees-nothing")
    await snuh.context.close()


async def test_read_only_members_see_but_do_not_act(
    worklist: Worklist, browser: Any, client: Client, sent: str
) -> None:  # fmt: skip
    viewer = await sign_in(browser, worklist.url, "viewer.knuh", tablet=True)
    await viewer.goto(f"{worklist.url}/app/referrals/{sent}")
    assert PATIENT in await viewer.inner_text("h1") and await shown_actions(viewer) == set()
    await shot(worklist, viewer, "viewer-tablet")
    before = await get_status(client, sent)
    token = await viewer.locator("input[name=csrf_token]").first.get_attribute("value")
    posted = await viewer.request.post(f"{worklist.url}/app/referrals/{sent}/events",
                                       form={"csrf_token": token, "event": "no_show", "reason_code": "did-not-attend"},
                                       max_redirects=0)  # fmt: skip
    assert posted.status == 403 and (await get_status(client, sent)).transitions == before.transitions
    await viewer.context.close()


async def test_forms_without_this_sessions_token_change_nothing(
    worklist: Worklist, browser: Any, client: Client, sent: str
) -> None:  # fmt: skip
    knuh = await sign_in(browser, worklist.url, "coord.knuh")
    other = await sign_in(browser, worklist.url, "coord.knuh")  # the same member on another PC: another session
    foreign = await other.locator("input[name=csrf_token]").first.get_attribute("value")
    before = await get_status(client, sent)
    for form in [{"event": "no_show", "reason_code": "did-not-attend"},
                 {"event": "no_show", "reason_code": "did-not-attend", "csrf_token": "forged"},
                 {"event": "no_show", "reason_code": "did-not-attend", "csrf_token": foreign}]:  # fmt: skip
        posted = await knuh.request.post(f"{worklist.url}/app/referrals/{sent}/events", form=form, max_redirects=0)
        assert posted.status == 403
    anonymous = await browser.new_context()
    posted = await anonymous.request.post(f"{worklist.url}/app/referrals/{sent}/events",
                                          form={"event": "no_show"}, max_redirects=0)  # fmt: skip
    assert posted.status == 401
    assert (await get_status(client, sent)).transitions == before.transitions
    await knuh.goto(f"{worklist.url}/app/worklist")
    await knuh.click("text=로그아웃")
    await knuh.wait_for_url("**/app/login**")
    await knuh.goto(f"{worklist.url}/app/referrals/{sent}")
    assert "/app/login" in knuh.url  # signed out: the old cookie is no longer a session
    for page in (knuh, other):
        await page.context.close()
    await anonymous.close()


async def test_an_idle_session_ends(
    worklist: Worklist, browser: Any, client: Client, store: DocumentStore, deployment: Deployment, sent: str
) -> None:  # fmt: skip
    app = create_app(worklist.settings.with_changes(web_session_idle_s=12.0), client=client, store=store,
                     network=deployment.network)  # fmt: skip
    server = ApiServer(app, free_port())
    await server.start()
    try:
        url = f"http://127.0.0.1:{server.port}"
        page = await sign_in(browser, url, "coord.knuh")
        await page.goto(f"{url}/app/referrals/{sent}")
        assert PATIENT in await page.inner_text("h1")
        await asyncio.sleep(13)  # idle past the limit (12 s: a busy worklist page itself may take 5 s)
        await page.goto(f"{url}/app/referrals/{sent}")
        assert "/app/login" in page.url and PATIENT not in await page.inner_text("body")
        await shot(worklist, page, "session-ended")
        await page.context.close()
    finally:
        await server.stop()


@asynccontextmanager
async def signed_in_http(worklist: Worklist, username: str) -> AsyncIterator[httpx.AsyncClient]:
    """A member's session over plain HTTP (the sign-in form, its cookie), for pages that need no browser."""
    async with httpx.AsyncClient(transport=worklist.api._transport, base_url="http://api") as http:
        form = await http.get("/app/login")
        token = form.text.split('name="login_token" value="')[1].split('"')[0]
        signed = await http.post("/app/login", data={"username": username, "password": PASSWORD,
                                                     "login_token": token})  # fmt: skip
        assert signed.status_code == 303
        yield http


async def test_the_receiving_side_never_sees_a_page_removed_as_another_patients(
    worklist: Worklist, client: Client, store: DocumentStore, deployment: Deployment
) -> None:  # fmt: skip
    from tests.test_review_identity import referral_with_a_removed_page

    done = await referral_with_a_removed_page(client, store, deployment.network, worklist.settings)
    referral = f"/app/referrals/{done.referral_id}"
    async with signed_in_http(worklist, "coord.knuh") as knuh:
        page = await knuh.get(referral)
        assert page.status_code == 200 and "진료의뢰서" in page.text and "김민수" not in page.text
        received = sorted(set(re.findall(r"/files/received/\d+", page.text)))
        assert received  # the documents as sent: the signed letter and the packet without page 2
        for path in received:
            sent = await knuh.get(referral + path)
            text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(sent.content)).pages)
            assert sent.status_code == 200 and "김민수" not in text
        for removed in [f"{referral}/files/document/0?page_no=2", f"{referral}/files/document/0"]:
            assert (await knuh.get(removed)).status_code == 404  # the page, and the original holding it
    async with signed_in_http(worklist, "coord.yeongwol") as yeongwol:
        page = await yeongwol.get(referral)
        assert (
            "김민수" in page.text and "제외됨: 다른 환자 기록, 발송되지 않음" in page.text
        )  # its own original, marked
        assert (await yeongwol.get(f"{referral}/files/document/0")).status_code == 200
        for missing in ["document/0?page_no=9", "document/7", "signed/9", "received/0"]:  # none for it: 404
            assert (await yeongwol.get(f"{referral}/files/{missing}")).status_code == 404
