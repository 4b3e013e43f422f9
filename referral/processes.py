"""Local server processes (Label Studio, Prefect, Orthanc, the dev stack's workers): wait until one answers, and
stop one — or its whole process group — so nothing is left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable

import httpx

# files and folders a process of this system creates hold patient data: owner only (0600 files, 0700 folders)
PRIVATE_UMASK = 0o077


def wait_until_up(
    probe: Callable[[], bool], process: subprocess.Popen[bytes] | None, what: str, timeout_s: float,
    interval_s: float = 0.5,
) -> None:  # fmt: skip
    """Poll `probe` (an HTTP check; connection errors count as not yet) until it holds; fail fast if the process
    exits, and after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}")
        try:
            if probe():
                return
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(interval_s)
    raise RuntimeError(f"{what} did not come up within {timeout_s:.0f} s")


def stop_process(process: subprocess.Popen[bytes] | None, timeout_s: float = 15, group: bool = False) -> None:
    """SIGTERM (to the process group when it leads one of its own), then SIGKILL after `timeout_s`."""
    if process is None or process.poll() is not None:
        return

    def send(sig: signal.Signals) -> None:
        if group:
            os.killpg(process.pid, sig)
        else:
            process.send_signal(sig)

    send(signal.SIGTERM)
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        send(signal.SIGKILL)
        process.wait()
