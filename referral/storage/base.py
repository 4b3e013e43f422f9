"""The document-store interface that every backend implements and the shared contract tests exercise."""

from __future__ import annotations

import hashlib
import re
from typing import Protocol

from pydantic import BaseModel

_KEY = re.compile(r"^sha256/([0-9a-f]{2})/([0-9a-f]{64})$")


class StoredObject(BaseModel):
    key: str
    sha256: str
    size: int
    media_type: str


class ObjectNotFound(LookupError):
    """No object under that key."""


class IntegrityError(RuntimeError):
    """The stored bytes do not hash to their key: corruption or tampering."""


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def content_key(sha256: str) -> str:
    return f"sha256/{sha256[:2]}/{sha256}"


def key_digest(key: str) -> str:
    """The sha256 a well-formed key names; raises ValueError for any other key (and so for path tricks)."""
    match = _KEY.match(key)
    if not match or match.group(2)[:2] != match.group(1):
        raise ValueError("not a content key")
    return match.group(2)


def verified(key: str, data: bytes) -> bytes:
    if sha256_hex(data) != key_digest(key):
        raise IntegrityError(f"object {key} failed its sha256 check")
    return data


class DocumentStore(Protocol):
    def put(self, data: bytes, media_type: str) -> StoredObject:
        """Store bytes under their content key; storing the same bytes again is a no-op."""

    def get(self, key: str) -> bytes:
        """The bytes under `key`, checked against the key's sha256."""

    def stat(self, key: str) -> StoredObject:
        """Size and media type, without reading the content."""

    def exists(self, key: str) -> bool: ...
