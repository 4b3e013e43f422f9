"""A local Prefect server (`prefect server start`) for `referral dev` and the tests, with its database under the
data folder. Production uses the compose file's Prefect service; the flows need PREFECT_API_URL and, since the
server requires credentials (`PREFECT_SERVER_API_AUTH_STRING`, "user:password"), PREFECT_API_AUTH_STRING: without
them nobody can start a flow run or change a deployment's parameters (its health endpoint stays open)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import IO

import httpx

from referral.processes import stop_process, wait_until_up


class PrefectServer:
    def __init__(self, home: Path, port: int, auth_string: str, log: IO[bytes] | None = None) -> None:
        if ":" not in auth_string:
            raise ValueError("the Prefect auth string is user:password")
        self.home, self.port, self.auth_string, self.log = home, port, auth_string, log
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def env(self) -> dict[str, str]:
        return {"PREFECT_HOME": str(self.home), "PREFECT_API_URL": self.api_url,
                "PREFECT_API_AUTH_STRING": self.auth_string, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}  # fmt: skip

    def start(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        # the server itself runs without PREFECT_API_URL: it is the API
        env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
        env |= {"PREFECT_HOME": str(self.home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                "PREFECT_SERVER_API_AUTH_STRING": self.auth_string}  # fmt: skip
        command = [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(self.port)]
        self.process = subprocess.Popen(command, env=env, stdout=self.log or subprocess.DEVNULL,
                                        stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip

    def wait_ready(self, timeout_s: float = 120) -> None:
        wait_until_up(lambda: httpx.get(f"{self.api_url}/health", timeout=2).status_code == 200, self.process,
                      f"the Prefect server on {self.api_url}", timeout_s)  # fmt: skip

    def stop(self) -> None:
        stop_process(self.process, timeout_s=30, group=True)  # the server and the uvicorn it starts
