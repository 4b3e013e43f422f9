"""The HTTP API against the real Temporal server and workers: intake, auth, duplicates, bad input (nothing stored
or started), status, events and worklists."""

from __future__ import annotations

import asyncio
import json
import secrets
from pathlib import Path

import httpx
import pytest
from temporalio.client import Client

from referral.api import create_app
from referral.config import Settings
from tests import badfiles
from tests.api_fixtures import auth, form, stored_objects, workflow_count
from tests.helpers import PATIENT_NAME, make_request, tiny_scan


async def test_openapi_documents_the_intake(api: httpx.AsyncClient) -> None:
    spec = (await api.get("/openapi.json")).json()
    assert "/referrals" in spec["paths"]
    assert "multipart/form-data" in spec["paths"]["/referrals"]["post"]["requestBody"]["content"]


async def test_submit_status_events_and_worklist(api: httpx.AsyncClient, tokens: dict[str, str]) -> None:
    request = make_request().model_dump_json()
    created = await api.post(
        "/referrals", headers=auth(tokens, "yeongwol-mc"), **form(request, [("scan.png", tiny_scan())])
    )
    assert created.status_code == 201, created.text
    referral_id = created.json()["referral_id"]
    assert created.json()["duplicate"] is False

    status = await api.get(f"/referrals/{referral_id}", headers=auth(tokens, "yeongwol-mc"))
    assert status.status_code == 200 and status.json()["state"] == "DRAFT"
    assert (await api.get(f"/referrals/{referral_id}", headers=auth(tokens, "snuh"))).status_code == 404
    actions = await api.get(f"/referrals/{referral_id}/actions", headers=auth(tokens, "yeongwol-mc"))
    assert actions.json() == ["withdraw"]

    # before delivery the receiving hospital neither sees nor moves the referral: as if it did not exist
    for path in ("", "/history", "/actions"):
        hidden = await api.get(f"/referrals/{referral_id}{path}", headers=auth(tokens, "knuh"))
        assert hidden.status_code == 404, path
    for event in ("receive", "accept", "start_care"):
        moved = await api.post(f"/referrals/{referral_id}/events", headers=auth(tokens, "knuh"),
                               json={"event": event, "actor": "접수담당"})  # fmt: skip
        assert moved.status_code == 404 and "no such referral" in moved.text
    for route in ("outcome", "documents"):
        asked = await api.post(
            f"/referrals/{referral_id}/{route}",
            headers=auth(tokens, "knuh"),
            data={"actor": "dr-lee"},
            files=[("files", ("p.png", tiny_scan(), "image/png"))],
        )
        assert asked.status_code == 404, route

    for too_long in ({"reason": "사유" * 1001}, {"reason_code": "X" * 65}):  # a clear 422, nothing echoed or changed
        body = {"event": "withdraw", "actor": "dr-kim", "reason": "환자 요청", **too_long}
        answer = await api.post(f"/referrals/{referral_id}/events", headers=auth(tokens, "yeongwol-mc"), json=body)
        assert answer.status_code == 422 and "string_too_long" in answer.text
        assert "사유사유" not in answer.text and "XXXX" not in answer.text
    refused = await api.post(f"/referrals/{referral_id}/events", headers=auth(tokens, "yeongwol-mc"),
                             json={"event": "accept", "actor": "someone"})  # fmt: skip
    assert refused.status_code == 409 and "not allowed in state DRAFT" in refused.json()["detail"]
    withdrawn = await api.post(f"/referrals/{referral_id}/events", headers=auth(tokens, "yeongwol-mc"),
                               json={"event": "withdraw", "actor": "dr-kim"})  # fmt: skip
    assert withdrawn.status_code == 409 and "requires a reason" in withdrawn.json()["detail"]
    history = await api.get(f"/referrals/{referral_id}/history", headers=auth(tokens, "yeongwol-mc"))
    assert history.json() == []
    sent = await api.get("/referrals", params={"side": "referring"}, headers=auth(tokens, "yeongwol-mc"))
    assert referral_id in [row["referral_id"] for row in sent.json()]
    received = await api.get("/referrals", params={"side": "receiving"}, headers=auth(tokens, "knuh"))
    assert referral_id not in [row["referral_id"] for row in received.json()]
    assert referral_id not in [
        r["referral_id"] for r in (await api.get("/referrals", headers=auth(tokens, "snuh"))).json()
    ]


