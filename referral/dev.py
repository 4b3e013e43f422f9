"""`referral dev`: the whole local stack on the embedded defaults — Temporal dev server with its Web UI (SQLite
under the data folder), Label Studio, a Prefect server with the fleet flows served on their schedules, CPU and GPU
workers, the HTTP API, the gateways — then the example referrals. Ctrl-C stops it all."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import yaml

from flows.fleet.server import PrefectServer
from flows.referral.io import PIPELINE_SETTLED, ProcessingStage
from referral.config import Settings, ensure_local_secrets, write_secret
from referral.devserver import TemporalDevServer
from referral.examples import example_institutions, example_referrals, example_studies
from referral.network import Tier, load_network, write_network
from referral.operations import get_status
from referral.pacs.orthanc import OrthancServer
from referral.processes import PRIVATE_UMASK, stop_process
from referral.storage import open_store
from referral.submission import submit_referral
from referral.temporal import connect, ensure_search_attributes
from review.board import review_board
from review.roster import Signer, add_signer
from review.server import LabelStudioServer

DEMO_PACS = ["yeongwol-mc", "knuh"]


@dataclass
class DevOptions:
    temporal_port: int = 7233
    ui_port: int = 8233
    api_port: int = 8000
    label_studio_port: int = 8080
    label_studio: bool = True
    prefect_port: int = 4200
    codec_port: int = 8099
    pacs_port: int = 8042
    pacs: bool = True
    prefect: bool = True
    examples: bool = True
    exit_when_done: bool = False


def _spawn(name: str, args: list[str], env: dict[str, str], logs: Path, stack: ExitStack) -> subprocess.Popen[bytes]:
    log = stack.enter_context(open(logs / f"{name}.log", "ab"))  # noqa: SIM115 (closed by the ExitStack)
    process = subprocess.Popen([sys.executable, *args], env=env, stdout=log, stderr=subprocess.STDOUT)
    stack.callback(stop_process, process)
    return process


async def _wait_http(url: str, timeout_s: float = 60) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    async with httpx.AsyncClient() as http:
        while True:
            try:
                if (await http.get(url)).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if asyncio.get_running_loop().time() > deadline:
                raise RuntimeError(f"{url} did not come up")
            await asyncio.sleep(0.3)


async def _start_demo_pacs(settings: Settings, options: DevOptions, stack: ExitStack, logs: Path) -> Settings:
    """Two Orthanc PACS on loopback with the first example patient's prior studies in the referring one; the
    network file the stack runs on gets their DICOMweb roots. Without Orthanc, imaging stays not configured."""
    if shutil.which("Orthanc") is None:
        print("Orthanc is not installed (scripts/setup.sh installs it): running without a demo PACS", flush=True)
        return settings
    servers = {}
    for offset, org in enumerate(DEMO_PACS):
        server = OrthancServer(settings.data_dir.resolve() / "pacs" / org, org, port=options.pacs_port + offset)
        await asyncio.to_thread(server.start)
        stack.callback(server.stop)
        servers[org] = server
    if options.examples:
        for org, instance in example_studies(date.today()):
            await asyncio.to_thread(servers[org].upload, instance)
    endpoints = {org: {"pacs_url": server.dicomweb} for org, server in servers.items()}
    network_file = write_network(settings.data_dir.resolve() / "network.dev.yaml", endpoints, settings.network_file)
    return settings.model_copy(update={"network_file": network_file})


# demonstration clinicians of every example institution, and at a tertiary hospital also the departments that
# alone sign some of its drafts (the review plan's signing_departments: pre-anesthesia, pathology review)
_DEMO_DEPARTMENTS = {"clinician": "내과"}
_TERTIARY_DEPARTMENTS = {"anesthesia": "마취통증의학과", "pathology": "병리과"}


def demo_clinicians(settings: Settings, orgs: list[str]) -> Path:
    """Demonstration clinicians of each institution of the examples: a Label Studio account and a signing-roster
    entry (fictional name and licence) each, passwords in data/secrets/demo-clinicians.yaml (0600). Once."""
    path = settings.secrets_dir / "demo-clinicians.yaml"
    if path.exists():
        return path
    network, accounts, number = load_network(settings.network_file), {}, 0
    for org in orgs:
        tertiary = network.institution(org).tier == Tier.TERTIARY
        for role, department in {**_DEMO_DEPARTMENTS, **(_TERTIARY_DEPARTMENTS if tertiary else {})}.items():
            number += 1
            email, password = f"{role}.{org}@referral.local", secrets.token_urlsafe(12)
            review_board(settings, org, network).invite_reviewer(email, password)
            add_signer(settings.roster_path, org, Signer(email=email, name=f"데모 임상의 {number}",
                                                         licence=f"9{number:05d}", department=department))  # fmt: skip
            accounts[email] = {"password": password, "signs_for": org, "department": department}
    write_secret(path, yaml.safe_dump(accounts, sort_keys=True, allow_unicode=True))
    return path


def demo_staff(settings: Settings, orgs: list[str]) -> Path:
    """A 진료협력센터 coordinator of every institution for the worklist (/app): username coord.<code>, passwords in
    data/secrets/demo-staff.yaml (0600). Once."""
    from referral.web.accounts import StaffDirectory, StaffRole

    path = settings.secrets_dir / "demo-staff.yaml"
    if path.exists():
        return path
    directory, accounts = StaffDirectory(settings.staff_path), {}
    for number, org in enumerate(orgs, start=1):
        username, password = f"coord.{org}", secrets.token_urlsafe(12)
        directory.add(username, org, StaffRole.COORDINATOR, f"데모 코디네이터 {number}", password)
        accounts[username] = {"password": password, "org": org, "role": "coordinator"}
    write_secret(path, yaml.safe_dump(accounts, sort_keys=True, allow_unicode=True))
    return path


async def run_dev(settings: Settings, options: DevOptions) -> int:
    os.umask(PRIVATE_UMASK)  # data, logs and databases (ours and the servers' we start) are the owner's only
    network = load_network(settings.network_file)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    ensure_local_secrets(settings, sorted(network.institutions()))
    staff_file = demo_staff(settings, sorted(network.institutions()))
    logs = settings.data_dir / "logs"
    logs.mkdir(exist_ok=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    with ExitStack() as stack:
        server_log = stack.enter_context(open(logs / "temporal.log", "ab"))
        codec_url = f"http://127.0.0.1:{options.codec_port}"
        server = TemporalDevServer(settings.data_dir / "temporal.db", options.temporal_port, options.ui_port,
                                   settings.namespace, server_log)  # fmt: skip
        server.start()
        stack.callback(server.stop)
        await server.wait_ready()
        settings = settings.model_copy(update={"temporal_address": server.address})
        client = await connect(settings)
        await ensure_search_attributes(client)

        if options.pacs:  # a demo PACS for 영월의료원 and for 강원대학교병원, on the network the stack uses
            settings = await _start_demo_pacs(settings, options, stack, logs)
            network = load_network(settings.network_file)
        env = {
            **os.environ,
            "REFERRAL_TEMPORAL_ADDRESS": server.address,
            "REFERRAL_NAMESPACE": settings.namespace,
            "REFERRAL_DATA_DIR": str(settings.data_dir.resolve()),
            "REFERRAL_LABEL_STUDIO_URL": f"http://127.0.0.1:{options.label_studio_port}",
            "REFERRAL_REVIEW_WEBHOOK_URL": f"http://127.0.0.1:{options.api_port}/review/webhook",
        }
        if settings.network_file is not None:
            env["REFERRAL_NETWORK_FILE"] = str(settings.network_file.resolve())
        if options.label_studio:
            studio = LabelStudioServer(
                settings.data_dir / "labelstudio", options.label_studio_port, "admin@referral.local",
                (settings.secrets_dir / "label-studio-admin-password").read_text().strip(),
                settings.label_studio_api_token() or "", log=stack.enter_context(open(logs / "label-studio.log", "ab")),
            )  # fmt: skip
            studio.start()
            stack.callback(studio.stop)
            print("starting Label Studio (the first start migrates its database, about 90 s)…", flush=True)
            await asyncio.to_thread(studio.wait_ready)
            board_settings = settings.model_copy(update={"label_studio_url": studio.url})
            await asyncio.to_thread(demo_clinicians, board_settings, example_institutions())
        if options.prefect:  # fleet flows (bulk intake, report, re-processing) served with their schedules
            auth = (settings.secrets_dir / "prefect-auth").read_text().strip()
            prefect = PrefectServer(settings.data_dir.resolve() / "prefect", options.prefect_port, auth,
                                    log=stack.enter_context(open(logs / "prefect-server.log", "ab")))  # fmt: skip
            prefect.start()
            stack.callback(prefect.stop)
            await asyncio.to_thread(prefect.wait_ready)
            _spawn("flows", ["-m", "flows.fleet.serve"], {**env, **prefect.env()}, logs, stack)
        ui_origin = f"http://127.0.0.1:{options.ui_port}"
        codec_env = {**env, "REFERRAL_CODEC_UI_ORIGINS": json.dumps([ui_origin])}
        _spawn(
            "codec-server", ["-m", "referral.codec_server", "--port", str(options.codec_port)], codec_env, logs, stack
        )
        _spawn("cpu-worker", ["-m", "workers.cpu"], env, logs, stack)
        _spawn("gpu-worker", ["-m", "workers.gpu"], env, logs, stack)
        _spawn("gateways", ["-m", "referral.gateways"], env, logs, stack)
        api_args = ["-m", "uvicorn", "--factory", "referral.api:app_from_env", "--host", "127.0.0.1"]
        _spawn("api", [*api_args, "--port", str(options.api_port)], env, logs, stack)
        await _wait_http(f"http://127.0.0.1:{options.api_port}/health")
        await _wait_http(f"{codec_url}/health")

        referral_ids = []
        if options.examples:
            store = open_store(settings)
            for key, request, files in example_referrals():
                result = await submit_referral(client, store, network, settings, request, files, idempotency_key=key)
                referral_ids.append(result.referral_id)
                print(f"example referral {result.referral_id}: {request.referring.org} → {request.receiving.org}"
                      f"{' (already submitted)' if result.duplicate else ''}")  # fmt: skip

        ui = f"http://127.0.0.1:{options.ui_port}/namespaces/{settings.namespace}/workflows"
        print(f"\nTemporal UI     {ui}")
        print(f"HTTP API docs   http://127.0.0.1:{options.api_port}/docs")
        print(f"Worklist        http://127.0.0.1:{options.api_port}/app  (진료협력센터; coord.<institution> accounts, "
              f"passwords in {staff_file})")  # fmt: skip
        print(f"Codec server    {codec_url}  (payloads show encrypted; to read them, enter {codec_url}/t/<token> in "
              f"the UI's Data Encoder, a token from {settings.secrets_dir / 'operator-tokens'})")  # fmt: skip
        print(
            f"Gateways        one per institution, ports from {settings.network_file or 'referral/data/network.yaml'}"
        )
        if options.label_studio:
            print(f"Label Studio    http://127.0.0.1:{options.label_studio_port}  (admin@referral.local, password in "
                  f"{settings.secrets_dir / 'label-studio-admin-password'})")  # fmt: skip
            print(f"Clinicians      one per example institution, who may sign its drafts: "
                  f"{settings.secrets_dir / 'demo-clinicians.yaml'}")  # fmt: skip
        if options.pacs and shutil.which("Orthanc"):
            print(f"Demo PACS       http://127.0.0.1:{options.pacs_port} (영월의료원), "
                  f"http://127.0.0.1:{options.pacs_port + 1} (강원대학교병원) — Orthanc with DICOMweb")  # fmt: skip
        if options.prefect:
            print(f"Prefect UI      http://127.0.0.1:{options.prefect_port}  (user:password in "
                  f"{settings.secrets_dir / 'prefect-auth'}; bulk intake 02:00, report 07:00 KST; "
                  f"drop folder {settings.intake_root_path.resolve()})")  # fmt: skip
        print(f"API tokens      {settings.secrets_dir / 'api-tokens.yaml'}")
        print(f"Logs            {logs}")
        print("CLI             .venv/bin/referral list   |   .venv/bin/referral status <id>")
        print("Loopback only  every server above listens on 127.0.0.1: nothing is reachable from another machine")
        print("Ctrl-C stops everything.\n", flush=True)

        if options.exit_when_done:
            finished = True
            for referral_id in referral_ids:
                while (await get_status(client, referral_id)).stage not in PIPELINE_SETTLED and not stop.is_set():
                    await asyncio.sleep(0.5)
                status = await get_status(client, referral_id)
                imaging = status.imaging
                found = f" / imaging {imaging.search} {len(imaging.studies)} studies" if imaging else ""
                print(f"{referral_id}: {status.state} / {status.stage}{found}", flush=True)
                finished = finished and status.stage == ProcessingStage.AWAITING_REVIEW
            return 0 if finished else 1
        await stop.wait()
        print("stopping…", flush=True)
    return 0
