"""The codec server decrypts a payload from a real history for an authorised operator and refuses others."""

from __future__ import annotations

import base64
import secrets

import httpx
from google.protobuf import json_format
from temporalio.api.common.v1 import Payloads
from temporalio.client import Client

from referral.codec import EncryptionCodec
from referral.codec_server import create_codec_server
from referral.config import Settings
from referral.network import Network
from referral.storage import DocumentStore
from tests.helpers import PATIENT_NAME, raw_history, start_referral

OPERATOR = secrets.token_urlsafe(24)


async def test_operator_sees_decrypted_payloads_others_are_refused(
    client: Client, workers: None, settings: Settings, store: DocumentStore, network: Network
) -> None:
    referral_id = await start_referral(client, store, network, settings)
    history = await raw_history(client, referral_id)
    started = history.events[0].workflow_execution_started_event_attributes.input
    body = json_format.MessageToDict(started)
    assert PATIENT_NAME.encode() not in base64.b64decode(body["payloads"][0]["data"])  # encrypted as stored

    codec = EncryptionCodec(settings.payload_key_id, {settings.payload_key_id: settings.payload_key_bytes()})
    app = create_codec_server(codec, [OPERATOR], ["http://127.0.0.1:8233"])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://codec") as http:
        decoded = await http.post("/decode", json=body, headers={"Authorization": f"Bearer {OPERATOR}"})
        assert decoded.status_code == 200
        plain = json_format.ParseDict(decoded.json(), Payloads()).payloads[0]
        assert PATIENT_NAME in plain.data.decode() and plain.metadata["encoding"] == b"json/plain"
        for headers in ({}, {"Authorization": "Bearer someone-else"}):
            assert (await http.post("/decode", json=body, headers=headers)).status_code == 401
        encoded = await http.post("/encode", json=decoded.json(), headers={"Authorization": f"Bearer {OPERATOR}"})
        assert json_format.ParseDict(encoded.json(), Payloads()).payloads[0].metadata["encoding"] == b"binary/encrypted"
        assert (
            await http.post("/decode", json={"nope": 1}, headers={"Authorization": f"Bearer {OPERATOR}"})
        ).status_code == 400

    other_key = EncryptionCodec("k1", {"k1": secrets.token_bytes(32)})
    wrong = create_codec_server(other_key, [OPERATOR], [])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=wrong), base_url="http://codec") as http:
        refused = await http.post("/decode", json=body, headers={"Authorization": f"Bearer {OPERATOR}"})
        assert refused.status_code == 422 and PATIENT_NAME not in refused.text


async def test_no_origin_is_trusted_without_a_token_and_a_ui_without_auth_carries_it_in_the_path(
    settings: Settings,
) -> None:
    """The Temporal UI's own origin, from this machine, gets nothing without a token; an operator who enters
    `/t/<token>` as the UI's codec endpoint reads payloads; a wrong token gets nothing from anywhere."""
    codec = EncryptionCodec(settings.payload_key_id, {settings.payload_key_id: settings.payload_key_bytes()})
    ui = "http://127.0.0.1:8233"
    app = create_codec_server(codec, [OPERATOR], [ui])
    plain = {"payloads": [{"metadata": {"encoding": base64.b64encode(b"json/plain").decode()},
                           "data": base64.b64encode(f'"{PATIENT_NAME}"'.encode()).decode()}]}  # fmt: skip
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://codec") as local:
        preflight = await local.options(f"/t/{OPERATOR}/decode",
                                        headers={"Origin": ui, "Access-Control-Request-Method": "POST"})  # fmt: skip
        assert preflight.headers["access-control-allow-origin"] == ui
        for path in ("/encode", "/decode"):
            assert (await local.post(path, json=plain, headers={"Origin": ui})).status_code == 401
        encoded = await local.post(f"/t/{OPERATOR}/encode", json=plain, headers={"Origin": ui})
        assert encoded.status_code == 200 and PATIENT_NAME.encode() not in encoded.content
        decoded = await local.post(f"/t/{OPERATOR}/decode", json=encoded.json(), headers={"Origin": ui})
        assert decoded.status_code == 200 and decoded.json() == plain
        for origin in (ui, "http://evil.example", None):
            headers = {"Origin": origin} if origin else {}
            for path in ("/t/not-the-token/decode", "/decode"):
                assert (await local.post(path, json=encoded.json(), headers=headers)).status_code == 401
