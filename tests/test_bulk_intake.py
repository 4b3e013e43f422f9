"""The bulk-intake Prefect flow under prefect_test_harness, against the real Temporal dev server: a drop
folder with a duplicate and a corrupt file; each valid folder is one referral, the corrupt one is reported and
kept with its reason, nothing is lost."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from temporalio.client import Client

from referral.config import Settings
from referral.operations import get_status
from referral.synthetic import clinical_record, image_bytes, render_page
from tests import badfiles
from tests.helpers import make_request, process_env, tiny_scan

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def prefect_harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    os.environ["PREFECT_HOME"] = str(tmp_path_factory.mktemp("prefect-home"))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


def referral_folder(drop: Path, name: str, files: dict[str, bytes], request: str | None = None) -> None:
    folder = drop / name
    folder.mkdir()
    (folder / "request.json").write_text(request or make_request().model_dump_json(), encoding="utf-8")
    for filename, data in files.items():
        (folder / filename).write_bytes(data)


async def test_bulk_intake_of_a_drop_folder(
    client: Client, workers: None, settings: Settings, prefect_harness: None, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    for key, value in process_env(client, settings).items():
        if key.startswith("REFERRAL_"):
            monkeypatch.setenv(key, value)
    from flows.fleet.bulk_intake import bulk_intake

    monkeypatch.setenv("REFERRAL_INTAKE_ROOT", str(tmp_path / "intake"))
    drop = tmp_path / "intake" / "drop"
    drop.mkdir(parents=True)
    shared_request = make_request().model_dump_json()
    scan = image_bytes(render_page(clinical_record(61).lines, dpi=100))
    referral_folder(drop, "2026-11-28-001", {"scan.png": scan}, shared_request)
    referral_folder(drop, "2026-11-28-002-resent", {"scan.png": scan}, shared_request)  # the same referral again
    referral_folder(drop, "2026-11-28-003", {"scan.png": tiny_scan()})
    referral_folder(drop, "2026-11-28-004-corrupt", {"record.pdf": badfiles.truncated_pdf()})
    referral_folder(drop, "2026-11-28-005-not-a-request", {"scan.png": tiny_scan()}, request='{"patient": "x"}')
    referral_folder(drop, "2026-11-28-006-link", {})
    (drop / "2026-11-28-006-link" / "scan.png").symlink_to(tmp_path / "elsewhere.png")
    (tmp_path / "elsewhere.png").write_bytes(tiny_scan())
    (drop / "scanner-settings").mkdir()  # somebody else's folder: no request.json
    (drop / "scanner-settings" / "profile.ini").write_text("dpi=300\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    referral_folder(outside, "2026-11-28-007", {"scan.png": tiny_scan()})
    with pytest.raises(ValueError, match="inside the intake root"):
        await bulk_intake(str(outside))
    with pytest.raises(ValueError, match="inside the intake root"):
        await bulk_intake(str(drop / ".." / ".." / "outside"))
    assert (outside / "2026-11-28-007" / "request.json").exists() and not (outside / ".done").exists()
    report = await bulk_intake(str(drop))

    assert len(report.submitted) == 2 and len(report.duplicates) == 1
    assert report.duplicates[0] in report.submitted  # the resent folder names the first referral
    assert sorted(report.failed) == ["2026-11-28-004-corrupt", "2026-11-28-005-not-a-request", "2026-11-28-006-link"]
    assert "corrupt_pdf" not in report.failed["2026-11-28-004-corrupt"]
    assert "link" in report.failed["2026-11-28-006-link"] and report.skipped == ["scanner-settings"]
    assert (
        "truncated" in report.failed["2026-11-28-004-corrupt"] or "damaged" in report.failed["2026-11-28-004-corrupt"]
    )
    assert sorted(p.name for p in (drop / ".done").iterdir()) == [
        "2026-11-28-001",
        "2026-11-28-002-resent",
        "2026-11-28-003",
    ]
    failed = drop / ".failed" / "2026-11-28-004-corrupt"
    assert (failed / "record.pdf").exists() and (failed / "error.txt").read_text().strip()  # nothing lost
    assert sorted(p.name for p in (drop / ".failed").iterdir()) == ["2026-11-28-004-corrupt", "2026-11-28-006-link"]
    # only folders with a referral request are moved: the unreadable request and the other folder stay as they were
    assert sorted(p.name for p in drop.iterdir() if not p.name.startswith(".")) == [
        "2026-11-28-005-not-a-request", "scanner-settings"]  # fmt: skip
    assert (drop / "scanner-settings" / "profile.ini").read_text() == "dpi=300\n"
    for referral_id in report.submitted:
        assert (await get_status(client, referral_id)).referral_id == referral_id
