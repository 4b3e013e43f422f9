"""AES-256-GCM payload codec: every payload (inputs, results, queries, failure details) is encrypted before it
leaves the process, so the Temporal server and its database never hold PHI in clear."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes, PayloadCodec

ENCODING = b"binary/encrypted"
KEY_ID_META = "encryption-key-id"


class EncryptionCodec(PayloadCodec):
    """Encrypts with the current key; decrypts with any known key (rotation keeps old ids readable)."""

    def __init__(self, current_key_id: str, keys: Mapping[str, bytes]) -> None:
        if current_key_id not in keys:
            raise ValueError("current key id must be one of the keys")
        self._key_id = current_key_id
        self._ciphers = {kid: AESGCM(key) for kid, key in keys.items()}

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.encrypt(p) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.decrypt(p) for p in payloads]

    def encrypt(self, payload: Payload) -> Payload:
        nonce = os.urandom(12)
        sealed = self._ciphers[self._key_id].encrypt(nonce, payload.SerializeToString(), None)
        return Payload(
            metadata={"encoding": ENCODING, KEY_ID_META: self._key_id.encode()},
            data=nonce + sealed,
        )

    def decrypt(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding", b"") != ENCODING:
            return payload
        key_id = payload.metadata.get(KEY_ID_META, b"").decode()
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise ValueError(f"payload encrypted with unknown key id {key_id!r}")
        plain = cipher.decrypt(payload.data[:12], payload.data[12:], None)
        return Payload.FromString(plain)


def referral_data_converter(key_id: str, key: bytes, old_keys: Mapping[str, bytes] | None = None) -> DataConverter:
    """The one data converter used by every client, worker, replayer and test."""
    keys = {**(old_keys or {}), key_id: key}
    return dataclasses.replace(
        pydantic_data_converter,
        payload_codec=EncryptionCodec(key_id, keys),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )
