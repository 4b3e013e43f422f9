"""Codec server for the Temporal UI: an authorised operator's browser sends the encrypted payloads it shows
to this endpoint and gets them back decrypted (and encrypted for the UI's own inputs). Everyone else is
refused. Protocol: POST /decode and /encode with {"payloads": [{"metadata": {...}, "data": "..."}]},
base64 fields, as the Temporal UI's remote codec sends them."""

import hmac
from typing import Annotated, Any

from fastapi import FastAPI, Header, HTTPException, Request
from fastapi.middleware.cors import CORSMiddleware
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads

from referral.codec import EncryptionCodec


def create_codec_server(codec: EncryptionCodec, operator_tokens: list[str], ui_origins: list[str]) -> FastAPI:
    app = FastAPI(title="Referral AX codec server", version="0.1.0")
    app.add_middleware(
        CORSMiddleware, allow_origins=ui_origins, allow_credentials=True, allow_methods=["POST"],
        allow_headers=["Authorization", "Content-Type", "X-Namespace"],
    )  # fmt: skip

    def authorise(authorization: str | None) -> None:
        presented = (authorization or "").removeprefix("Bearer ").strip().encode()
        if not presented or not any(hmac.compare_digest(presented, t.encode()) for t in operator_tokens):
            raise HTTPException(401, "operator credentials required")

    async def payloads(request: Request) -> list[Payload]:
        try:
            body: dict[str, Any] = await request.json()
            return list(json_format.ParseDict(body, Payloads()).payloads)
        except (ValueError, json_format.ParseError):
            raise HTTPException(400, 'expected {"payloads": [...]}') from None

    def reply(result: list[Payload]) -> dict[str, Any]:
        return json_format.MessageToDict(Payloads(payloads=result))

    @app.post("/decode")
    async def decode(request: Request, authorization: Annotated[str | None, Header()] = None) -> dict[str, Any]:
        authorise(authorization)
        received = await payloads(request)
        try:
            return reply(await codec.decode(received))
        except Exception as err:  # a payload for another key or a tampered one: say so, reveal nothing
            raise HTTPException(422, f"cannot decode: {type(err).__name__}") from None

    @app.post("/encode")
    async def encode(request: Request, authorization: Annotated[str | None, Header()] = None) -> dict[str, Any]:
        authorise(authorization)
        return reply(await codec.encode(await payloads(request)))

    return app
