"""Codec server for the Temporal UI: an authorised operator's browser sends the encrypted payloads it shows
to this endpoint and gets them back decrypted (and encrypted for the UI's own inputs). Everyone else is
refused. Protocol: POST /decode and /encode with {"payloads": [{"metadata": {...}, "data": "..."}]},
base64 fields, as the Temporal UI's remote codec sends them.

Every call needs an operator token, from every origin and every client: as a bearer token (the Temporal UI passes
the user's access token when its auth is on), or in the path, `/t/<token>/decode`, for a UI without auth: the
operator enters that endpoint in the UI's Data Encoder setting, in their own browser, as they would a password.
No origin and no loopback client is trusted without one. Run: `python -m referral.codec_server`."""

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

    def authorise(authorization: str | None, path_token: str | None = None) -> None:
        presented = (path_token or (authorization or "").removeprefix("Bearer ")).strip().encode()
        if presented and any(hmac.compare_digest(presented, t.encode()) for t in operator_tokens):
            return
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

    async def decode(request: Request, authorization: str | None, path_token: str | None = None) -> dict[str, Any]:
        authorise(authorization, path_token)
        received = await payloads(request)
        try:
            return reply(await codec.decode(received))
        except Exception as err:  # a payload for another key or a tampered one: say so, reveal nothing
            raise HTTPException(422, f"cannot decode: {type(err).__name__}") from None

    async def encode(request: Request, authorization: str | None, path_token: str | None = None) -> dict[str, Any]:
        authorise(authorization, path_token)
        return reply(await codec.encode(await payloads(request)))

    @app.post("/decode")
    async def decode_bearer(request: Request, authorization: Annotated[str | None, Header()] = None) -> dict[str, Any]:
        return await decode(request, authorization)

    @app.post("/encode")
    async def encode_bearer(request: Request, authorization: Annotated[str | None, Header()] = None) -> dict[str, Any]:
        return await encode(request, authorization)

    @app.post("/t/{token}/decode")
    async def decode_in_path(request: Request, token: str) -> dict[str, Any]:
        return await decode(request, None, token)

    @app.post("/t/{token}/encode")
    async def encode_in_path(request: Request, token: str) -> dict[str, Any]:
        return await encode(request, None, token)

    return app


def app_from_env() -> FastAPI:
    """The codec server as `uvicorn --factory referral.codec_server:app_from_env` (and `python -m`) runs it."""
    from referral.config import Settings

    settings = Settings()
    codec = EncryptionCodec(settings.payload_key_id, {settings.payload_key_id: settings.payload_key_bytes()})
    return create_codec_server(codec, settings.operator_tokens(), settings.codec_ui_origins)


if __name__ == "__main__":
    import argparse

    import uvicorn

    parser = argparse.ArgumentParser(description="Temporal UI codec server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8099)
    args = parser.parse_args()
    uvicorn.run(app_from_env(), host=args.host, port=args.port, log_level="warning")
