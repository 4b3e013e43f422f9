"""The Label Studio server (PyPI `label-studio`, in its own virtualenv .venv-labelstudio), started by
`referral dev` and by the test fixtures with a preset admin, API token and data folder."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx

from referral.processes import stop_process, wait_until_up

ROOT = Path(__file__).resolve().parents[1]


def label_studio_binary() -> Path:
    found = Path(os.environ.get("REFERRAL_LABEL_STUDIO_BIN", ROOT / ".venv-labelstudio" / "bin" / "label-studio"))
    if not found.exists():
        raise RuntimeError(f"Label Studio is not installed at {found}: run scripts/setup.sh")
    return found


@dataclass
class LabelStudioServer:
    data_dir: Path
    port: int
    admin_email: str
    admin_password: str
    token: str  # 40 hex characters; honoured on the first start only
    log: IO[bytes] | None = None
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "LABEL_STUDIO_BASE_DATA_DIR": str(self.data_dir),
            "LABEL_STUDIO_USERNAME": self.admin_email,
            "LABEL_STUDIO_PASSWORD": self.admin_password,
            "LABEL_STUDIO_USER_TOKEN": self.token,
            "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
            "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
            "SSRF_PROTECTION_ENABLED": "false",  # else webhooks to the 127.0.0.1 API are dropped
            "LATEST_VERSION_CHECK": "false",  # else it hangs offline
            "COLLECT_ANALYTICS": "false",
            # Label Studio reports errors to its vendor's Sentry by default, from the server and from each
            # reviewer's browser (with what the page held): a board of patients' records reports nowhere
            "SENTRY_DSN": "",
            "FRONTEND_SENTRY_DSN": "",
        }
        command = [str(label_studio_binary()), "start", "--no-browser", "--internal-host", "127.0.0.1",
                   "--port", str(self.port)]  # fmt: skip
        self.process = subprocess.Popen(
            command, env=env, cwd=self.data_dir, stdout=self.log or subprocess.DEVNULL, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def wait_ready(self, timeout_s: float = 300) -> None:
        """First start runs migrations (~90 s); a restart takes a few seconds."""
        wait_until_up(lambda: httpx.get(f"{self.url}/health", timeout=2).json().get("status") == "UP", self.process,
                      "label-studio", timeout_s, interval_s=1)  # fmt: skip

    def stop(self) -> None:
        stop_process(self.process, timeout_s=20, group=True)
