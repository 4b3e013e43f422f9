"""The ports the dev stack and the tests hand to servers: held so no other process takes one before its server binds
it, and a dev server that cannot bind says which port and why."""

from __future__ import annotations

import errno
import socket
from pathlib import Path

import pytest

from referral.devserver import TemporalDevServer, free_port


def bind(port: int, reuse: bool) -> None:
    with socket.socket() as s:
        if reuse:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
        s.listen(1)


def test_a_free_port_is_held_from_others_but_a_server_can_bind_it() -> None:
    port = free_port()
    with pytest.raises(OSError) as taken:
        bind(port, reuse=False)  # what bind(0) and an outgoing connection's local port are kept from
    assert taken.value.errno == errno.EADDRINUSE
    bind(port, reuse=True)  # a server (Go, uvicorn, werkzeug, Django, Orthanc) binds with SO_REUSEADDR


def test_ports_handed_out_are_never_handed_out_again_while_held() -> None:
    held = {free_port() for _ in range(50)}
    assert len(held) == 50
    for _ in range(2000):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            assert s.getsockname()[1] not in held


async def test_a_dev_server_that_cannot_bind_names_the_port(tmp_path: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen(1)
        busy = squatter.getsockname()[1]
        with (tmp_path / "server.log").open("ab") as log:
            server = TemporalDevServer(tmp_path / "temporal.db", port=free_port(), ui_port=busy, log=log)
            server.start()
            try:
                with pytest.raises(RuntimeError, match=rf"exited with 1: .*UI port {busy}.*address already in use"):
                    await server.wait_ready(timeout_s=30)
            finally:
                server.stop(kill=True)
