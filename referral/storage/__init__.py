"""Document storage: content-addressed objects (key = sha256 of the bytes), verified on every read."""

from referral.storage.base import (
    DocumentStore,
    IntegrityError,
    ObjectNotFound,
    StoredObject,
    content_key,
    sha256_hex,
)
from referral.storage.factory import open_store

__all__ = [
    "DocumentStore",
    "IntegrityError",
    "ObjectNotFound",
    "StoredObject",
    "content_key",
    "open_store",
    "sha256_hex",
]