async def test_duplicate_submission_returns_the_existing_referral(
    api: httpx.AsyncClient, tokens: dict[str, str], client: Client
) -> None:
    request = make_request().model_dump_json()
    files = [("scan.png", tiny_scan())]
    first = await api.post("/referrals", headers=auth(tokens, "yeongwol-mc"), **form(request, files))
    visible = f"WorkflowId = '{first.json()['referral_id']}'"
    while (await client.count_workflows(visible)).count != 1:  # visibility is eventually consistent
        await asyncio.sleep(0.2)
    count = await workflow_count(client)
    again = await api.post("/referrals", headers=auth(tokens, "yeongwol-mc"), **form(request, files))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["referral_id"] == first.json()["referral_id"] and again.json()["duplicate"] is True
    assert await workflow_count(client) == count


async def test_idempotency_key(api: httpx.AsyncClient, tokens: dict[str, str], client: Client, api_store) -> None:
    headers = {**auth(tokens, "yeongwol-mc"), "Idempotency-Key": secrets.token_hex(8)}
    first = await api.post(
        "/referrals", headers=headers, **form(make_request().model_dump_json(), [("a.png", tiny_scan())])
    )
    assert first.status_code == 201
    retried = await api.post(
        "/referrals", headers=headers, **form(make_request().model_dump_json(), [("a.png", tiny_scan())])
    )
    # same key, different content (another patient identifier): a conflict, not a second referral
    objects, count = stored_objects(api_store), await workflow_count(client)
    assert retried.status_code == 409
    assert (stored_objects(api_store), await workflow_count(client)) == (objects, count)


def _bomb() -> bytes:
    return badfiles.decompression_bomb_png()


BAD_FILES = [
    ("empty.pdf", lambda: b"", 422, "empty"),
    ("cut.pdf", badfiles.truncated_pdf, 422, "corrupt_pdf"),
    ("locked.pdf", badfiles.encrypted_pdf, 422, "encrypted_pdf"),
    ("bomb.png", _bomb, 422, "image_too_large"),
    ("letter.pdf", badfiles.zip_renamed_pdf, 415, "unsupported_type"),
    ("huge.png", lambda: b"\x89PNG\r\n\x1a\n" + b"\x00" * 2_100_000, 413, "too_large"),
    ("../../etc/passwd.png", tiny_scan, 422, "bad_filename"),
    ("letter.pdf", badfiles.javascript_pdf, 422, "active_pdf"),
    ("letter.pdf", badfiles.html_polyglot_pdf, 422, "polyglot_pdf"),
]


@pytest.mark.parametrize(("name", "maker", "http_status", "code"), BAD_FILES, ids=[b[3] for b in BAD_FILES])
async def test_bad_files_store_and_start_nothing(
    api: httpx.AsyncClient, tokens: dict[str, str], client: Client, api_store, name, maker, http_status, code
) -> None:
    objects, count = stored_objects(api_store), await workflow_count(client)
    files = [("good.png", tiny_scan()), (name, maker())]
    response = await api.post(
        "/referrals", headers=auth(tokens, "yeongwol-mc"), **form(make_request().model_dump_json(), files)
    )
    assert response.status_code == http_status, response.text
    assert response.json()["detail"]["code"] == code
    assert "file 2" in response.json()["detail"]["message"]
    assert (stored_objects(api_store), await workflow_count(client)) == (objects, count)


def _without(field: str) -> str:
    body = json.loads(make_request().model_dump_json())
    del body[field]
    return json.dumps(body)


def _with(**changes: object) -> str:
    body = json.loads(make_request().model_dump_json())
    for path, value in changes.items():
        target = body
        *parents, leaf = path.split("__")
        for parent in parents:
            target = target[parent]
        target[leaf] = value
    return json.dumps(body, ensure_ascii=False)


