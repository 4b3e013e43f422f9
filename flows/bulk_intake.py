"""Prefect flow: bulk intake from a drop folder (a hospital's nightly scan export). Fleet-level work only:
each referral's state lives in its Temporal workflow; this flow validates, submits and files the folders.

Layout: DROP/<any-name>/request.json (a ReferralRequest) beside the referral's documents. A folder that was
submitted before (same content) names the same referral (deterministic id): it is reported as a duplicate and
nothing is started twice. Processed folders move to DROP/.done/, refused ones to DROP/.failed/ with a reason."""

from __future__ import annotations

import shutil
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from pydantic import BaseModel, ValidationError

from flows.retries import retry_unless
from referral.config import Settings
from referral.models import ReferralRequest
from referral.network import UnknownInstitution, load_network
from referral.storage import open_store
from referral.submission import FileRejected, IdempotencyConflict, IncomingFile, ReReferralRefused, submit_referral
from referral.temporal import connect

DONE, FAILED = ".done", ".failed"


class IntakeReport(BaseModel):
    submitted: list[str] = []
    duplicates: list[str] = []
    failed: dict[str, str] = {}


def _file(folder: Path, destination: str, reason: str | None = None) -> None:
    target = folder.parent / destination / folder.name
    target.parent.mkdir(exist_ok=True)
    if target.exists():
        shutil.rmtree(target)
    shutil.move(str(folder), target)
    if reason is not None:
        (target / "error.txt").write_text(reason + "\n", encoding="utf-8")


@task(retries=3, retry_delay_seconds=2, retry_condition_fn=retry_unless(ValueError, FileNotFoundError, LookupError),
      cache_policy=NO_CACHE)  # fmt: skip
async def submit_folder(folder: Path) -> tuple[str, bool]:
    """One referral folder. Settings (and so secrets) come from the environment, never as task parameters."""
    settings = Settings()
    request = ReferralRequest.model_validate_json((folder / "request.json").read_text(encoding="utf-8"))
    files = [IncomingFile(p.name, p.read_bytes()) for p in sorted(folder.iterdir()) if p.name != "request.json"]
    client = await connect(settings)
    result = await submit_referral(client, open_store(settings), load_network(settings.network_file), settings,
                                   request, files, idempotency_key=None)  # fmt: skip
    return result.referral_id, result.duplicate


@flow(name="bulk-intake")
async def bulk_intake(drop_folder: str) -> IntakeReport:
    logger = get_run_logger()
    report = IntakeReport()
    for folder in sorted(p for p in Path(drop_folder).iterdir() if p.is_dir() and not p.name.startswith(".")):
        try:
            if not (folder / "request.json").exists():
                raise FileNotFoundError("request.json is missing")
            referral_id, duplicate = await submit_folder(folder)
        except (ValidationError, ValueError, FileNotFoundError, FileRejected, UnknownInstitution,
                IdempotencyConflict, ReReferralRefused) as err:  # fmt: skip
            report.failed[folder.name] = str(err).splitlines()[0][:300]
            _file(folder, FAILED, report.failed[folder.name])
            logger.warning("refused %s: %s", folder.name, report.failed[folder.name])
            continue
        (report.duplicates if duplicate else report.submitted).append(referral_id)
        _file(folder, DONE)
    logger.info("bulk intake: %d submitted, %d duplicates, %d refused", len(report.submitted),
                len(report.duplicates), len(report.failed))  # fmt: skip
    return report
