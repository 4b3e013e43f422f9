"""The embedded default: a local folder, one file per object, written atomically."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from referral.storage.base import ObjectNotFound, StoredObject, content_key, key_digest, sha256_hex, verified


class LocalFolderStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        key_digest(key)
        return self.root / key

    def put(self, data: bytes, media_type: str) -> StoredObject:
        digest = sha256_hex(data)
        key = content_key(digest)
        path = self._path(key)
        if not path.exists():
            _atomic_write(path.with_suffix(".meta.json"), json.dumps({"media_type": media_type}).encode())
            _atomic_write(path, data)
        return StoredObject(key=key, sha256=digest, size=len(data), media_type=media_type)

    def get(self, key: str) -> bytes:
        try:
            return verified(key, self._path(key).read_bytes())
        except FileNotFoundError:
            raise ObjectNotFound(key) from None

    def stat(self, key: str) -> StoredObject:
        path = self._path(key)
        try:
            meta = json.loads(path.with_suffix(".meta.json").read_bytes())
            size = path.stat().st_size
        except FileNotFoundError:
            raise ObjectNotFound(key) from None
        return StoredObject(key=key, sha256=key_digest(key), size=size, media_type=meta["media_type"])

    def exists(self, key: str) -> bool:
        return self._path(key).exists()


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
