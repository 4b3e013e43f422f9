"""AES-256-GCM payload codec: every payload (inputs, results, queries, failure details) is encrypted before it
leaves the process, so the Temporal server and its database never hold PHI in clear; and only what a holder of
the key wrote is read. A payload that arrives unencrypted (a signal or update sent with the `temporal` CLI or a
client without the key) decodes to a refusal that no converter reads: the SDK drops such a signal, rejects such an
update or query, and fails such a start, and the referral goes on. Raising instead would fail the workflow task on
every replay of a signal already in history, so one stray message could stall a referral."""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Mapping, Sequence

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes, PayloadCodec

ENCODING = b"binary/encrypted"
REFUSED = b"binary/refused-unencrypted"  # no payload converter knows it, so nothing reads what was refused
KEY_ID_META = "encryption-key-id"
_log = logging.getLogger(__name__)


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
        encoding = payload.metadata.get("encoding", b"")
        if encoding != ENCODING:
            _log.warning("refused an unencrypted payload (encoding %r)", encoding[:40])
            return Payload(metadata={"encoding": REFUSED})
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
