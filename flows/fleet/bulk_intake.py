"""Prefect flow: bulk intake from a drop folder (a hospital's nightly scan export). Fleet-level work only:
each referral's state lives in its Temporal workflow; this flow validates, submits and files the folders.

Layout: DROP/<any-name>/request.json (a ReferralRequest) beside the referral's documents. A folder that was
submitted before (same content) names the same referral (deterministic id): it is reported as a duplicate and
nothing is started twice. Processed folders move to DROP/.done/, refused ones to DROP/.failed/ with a reason.

The drop folder is a flow parameter anyone with access to the Prefect API can set, so it must lie inside the
configured intake root (`REFERRAL_INTAKE_ROOT`, default data_dir/drop; links resolved), and only folders with a
readable referral request are touched: any other folder, and every link, is left as it is and reported; a file
that is a link refuses its folder (it could point at anything the flow's user may read)."""

from __future__ import annotations

import shutil
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from pydantic import BaseModel, ValidationError

from flows.fleet.retries import retry_unless
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
    skipped: list[str] = []  # not referral folders (no request.json, or a link): left untouched


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
    request = _request(folder)
    entries = [p for p in sorted(folder.iterdir()) if p.name != "request.json"]
    if any(p.is_symlink() or not p.is_file() for p in entries):
        raise ValueError("the folder holds a link or a subfolder: only the referral's own files are accepted")
    files = [IncomingFile(p.name, p.read_bytes()) for p in entries]
    client = await connect(settings)
    result = await submit_referral(client, open_store(settings), load_network(settings.network_file), settings,
                                   request, files, idempotency_key=None)  # fmt: skip
    return result.referral_id, result.duplicate


def _request(folder: Path) -> ReferralRequest:
    return ReferralRequest.model_validate_json((folder / "request.json").read_text(encoding="utf-8"))


def inside_intake_root(drop_folder: str, settings: Settings) -> Path:
    """The drop folder, resolved, if it lies inside the intake root; else ValueError naming the root only."""
    root, folder = settings.intake_root_path.resolve(), Path(drop_folder).resolve()
    if folder != root and root not in folder.parents:
        raise ValueError(f"drop folder refused: it must be inside the intake root {root}")
    if not folder.is_dir():
        raise ValueError("drop folder refused: it is not a folder")
    return folder


@flow(name="bulk-intake")
async def bulk_intake(drop_folder: str) -> IntakeReport:
    logger = get_run_logger()
    report = IntakeReport()
    drop = inside_intake_root(drop_folder, Settings())
    for folder in sorted(p for p in drop.iterdir() if not p.name.startswith(".")):
        if folder.is_symlink() or not folder.is_dir() or not (folder / "request.json").is_file():
            report.skipped.append(folder.name)  # not a referral folder: not ours to move
            continue
        try:
            _request(folder)
        except (ValidationError, ValueError, OSError) as err:  # left where it is, for whoever wrote it
            report.failed[folder.name] = f"request.json is not a referral request: {str(err).splitlines()[0][:200]}"
            logger.warning("left %s in place: %s", folder.name, report.failed[folder.name])
            continue
        try:
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
