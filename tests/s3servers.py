"""Real S3 protocol servers for the storage tests: moto's ThreadedMotoServer (in-process) and nanio (a
subprocess that checks SigV4 signatures, file-backed)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from referral.devserver import free_port


def _wait_port(port: int, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port}")


@contextmanager
def moto_server() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    _wait_port(port)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.stop()


@contextmanager
def nanio_server(data_dir: Path, access_key: str, secret_key: str) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "NANIO_ACCESS_KEY": access_key, "NANIO_SECRET_KEY": secret_key}
    nanio = Path(sys.executable).parent / "nanio"
    process = subprocess.Popen(
        [str(nanio), "serve", "--host", "127.0.0.1", "--port", str(port), "--data-dir", str(data_dir),
         "--log-level", "warning", "--no-access-log"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _wait_port(port)
        yield f"127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)
