"""One contract, every document store: local folder, S3 via minio against moto, and against nanio (which
checks request signatures)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from minio import Minio
from minio.error import S3Error

from referral.config import Settings
from referral.storage import DocumentStore, IntegrityError, ObjectNotFound, content_key, open_store, sha256_hex
from referral.storage.local import LocalFolderStore
from referral.storage.s3 import S3Store
from tests.s3servers import moto_server, nanio_server

ACCESS, SECRET = "referral-test", "referral-test-secret-key"


@pytest.fixture(params=["local", "s3-moto", "s3-nanio"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, DocumentStore]]:
    if request.param == "local":
        yield "local", LocalFolderStore(tmp_path / "store")
        return
    server = moto_server() if request.param == "s3-moto" else nanio_server(tmp_path / "nanio", ACCESS, SECRET)
    with server as endpoint:
        settings = Settings(store="s3", s3_endpoint=endpoint, s3_access_key=ACCESS, s3_secret_key=SECRET,
                            s3_bucket="contract-test", data_dir=tmp_path)  # fmt: skip
        yield request.param, open_store(settings)


def corrupt(name: str, store: DocumentStore, key: str, data: bytes) -> None:
    """Overwrite an object's bytes behind the store's back."""
    if isinstance(store, LocalFolderStore):
        (store.root / key).write_bytes(data)
    else:
        assert isinstance(store, S3Store)
        import io

        store.client.put_object(store.bucket, key, io.BytesIO(data), len(data))


def test_put_get_roundtrip_is_content_addressed(backend: tuple[str, DocumentStore]) -> None:
    _, store = backend
    data = "외부 진료기록 page 1".encode() * 100
    stored = store.put(data, "application/pdf")
    assert stored.key == content_key(sha256_hex(data))
    assert stored.size == len(data)
    assert store.get(stored.key) == data
    assert store.exists(stored.key)
    info = store.stat(stored.key)
    assert (info.size, info.media_type, info.sha256) == (len(data), "application/pdf", sha256_hex(data))


def test_same_bytes_twice_is_one_object(backend: tuple[str, DocumentStore]) -> None:
    _, store = backend
    first = store.put(b"same", "image/png")
    second = store.put(b"same", "image/png")
    assert first == second
    assert store.get(first.key) == b"same"


def test_missing_object(backend: tuple[str, DocumentStore]) -> None:
    _, store = backend
    key = content_key(sha256_hex(b"never stored"))
    assert not store.exists(key)
    with pytest.raises(ObjectNotFound):
        store.get(key)
    with pytest.raises(ObjectNotFound):
        store.stat(key)


def test_read_verifies_the_hash(backend: tuple[str, DocumentStore]) -> None:
    name, store = backend
    stored = store.put(b"original bytes", "image/png")
    corrupt(name, store, stored.key, b"tampered bytes")
    with pytest.raises(IntegrityError):
        store.get(stored.key)


@pytest.mark.parametrize("key", ["../../etc/passwd", "sha256/ab/" + "0" * 64, "sha256/ab/xyz", "documents/a.pdf"])
def test_malformed_keys_are_refused(backend: tuple[str, DocumentStore], key: str) -> None:
    _, store = backend
    with pytest.raises(ValueError):
        store.get(key)


def test_nanio_refuses_a_bad_signature(tmp_path: Path) -> None:
    """The S3 backend really signs its requests: a wrong secret is refused by a signature-checking server."""
    with nanio_server(tmp_path / "nanio", ACCESS, SECRET) as endpoint:
        S3Store(Minio(endpoint, access_key=ACCESS, secret_key=SECRET, secure=False), "signed")
        wrong = Minio(endpoint, access_key=ACCESS, secret_key="wrong-secret", secure=False)
        with pytest.raises(S3Error) as refused:
            S3Store(wrong, "signed").put(b"x", "image/png")
        assert refused.value.code in {"SignatureDoesNotMatch", "AccessDenied", "InvalidAccessKeyId"}


def test_local_writes_are_atomic(tmp_path: Path) -> None:
    store = LocalFolderStore(tmp_path / "store")
    stored = store.put(b"x" * 1000, "image/png")
    leftovers = [p for p in (tmp_path / "store").rglob(".tmp-*")]
    assert leftovers == []
    assert (tmp_path / "store" / stored.key).read_bytes() == b"x" * 1000
