from __future__ import annotations

from minio import Minio

from referral.config import Settings
from referral.storage.base import DocumentStore
from referral.storage.local import LocalFolderStore
from referral.storage.s3 import S3Store


def open_store(settings: Settings) -> DocumentStore:
    if settings.store == "s3":
        client = Minio(
            settings.s3_endpoint,
            access_key=settings.s3_access_key,
            secret_key=settings.s3_secret_key,
            secure=settings.s3_secure,
            region=settings.s3_region,
        )
        return S3Store(client, settings.s3_bucket)
    return LocalFolderStore(settings.local_store_dir)
