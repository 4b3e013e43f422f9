"""Codec server for the Temporal UI: an authorised operator's browser sends the encrypted payloads it shows
to this endpoint and gets them back decrypted (and encrypted for the UI's own inputs). Everyone else is
refused. Protocol: POST /decode and /encode with {"payloads": [{"metadata": {...}, "data": "..."}]},
base64 fields, as the Temporal UI's remote codec sends them.

Operators present a bearer token (the UI passes the user's access token when its auth is on). The local dev stack,
whose UI has no auth, may instead trust the UI's own origin from a loopback client (`trusted_origins`): a page
of another origin, or a remote client, is still refused. Run: `python -m referral.codec_server`."""

import hmac
from typing import Annotated, Any

from fastapi import FastAPI, Header, HTTPException, Request
from fastapi.middleware.cors import CORSMiddleware
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads

from referral.codec import EncryptionCodec

_LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def create_codec_server(
    codec: EncryptionCodec, operator_tokens: list[str], ui_origins: list[str], trusted_origins: list[str] | None = None
) -> FastAPI:
    app = FastAPI(title="Referral AX codec server", version="0.1.0")
    app.add_middleware(
        CORSMiddleware, allow_origins=ui_origins, allow_credentials=True, allow_methods=["POST"],
        allow_headers=["Authorization", "Content-Type", "X-Namespace"],
    )  # fmt: skip

    trusted = set(trusted_origins or [])

    def authorise(request: Request, authorization: str | None) -> None:
        presented = (authorization or "").removeprefix("Bearer ").strip().encode()
        if presented and any(hmac.compare_digest(presented, t.encode()) for t in operator_tokens):
            return
        loopback = request.client is not None and request.client.host in _LOOPBACK
        if loopback and request.headers.get("origin") in trusted:
            return  # the dev stack's own UI, in a browser on this machine
        raise HTTPException(401, "operator credentials required")

    async def payloads(request: Request) -> list[Payload]:
        try:
            body: dict[str, Any] = await request.json()
            return list(json_format.ParseDict(body, Payloads()).payloads)
        except (ValueError, json_format.ParseError):
            raise HTTPException(400, 'expected {"payloads": [...]}') from None

    def reply(result: list[Payload]) -> dict[str, Any]:
        return json_format.MessageToDict(Payloads(payloads=result))

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "UP"}

    @app.post("/decode")
    async def decode(request: Request, authorization: Annotated[str | None, Header()] = None) -> dict[str, Any]:
        authorise(request, authorization)
        received = await payloads(request)
        try:
            return reply(await codec.decode(received))
        except Exception as err:  # a payload for another key or a tampered one: say so, reveal nothing
            raise HTTPException(422, f"cannot decode: {type(err).__name__}") from None

    @app.post("/encode")
    async def encode(request: Request, authorization: Annotated[str | None, Header()] = None) -> dict[str, Any]:
        authorise(request, authorization)
        return reply(await codec.encode(await payloads(request)))

    return app


def app_from_env() -> FastAPI:
    """The codec server as `uvicorn --factory referral.codec_server:app_from_env` (and `python -m`) runs it."""
    from referral.config import Settings

    settings = Settings()
    codec = EncryptionCodec(settings.payload_key_id, {settings.payload_key_id: settings.payload_key_bytes()})
    return create_codec_server(codec, settings.operator_tokens(), settings.codec_ui_origins,
                               settings.codec_trusted_origins)  # fmt: skip


if __name__ == "__main__":
    import argparse

    import uvicorn

    parser = argparse.ArgumentParser(description="Temporal UI codec server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8099)
    args = parser.parse_args()
    uvicorn.run(app_from_env(), host=args.host, port=args.port, log_level="warning")