BAD_REQUESTS = [
    ("unknown-institution", _with(receiving__org="nowhere-hospital"), "yeongwol-mc", 422, "unknown institution"),
    ("missing-field", _without("patient"), "yeongwol-mc", 422, "patient"),
    ("invalid-priority", _with(priority="whenever"), "yeongwol-mc", 422, "priority"),
    ("as-another-institution", _with(referring__org="snuh"), "yeongwol-mc", 403, "own institution"),
    ("not-json", "{patient: ", "yeongwol-mc", 422, "json"),
    ("born-in-the-future", _with(patient__birth_date="2999-01-01"), "yeongwol-mc", 422, "birth date"),
    ("born-before-1900", _with(patient__birth_date="1800-01-01"), "yeongwol-mc", 422, "birth date"),
    ("no-consent", _without("consent"), "yeongwol-mc", 422, "consent"),
    ("consent-tomorrow", _with(consent__given_at="2999-01-01T09:00:00+09:00"), "yeongwol-mc", 422, "future"),
    ("consent-without-zone", _with(consent__given_at="2026-11-28T09:00:00"), "yeongwol-mc", 422, "given_at"),
    ("representative-unnamed", _with(consent__basis="representative"), "yeongwol-mc", 422, "representative"),
    (
        "emergency-exception-routine",
        _with(consent__basis="emergency", consent__note="의식 저하"),
        "yeongwol-mc",
        422,
        "emergency referral",
    ),
]


@pytest.mark.parametrize(("case", "body", "org", "http_status", "says"), BAD_REQUESTS, ids=[b[0] for b in BAD_REQUESTS])
async def test_bad_requests_store_and_start_nothing(
    api: httpx.AsyncClient, tokens: dict[str, str], client: Client, api_store, case, body, org, http_status, says
) -> None:
    objects, count = stored_objects(api_store), await workflow_count(client)
    response = await api.post("/referrals", headers=auth(tokens, org), **form(body, [("scan.png", tiny_scan())]))
    assert response.status_code == http_status, response.text
    assert says in response.text.lower()
    assert (stored_objects(api_store), await workflow_count(client)) == (objects, count)


@pytest.mark.parametrize("header", [None, "Bearer wrong-token", "Basic abc", "Bearer "])
async def test_missing_or_wrong_token(api: httpx.AsyncClient, client: Client, api_store, header: str | None) -> None:
    objects, count = stored_objects(api_store), await workflow_count(client)
    headers = {"Authorization": header} if header else {}
    response = await api.post(
        "/referrals", headers=headers, **form(make_request().model_dump_json(), [("s.png", tiny_scan())])
    )
    assert response.status_code == 401
    assert (await api.get("/referrals", headers=headers)).status_code == 401
    assert (stored_objects(api_store), await workflow_count(client)) == (objects, count)


async def test_no_tokens_configured_means_no_access(tmp_path: Path, settings: Settings, client: Client) -> None:
    app = create_app(settings.model_copy(update={"api_tokens_file": tmp_path / "none.yaml"}), client=client)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as http:
        assert (await http.get("/referrals", headers={"Authorization": "Bearer anything"})).status_code == 401


async def test_operator_memo_labels_without_patient_data(
    api: httpx.AsyncClient, tokens: dict[str, str], client: Client
) -> None:
    created = await api.post(
        "/referrals",
        headers=auth(tokens, "yeongwol-mc"),
        **form(make_request().model_dump_json(), [("a.png", tiny_scan())]),
    )
    description = await client.get_workflow_handle(created.json()["referral_id"]).describe()
    memo = await description.memo()
    assert memo["referring"] == "영월의료원 (yeongwol-mc)" and memo["receiving"] == "강원대학교병원 (knuh)"
    assert (memo["priority"], memo["documents"], memo["dictations"]) == ("urgent", 1, 0)
    assert PATIENT_NAME not in str(memo) and "MRN-" not in str(memo)


@pytest.mark.parametrize("name", ["", "\u202egnp.exe", ".hidden.png"])
async def test_a_file_without_a_safe_name_is_refused_without_echoing_it(
    api: httpx.AsyncClient, tokens: dict[str, str], client: Client, api_store, name: str
) -> None:
    objects, count = stored_objects(api_store), await workflow_count(client)
    scan = tiny_scan() + b"SECRET-PAGE-BYTES"
    response = await api.post(
        "/referrals", headers=auth(tokens, "yeongwol-mc"), **form(make_request().model_dump_json(), [(name, scan)])
    )
    assert response.status_code == 422, response.text
    assert b"SECRET-PAGE-BYTES" not in response.content and b"PNG" not in response.content
    assert (stored_objects(api_store), await workflow_count(client)) == (objects, count)
