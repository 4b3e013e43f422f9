"""S3-compatible storage (MinIO in production) through the minio SDK."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager

from minio import Minio
from minio.error import S3Error

from referral.storage.base import ObjectNotFound, StoredObject, content_key, key_digest, sha256_hex, verified

_MISSING = {"NoSuchKey", "NoSuchObject", "ResourceNotFound"}


@contextmanager
def _missing_is_not_found(key: str) -> Iterator[None]:
    try:
        yield
    except S3Error as err:
        if err.code in _MISSING:
            raise ObjectNotFound(key) from None
        raise


class S3Store:
    def __init__(self, client: Minio, bucket: str) -> None:
        self.client = client
        self.bucket = bucket
        if not client.bucket_exists(bucket):
            client.make_bucket(bucket)

    def put(self, data: bytes, media_type: str) -> StoredObject:
        digest = sha256_hex(data)
        key = content_key(digest)
        if not self.exists(key):
            self.client.put_object(
                self.bucket, key, io.BytesIO(data), len(data), content_type=media_type, metadata={"sha256": digest}
            )
        return StoredObject(key=key, sha256=digest, size=len(data), media_type=media_type)

    def get(self, key: str) -> bytes:
        key_digest(key)
        with _missing_is_not_found(key):
            response = self.client.get_object(self.bucket, key)
        try:
            return verified(key, response.read())
        finally:
            response.close()
            response.release_conn()

    def stat(self, key: str) -> StoredObject:
        digest = key_digest(key)
        with _missing_is_not_found(key):
            info = self.client.stat_object(self.bucket, key)
        return StoredObject(
            key=key, sha256=digest, size=info.size or 0, media_type=info.content_type or "application/octet-stream"
        )

    def exists(self, key: str) -> bool:
        try:
            self.stat(key)
        except ObjectNotFound:
            return False
        return True
