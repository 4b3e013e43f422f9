"""The fleet flows served with their schedules (`python -m flows.fleet.serve`) against a real Prefect server: four
deployments with Asia/Seoul cron schedules, a run of the report triggered through the Prefect API completes
against the real Temporal server, and stopping the server process leaves the schedules active."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from temporalio.client import Client

from flows.fleet.server import PrefectServer
from referral.config import Settings
from referral.devserver import free_port
from tests.helpers import process_env

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrefectServer]:
    folder = tmp_path_factory.mktemp("prefect-server")
    server = PrefectServer(folder / "home", free_port(), AUTH, log=(folder / "server.log").open("ab"))
    server.start()
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


AUTH = "referral-flows:" + secrets.token_urlsafe(16)


def basic() -> httpx.BasicAuth:
    user, password = AUTH.split(":", 1)
    return httpx.BasicAuth(user, password)


def deployments(api: httpx.Client) -> dict[str, dict]:  # type: ignore[type-arg]
    return {d["name"]: d for d in api.post("/deployments/filter", json={}).json()}


async def test_flows_are_served_on_schedules_and_run_on_demand(
    client: Client, workers: None, settings: Settings, prefect_server: PrefectServer, tmp_path: Path
) -> None:
    env = process_env(client, settings, REFERRAL_DATA_DIR=str(tmp_path), **prefect_server.env())
    log = (tmp_path / "serve.log").open("ab")
    serving = subprocess.Popen(
        [sys.executable, "-m", "flows.fleet.serve"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        with httpx.Client(base_url=prefect_server.api_url, timeout=10, auth=basic()) as api:
            for _ in range(120):
                if len(served := deployments(api)) == 4:
                    break
                await asyncio.sleep(0.5)
            assert set(served) == {"nightly-drop-folder", "daily", "review-reconciler", "on-demand"}
            schedules = {name: [s["schedule"] for s in d["schedules"]] for name, d in served.items()}
            assert schedules["nightly-drop-folder"] == [{"cron": "0 2 * * *", "timezone": "Asia/Seoul", "day_or": True}]
            assert schedules["daily"][0]["cron"] == "0 7 * * *" and schedules["on-demand"] == []
            assert served["daily"]["parameters"] == {"out_dir": str(tmp_path / "reports")}
            assert schedules["review-reconciler"][0]["interval"] == 300.0
            assert served["review-reconciler"]["parameters"] == {"window_s": 900.0}
            drop = served["nightly-drop-folder"]["id"]
            for credentials in (None, httpx.BasicAuth("referral-flows", "guess")):  # no run without the password
                with httpx.Client(base_url=prefect_server.api_url, timeout=10, auth=credentials) as anyone:
                    assert anyone.get("/health").status_code == 200
                    refused = anyone.post(f"/deployments/{drop}/create_flow_run", json={"parameters": {
                        "drop_folder": "/"}})  # fmt: skip
                    assert refused.status_code == 401
                    assert anyone.post("/deployments/filter", json={}).status_code == 401
            runs = api.post("/flow_runs/filter", json={}).json()  # the scheduler's own runs, not the refused one
            assert not any(r["parameters"].get("drop_folder") == "/" for r in runs)

            for _ in range(5):  # Prefect's SQLite answers 5xx when it is locked under load; the call is retried
                created = api.post(f"/deployments/{served['daily']['id']}/create_flow_run", json={})
                if created.status_code < 500:
                    break
                await asyncio.sleep(2)
            assert created.status_code == 201, created.text
            run = created.json()
            for _ in range(240):
                state = api.get(f"/flow_runs/{run['id']}").json()["state"]["type"]
                if state in ("COMPLETED", "FAILED", "CRASHED"):
                    break
                await asyncio.sleep(0.5)
            assert state == "COMPLETED", (tmp_path / "serve.log").read_text()[-3000:]
            assert "운영 보고서" in (tmp_path / "reports" / "report.html").read_text(encoding="utf-8")
    finally:
        serving.send_signal(signal.SIGTERM)
        serving.wait(30)
    with httpx.Client(base_url=prefect_server.api_url, timeout=10, auth=basic()) as api:
        assert not any(d["paused"] for d in deployments(api).values())  # schedules survive a stop
    assert os.path.exists(tmp_path / "drop")
