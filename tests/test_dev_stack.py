"""`referral dev`, the README's main job: the whole stack comes up, the examples reach AWAITING_REVIEW, Ctrl-C-style
shutdown is clean, and a second start on the same data folder finds the referrals again (SQLite durability)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from asyncio.subprocess import PIPE
from pathlib import Path

import pytest

from referral.devserver import free_port

pytestmark = pytest.mark.slow


def dev_ports() -> list[str]:
    return ["--temporal-port", str(free_port()), "--ui-port", str(free_port()), "--api-port", str(free_port()),
            "--label-studio-port", str(free_port()), "--prefect-port", str(free_port()),
            "--codec-port", str(free_port()), "--pacs-port", str(free_port())]  # fmt: skip


async def run_dev(cwd: Path, *extra: str, timeout: float = 300) -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REFERRAL_")}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "referral.cli", "dev", *dev_ports(), *extra, cwd=cwd, env=env, stdout=PIPE, stderr=PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout)
    return process.returncode or 0, out.decode() + err.decode()


def phi_in(data: Path, inside: bool) -> list[tuple[str, str]]:
    """(file, what) for every example patient's name, birth date or registration number found in the files of the
    data folder inside (or outside) the places that hold PHI by design: the document store, Label Studio, the PACS."""
    from referral.examples import example_referrals

    patients = [request.patient for _, request, _ in example_referrals()]
    needles = {p.name for p in patients} | {p.identifier for p in patients if p.identifier}
    needles |= {p.birth_date.isoformat() for p in patients} | {p.birth_date.strftime("%Y%m%d") for p in patients}
    by_design = [data / "documents", data / "labelstudio", *data.glob("pacs*")]
    found = []
    for path in sorted(p for p in data.rglob("*") if p.is_file()):
        if any(place in path.parents for place in by_design) == inside:
            content = path.read_bytes()
            found += [(str(path.relative_to(data)), n) for n in sorted(needles) if n.encode() in content]
    return found


async def test_dev_runs_the_examples_and_keeps_them_across_restarts(tmp_path: Path) -> None:
    code, output = await run_dev(tmp_path, "--exit-when-done")
    assert code == 0, output
    assert "Temporal UI     http://127.0.0.1:" in output and "Label Studio    http://127.0.0.1:" in output
    assert "every server above listens on 127.0.0.1" in output
    assert "Prefect UI      http://127.0.0.1:" in output and (tmp_path / "data" / "drop").is_dir()  # flows served
    assert output.count("AWAITING_REVIEW") == 3
    assert output.count("imaging done 2 studies") == 1  # the demo PACS of 영월의료원 had the first patient's studies
    assert (tmp_path / "data" / "temporal.db").exists()
    secrets = tmp_path / "data" / "secrets"
    assert (secrets / "payload.key").stat().st_mode & 0o077 == 0  # readable by the owner only
    # a clinician per example institution who may sign its drafts (account + roster entry), passwords owner-only
    from review.roster import load_roster

    assert (secrets / "demo-clinicians.yaml").stat().st_mode & 0o077 == 0
    data = tmp_path / "data"
    for private in [data / "temporal.db", data / "roster.yaml", *(data / "logs").iterdir(),
                    *(data / "labelstudio").rglob("*.sqlite3"), *(data / "documents").rglob("*")]:  # fmt: skip
        assert private.stat().st_mode & 0o077 == 0, private  # data, logs and databases: the owner's only
    # no patient name, birth date or registration number in Temporal's database, the logs, Prefect's database,
    # the reports or the secrets; the search finds them where they are by design (the review tasks' sources)
    assert phi_in(data, inside=False) == [] and phi_in(data, inside=True) != []
    roster = load_roster(tmp_path / "data" / "roster.yaml")
    assert roster.signer("clinician.knuh@referral.local", "knuh") is not None
    assert roster.signer("clinician.knuh@referral.local", "yeongwol-mc") is None and len(roster.institutions) == 6
    anaesthetist = roster.signer("anesthesia.knuh@referral.local", "knuh")  # signs 강원대병원's pre-anesthesia drafts
    assert anaesthetist is not None and anaesthetist.department == "마취통증의학과"
    assert roster.signer("anesthesia.yeongwol-mc@referral.local", "yeongwol-mc") is None  # a 2차 hospital: one

    code, output = await run_dev(tmp_path, "--exit-when-done")
    assert code == 0, output
    assert output.count("(already submitted)") == 3  # the SQLite file kept the referrals


async def check_codec_server_needs_the_operator_token(ports: list[str], secrets: Path) -> None:
    """The dev UI is given no codec endpoint (no token for whoever can read its settings), and the codec server
    answers its origin only with the operator token in the path, as the operator enters it in the Data Encoder."""
    import base64

    import httpx

    ui = f"http://127.0.0.1:{ports[ports.index('--ui-port') + 1]}"
    codec = f"http://127.0.0.1:{ports[ports.index('--codec-port') + 1]}"
    token = (secrets / "operator-tokens").read_text().split()[0]
    async with httpx.AsyncClient(timeout=10) as http:
        settings = (await http.get(f"{ui}/api/v1/settings")).json()
        assert token not in str(settings) and not (settings.get("Codec") or {}).get("Endpoint")
        plain = {"payloads": [{"metadata": {"encoding": base64.b64encode(b"json/plain").decode()},
                               "data": base64.b64encode('"홍길동"'.encode()).decode()}]}  # fmt: skip
        assert (await http.post(f"{codec}/encode", json=plain, headers={"Origin": ui})).status_code == 401
        encoded = await http.post(f"{codec}/t/{token}/encode", json=plain, headers={"Origin": ui})
        assert encoded.status_code == 200
        decoded = await http.post(f"{codec}/t/{token}/decode", json=encoded.json(), headers={"Origin": ui})
        assert decoded.json() == plain


async def test_dev_stops_cleanly_on_interrupt(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REFERRAL_")}
    ports = [*dev_ports(), "--no-label-studio"]
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "referral.cli",
        "dev",
        "--no-examples",
        *ports,
        cwd=tmp_path,
        env=env,
        stdout=PIPE,
        stderr=PIPE,
    )
    assert process.stdout is not None
    while b"Ctrl-C stops everything" not in (line := await asyncio.wait_for(process.stdout.readline(), 120)):
        assert line, "dev exited before it was ready"
    await check_codec_server_needs_the_operator_token(ports, tmp_path / "data" / "secrets")
    process.send_signal(signal.SIGINT)
    code = await asyncio.wait_for(process.wait(), 60)
    assert code == 0
    prefect_port = ports[ports.index("--prefect-port") + 1]
    for pattern in (str(tmp_path / "data"), f"--port {prefect_port}"):
        leftover = await asyncio.create_subprocess_exec("pgrep", "-f", pattern, stdout=PIPE)
        out, _ = await leftover.communicate()
        assert out.strip() == b"", pattern  # no worker, API, flow server or Prefect server left behind
