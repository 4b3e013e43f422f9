"""The `referral` command, run as a real process against the test Temporal server and workers."""

from __future__ import annotations

import asyncio
import json
import sys
from asyncio.subprocess import PIPE
from dataclasses import dataclass
from pathlib import Path

import pytest
from temporalio.client import Client

from referral.config import Settings
from referral.signing_keys import SigningKeys
from referral.synthetic import clinical_record, image_bytes, render_page
from tests import badfiles
from tests.helpers import process_env


async def run_cli(client: Client, settings: Settings, *args: str, timeout: float = 240) -> Finished:
    """Run the CLI without blocking the event loop: the test's workers run in this process."""
    env = process_env(client, settings)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "referral.cli", *args, env=env, stdout=PIPE, stderr=PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout)
    return Finished(process.returncode or 0, out.decode(), err.decode())


@dataclass
class Finished:
    returncode: int
    stdout: str
    stderr: str


PATIENT = ["--patient-name", "박영희", "--birth-date", "1949-11-02", "--sex", "female", "--patient-id", "CLI-0001",
           "--referring-org", "gangneung-mc", "--receiving-org", "knuh", "--priority", "routine",
           "--reason", "신기능 저하 평가", "--consent", "patient", "--consent-recorded-by", "진료협력센터",
           "--consent-at", "2026-11-28 10:00"]  # fmt: skip


@pytest.fixture(scope="module")
def scan_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "외부기록.png"
    path.write_bytes(image_bytes(render_page(clinical_record(42).lines, damage=0.4, seed=42)))
    return path


async def test_submit_wait_status_event_and_list(
    client: Client, workers: None, settings: Settings, scan_file: Path
) -> None:
    submitted = await run_cli(client, settings, "submit", *PATIENT, "--wait", str(scan_file))
    assert submitted.returncode == 0, submitted.stderr
    lines = submitted.stdout.splitlines()
    referral_id = lines[0].strip()
    assert referral_id.startswith("ref-")
    assert any("OCR_RUNNING" in line for line in lines) and "AWAITING_REVIEW" in lines[-1]

    status = await run_cli(client, settings, "status", referral_id, "--json")
    body = json.loads(status.stdout)
    assert body["status"]["stage"] == "AWAITING_REVIEW" and body["status"]["ocr"][0]["methods"] == ["tesseract"]

    receipt = await run_cli(client, settings, "event", referral_id, "receive", "--side", "receiving", "--actor", "x")
    assert receipt.returncode == 1 and "gateway's receipt" in receipt.stderr  # the receipt is never sent by hand
    refused = await run_cli(
        client, settings, "event", referral_id, "acknowledge", "--side", "referring", "--actor", "x"
    )
    assert refused.returncode == 1 and "not allowed in state DRAFT" in refused.stderr

    listed = await run_cli(
        client, settings, "list", "--status", "DRAFT", "--org", "gangneung-mc", "--side", "referring"
    )
    assert referral_id in listed.stdout

    again = await run_cli(client, settings, "submit", *PATIENT, str(scan_file))
    assert again.stdout.split()[0] == referral_id and "duplicate" in again.stdout

    moved = await run_cli(client, settings, "event", referral_id, "withdraw", "--side", "referring", "--actor", "접수",
                          "--reason", "환자 전원 취소 (patient declined)")  # fmt: skip
    assert moved.returncode == 0 and "DRAFT → CANCELLED" in moved.stdout
    text = await run_cli(client, settings, "status", referral_id)
    assert "CANCELLED" in text.stdout and "#1" in text.stdout


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--receiving-org", "mars-hospital"], "unknown institution"),
        (["--priority", "someday"], "invalid choice"),
        (["--consent", "representative"], "names the representative and the relationship"),
        (["--consent", "emergency", "--consent-note", "의식 저하로 동의 불가"], "only for an emergency referral"),
        (["--consent-at", "어제"], "not a date and time"),
    ],
)
async def test_bad_submissions_exit_with_a_clear_error(
    client: Client, settings: Settings, scan_file: Path, args: list[str], says: str
) -> None:
    result = await run_cli(client, settings, "submit", *PATIENT, *args, str(scan_file))
    assert result.returncode == 2
    assert says in result.stderr


async def test_bad_file_and_missing_options(client: Client, settings: Settings, tmp_path: Path) -> None:
    locked = tmp_path / "locked.pdf"
    locked.write_bytes(badfiles.encrypted_pdf())
    result = await run_cli(client, settings, "submit", *PATIENT, str(locked))
    assert result.returncode == 2 and "encrypted" in result.stderr
    missing = await run_cli(client, settings, "submit", "--patient-name", "누구", str(locked))
    assert missing.returncode == 2 and "--birth-date" in missing.stderr
    absent = await run_cli(client, settings, "submit", *PATIENT, str(tmp_path / "nope.pdf"))
    assert absent.returncode == 2 and "no such file" in absent.stderr
    huge = tmp_path / "huge.pdf"
    with huge.open("wb") as sparse:  # 300 MB that take no disk: refused by its size, never read
        sparse.truncate(300 * 1024 * 1024)
    refused = await run_cli(client, settings, "submit", *PATIENT, str(huge))
    assert refused.returncode == 2 and "too_large" in refused.stderr


async def test_status_of_unknown_referral(client: Client, settings: Settings) -> None:
    result = await run_cli(client, settings, "status", "ref-ffffffffffffffffffffffff")
    assert result.returncode == 1 and "no referral" in result.stderr


def test_an_korea_time_without_an_offset_is_korea_time_and_a_wrong_one_is_a_usage_error() -> None:
    import argparse
    from datetime import timedelta

    from referral.cli import _korea_time

    when = _korea_time("2026-12-10 09:30")
    assert when.utcoffset() == timedelta(hours=9) and (when.hour, when.minute) == (9, 30)
    assert _korea_time("2026-12-10T09:30+00:00").utcoffset() == timedelta(0)
    with pytest.raises(argparse.ArgumentTypeError, match="not a date and time"):
        _korea_time("12/10 9시 반")


async def test_an_example_bundle_is_written_without_a_server_and_validates(
    client: Client, settings: Settings, tmp_path: Path
) -> None:
    import json

    from referral.fhir.message import validate

    out = tmp_path / "example.json"
    written = await run_cli(client, settings, "bundle", "--example", "--out", str(out))
    assert written.returncode == 0, written.stderr
    bundle = json.loads(out.read_text(encoding="utf-8"))
    validate(bundle)
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert kinds[0] == "MessageHeader" and {"Consent", "ServiceRequest", "Task", "Bundle", "Binary"} <= set(kinds)
    assert "예시" in json.dumps(bundle, ensure_ascii=False)  # the example letter says it is one
    # signed by the referring institution, chaining to the example CA written beside it (and to no other)
    from cryptography import x509

    from referral.fhir.signature import BundleSignatureInvalid, check_signatures

    example_ca = x509.load_pem_x509_certificate((tmp_path / "example.ca.pem").read_bytes())
    check_signatures(bundle, "yeongwol-mc", example_ca)
    with pytest.raises(BundleSignatureInvalid):
        check_signatures(bundle, "yeongwol-mc", SigningKeys(settings.signing_keys_dir).trust_root())
    bundle["entry"][1]["resource"]["birthDate"] = "1950-01-01"  # changed after signing
    with pytest.raises(BundleSignatureInvalid):
        check_signatures(bundle, "yeongwol-mc", example_ca)
    for wrong in ((), ("ref-0", "--example")):
        refused = await run_cli(client, settings, "bundle", *wrong)
        assert refused.returncode == 2 and "referral id, or --example" in refused.stderr
