from __future__ import annotations

import secrets

import pytest
from cryptography.exceptions import InvalidTag
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter

from referral.codec import REFUSED, EncryptionCodec


def payload(text: str) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=text.encode())


async def test_roundtrip_and_ciphertext_hides_the_text() -> None:
    codec = EncryptionCodec("k1", {"k1": secrets.token_bytes(32)})
    [sealed] = await codec.encode([payload('{"name": "홍길순"}')])
    assert sealed.metadata["encoding"] == b"binary/encrypted"
    assert "홍길순".encode() not in sealed.data
    [opened] = await codec.decode([sealed])
    assert opened == payload('{"name": "홍길순"}')


async def test_rotation_reads_old_keys_and_writes_the_new_one() -> None:
    old, new = secrets.token_bytes(32), secrets.token_bytes(32)
    [sealed_old] = await EncryptionCodec("k1", {"k1": old}).encode([payload("x")])
    rotated = EncryptionCodec("k2", {"k1": old, "k2": new})
    assert (await rotated.decode([sealed_old]))[0] == payload("x")
    assert (await rotated.encode([payload("y")]))[0].metadata["encryption-key-id"] == b"k2"


async def test_wrong_or_unknown_key_fails_loudly() -> None:
    [sealed] = await EncryptionCodec("k1", {"k1": secrets.token_bytes(32)}).encode([payload("x")])
    with pytest.raises(InvalidTag):
        await EncryptionCodec("k1", {"k1": secrets.token_bytes(32)}).decode([sealed])
    with pytest.raises(ValueError, match="unknown key id"):
        await EncryptionCodec("k9", {"k9": secrets.token_bytes(32)}).decode([sealed])


async def test_an_unencrypted_payload_decodes_to_a_refusal_that_no_converter_reads() -> None:
    codec = EncryptionCodec("k1", {"k1": secrets.token_bytes(32)})
    [refused] = await codec.decode([payload('{"event": "withdraw"}')])
    assert refused.metadata["encoding"] == REFUSED and refused.data == b""
    with pytest.raises(KeyError, match="Unknown payload encoding"):
        pydantic_data_converter.payload_converter.from_payloads([refused])
