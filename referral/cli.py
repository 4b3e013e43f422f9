"""The `referral` command: submit, status, list, event, dev."""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import sys
from datetime import UTC, date, datetime
from pathlib import Path

from pydantic import ValidationError

from flows.referral.io import PIPELINE_SETTLED, Appointment, EventRequest, ProcessingStage
from referral.cli_bundle import add_bundle_parser
from referral.cli_staff import add_staff_parser
from referral.cli_status import KST, cmd_status
from referral.config import Settings
from referral.documents import DocumentRejected
from referral.models import (
    Clinician,
    ConsentBasis,
    ExchangeConsent,
    Party,
    Patient,
    Priority,
    ReferralRequest,
    ReferralType,
    Sex,
    Side,
)
from referral.network import UnknownInstitution, load_network
from referral.operations import EventRefused, ReferralNotFound, get_status, list_referrals, send_event
from referral.states import ReferralEvent, ReferralState
from referral.storage import open_store
from referral.submission import FileRejected, IdempotencyConflict, IncomingDictation, IncomingFile, submit_referral
from referral.summary.drafts import DraftKind
from referral.temporal import connect, hard_exit

_DONE = PIPELINE_SETTLED


class UsageError(Exception):
    pass


_REQUIRED = ("patient_name", "birth_date", "sex", "patient_id", "referring_org", "receiving_org", "priority", "reason",
             "consent", "consent_recorded_by", "consent_at")  # fmt: skip


def _request_from_args(args: argparse.Namespace) -> ReferralRequest:
    if args.request:
        return ReferralRequest.model_validate_json(Path(args.request).read_text(encoding="utf-8"))
    missing = [f for f in _REQUIRED if getattr(args, f) is None]
    if missing:
        raise UsageError("missing required option(s): " + ", ".join("--" + m.replace("_", "-") for m in missing))
    clinician = Clinician(name=args.clinician) if args.clinician else None
    consent = ExchangeConsent(
        basis=ConsentBasis(args.consent), given_at=args.consent_at,
        recorded_by=args.consent_recorded_by, representative=args.consent_by, relationship=args.relationship,
        note=args.consent_note,
    )  # fmt: skip
    return ReferralRequest(
        consent=consent,
        patient=Patient(name=args.patient_name, birth_date=date.fromisoformat(args.birth_date), sex=Sex(args.sex),
                        identifier=args.patient_id),
        referring=Party(org=args.referring_org, department=args.referring_dept, clinician=clinician),
        receiving=Party(org=args.receiving_org, department=args.receiving_dept),
        priority=Priority(args.priority),
        reason=args.reason,
        referral_type=ReferralType(args.type), previous_referral_id=args.replaces,
    )  # fmt: skip


async def _follow(client: object, referral_id: str) -> int:
    """Print each stage change until the document stages finish."""
    loop = asyncio.get_running_loop()
    start, last = loop.time(), None
    while True:
        status = await get_status(client, referral_id)  # type: ignore[arg-type]
        if status.stage != last:
            pages = sum(o.pages for o in status.ocr)
            extra = f"  ({len(status.ocr)} documents, {pages} pages)" if status.ocr else ""
            print(f"[{loop.time() - start:6.1f}s] {status.state:<14} {status.stage}{extra}", flush=True)
            last = status.stage
        if status.stage in _DONE:
            if status.stage_error:
                print(f"error: {status.stage_error}", file=sys.stderr)
            return 0 if status.stage == ProcessingStage.AWAITING_REVIEW else 1
        await asyncio.sleep(0.5)


def _read_checked(name: str, what: str, max_bytes: int) -> tuple[str, bytes]:
    """A file's name and bytes; its size is checked before anything is read."""
    path = Path(name)
    if not path.is_file():
        raise UsageError(f"no such {what}: {name}")
    if path.stat().st_size > max_bytes:
        raise UsageError(f"{what} {path.name} is larger than the limit of {max_bytes} bytes (too_large)")
    return path.name, path.read_bytes()


async def cmd_submit(args: argparse.Namespace, settings: Settings) -> int:
    request = _request_from_args(args)
    limits = settings.limits
    files = [IncomingFile(*_read_checked(name, "file", limits.max_bytes)) for name in args.files]
    dictations = [
        IncomingDictation(*_read_checked(name, "recording", limits.max_audio_bytes), args.dictation_language)
        for name in args.dictation or []
    ]
    if not files and not dictations:
        raise UsageError("give at least one document or --dictation recording")
    client = await connect(settings)
    result = await submit_referral(
        client,
        open_store(settings),
        load_network(settings.network_file),
        settings,
        request,
        files,
        args.idempotency_key,
        dictations,
    )
    print(result.referral_id + ("  (duplicate: the existing referral)" if result.duplicate else ""))
    return await _follow(client, result.referral_id) if args.wait else 0


async def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    client = await connect(settings)
    status = ReferralState(args.status) if args.status else None
    side = Side(args.side) if args.side else None
    overdue_at = datetime.now(UTC) if args.overdue else None
    rows = await list_referrals(client, status=status, org=args.org, side=side, overdue_at=overdue_at)
    for row in rows:
        due = row.due_at.strftime("%Y-%m-%d %H:%M") if row.due_at else "-"
        print(f"{row.referral_id}  {row.status or '-':<14} {row.stage or '-':<16} {row.priority or '-':<9} "
              f"{row.referring_org} → {row.receiving_org}  due {due}")  # fmt: skip
    print(f"{len(rows)} referral(s)", file=sys.stderr)
    return 0


def _korea_time(text: str) -> datetime:
    """A date and time as staff type it; without an offset it is Korea Standard Time."""
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date and time: {text!r} (e.g. 2026-12-10 09:30)") from None
    return when if when.tzinfo else when.replace(tzinfo=KST)


async def cmd_event(args: argparse.Namespace, settings: Settings) -> int:
    client = await connect(settings)
    side = Side(args.side)
    org = args.org
    if org is None:
        status = await get_status(client, args.referral_id)
        org = status.referring_org if side == Side.REFERRING else status.receiving_org
    appointment = None
    if args.at is not None:
        appointment = Appointment(start=args.at, place=args.place or "", department=args.department or "")
    request = EventRequest(
        event=ReferralEvent(args.event), side=side, org=org, actor=args.actor, reason=args.reason,
        reason_code=args.reason_code, appointment=appointment,
    )  # fmt: skip
    record = await send_event(client, args.referral_id, request)
    print(f"{record.from_state} → {record.to_state}")
    return 0


async def cmd_reviewer(args: argparse.Namespace, settings: Settings) -> int:
    """A clinician account in Label Studio (through the invite link), so each signature names its clinician."""
    from review.board import review_board
    from review.roster import Signer, add_signer

    try:
        signer = Signer(email=args.email, name=args.name, licence=args.licence, department=args.department)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    network = load_network(settings.network_file)
    if args.org not in network.institutions():
        print(f"error: unknown institution {args.org!r}", file=sys.stderr)
        return 2
    board = review_board(settings, args.org, network)  # the institution's own board, where it has one
    password = args.password or secrets.token_urlsafe(12)
    await asyncio.to_thread(board.invite_reviewer, args.email, password)
    add_signer(settings.roster_path, args.org, signer)
    print(
        f"reviewer {args.email} can now log in to {board.url}"
        + ("" if args.password else f" with password {password}")
        + f" and sign for {args.org} ({settings.roster_path})"
    )
    return 0


async def cmd_dev(args: argparse.Namespace, settings: Settings) -> int:
    from referral.dev import DevOptions, run_dev

    options = DevOptions(
        temporal_port=args.temporal_port, ui_port=args.ui_port, api_port=args.api_port,
        examples=not args.no_examples, exit_when_done=args.exit_when_done, label_studio_port=args.label_studio_port,
        label_studio=not args.no_label_studio,
        prefect_port=args.prefect_port,
        codec_port=args.codec_port,
        pacs_port=args.pacs_port,
        pacs=not args.no_pacs,
        prefect=not args.no_prefect,
    )  # fmt: skip
    return await run_dev(settings, options)


async def cmd_extract(args: argparse.Namespace, settings: Settings) -> int:
    from referral.extract import PatientClaim, extract
    from referral.extract_report import render_report

    def progress(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    claim = PatientClaim(
        name=args.patient_name, birth_date=_date(args.birth_date), registration_no=args.registration_no
    )
    network = load_network(settings.network_file)
    try:
        result = extract(
            [Path(f) for f in args.files], claim, network, referring_org=args.referring_org,
            receiving_org=args.receiving_org, planned=args.planned, on=_date(args.on),
            kinds=[DraftKind(k) for k in args.kind] if args.kind else None, limits=settings.limits,
            progress=None if args.quiet else progress,
        )  # fmt: skip
    except DocumentRejected as err:
        raise UsageError(f"{err} [{err.code}]") from None
    print(json.dumps(result, ensure_ascii=False, indent=1) if args.json else render_report(result), end="")
    return 0


def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        raise UsageError(f"not a date (YYYY-MM-DD): {text}") from None


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="referral", description="Referral AX: 의뢰·회송 between hospitals")
    sub = root.add_subparsers(dest="command", required=True)

    submit = sub.add_parser("submit", help="submit a referral with its documents")
    submit.add_argument("files", nargs="*", help="PDF/PNG/JPEG/TIFF documents")
    submit.add_argument("--dictation", action="append", help="voice dictation (WAV/FLAC/MP3/OGG/M4A/WebM); repeatable")
    submit.add_argument("--dictation-language", default="ko", choices=["ko", "en"])
    submit.add_argument("--request", help="ReferralRequest as a JSON file (instead of the options below)")
    submit.add_argument("--patient-name")
    submit.add_argument("--birth-date", help="YYYY-MM-DD")
    submit.add_argument("--sex", choices=[s.value for s in Sex])
    submit.add_argument("--patient-id", help="registration number at the referring institution")
    submit.add_argument("--referring-org")
    submit.add_argument("--referring-dept", default="내과")
    submit.add_argument("--clinician", help="referring clinician")
    submit.add_argument("--receiving-org")
    submit.add_argument("--receiving-dept", default="외래")
    submit.add_argument("--priority", choices=[p.value for p in Priority])
    submit.add_argument("--type", default="consult", choices=[t.value for t in ReferralType])
    submit.add_argument("--reason", help="의뢰사유 / clinical question")
    submit.add_argument(
        "--consent",
        choices=[b.value for b in ConsentBasis],
        help="the patient's consent to send the records (의료법 제21조의2): patient, representative, "
        "or emergency (an emergency referral sent without it; say why in --consent-note)",
    )
    submit.add_argument("--consent-recorded-by", help="who took the consent (staff)")
    submit.add_argument("--consent-at", type=_korea_time, help="when it was given, e.g. '2026-11-28 10:00'")
    submit.add_argument("--consent-by", help="the representative who consented")
    submit.add_argument("--relationship", help="the representative's relationship to the patient")
    submit.add_argument("--consent-note")
    submit.add_argument("--idempotency-key")
    submit.add_argument("--replaces", help="a declined or cancelled referral this one re-refers elsewhere")
    submit.add_argument("--wait", action="store_true", help="follow the referral through its stages")
    submit.set_defaults(run=cmd_submit)

    status = sub.add_parser("status", help="state, stage, due time and history of a referral")
    status.add_argument("referral_id")
    status.add_argument("--json", action="store_true")
    status.set_defaults(run=cmd_status)

    listing = sub.add_parser("list", help="referrals by state and institution (Temporal visibility)")
    listing.add_argument("--status", choices=[s.value for s in ReferralState])
    listing.add_argument("--org", help="institution code")
    listing.add_argument("--side", choices=[s.value for s in Side], help="with --org: only as this side")
    listing.add_argument("--overdue", action="store_true", help="only open referrals past the due time of their wait")
    listing.set_defaults(run=cmd_list)

    event = sub.add_parser("event", help="drive the state machine as one side")
    event.add_argument("referral_id")
    event.add_argument("event", choices=[e.value for e in ReferralEvent])
    event.add_argument("--side", required=True, choices=[s.value for s in Side])
    event.add_argument("--actor", required=True, help="who acts (clinician or staff id)")
    event.add_argument("--org", help="caller's institution (default: the referral's institution on that side)")
    event.add_argument("--reason", help="free text; required by some events and by some reason codes")
    event.add_argument(
        "--reason-code",
        help="decline, return_with_advice, request_cancel, cancel_appointment, "
        "no_show: a code of referral/data/reason_codes.yaml (or REFERRAL_REASON_CODES_FILE)",
    )
    event.add_argument(
        "--at",
        type=_korea_time,
        help="schedule: the appointment, e.g. '2026-12-10 09:30' (Korea time unless an offset is given)",
    )
    event.add_argument("--place", help="schedule: where (building, floor, clinic)")
    event.add_argument("--department", help="schedule: the clinic's department")
    event.set_defaults(run=cmd_event)

    extract = sub.add_parser("extract", help="OCR, summary, identity and duplicate checks and drafts, offline")
    extract.add_argument("files", nargs="+", help="PDF/PNG/JPEG/TIFF documents")
    extract.add_argument("--patient-name", help="whose records these should be (else: the first document's)")
    extract.add_argument("--birth-date", help="YYYY-MM-DD")
    extract.add_argument("--registration-no")
    extract.add_argument("--planned", nargs="+", metavar="ORDER", help="orders the receiving side plans")
    extract.add_argument("--on", help="date of the planned orders, YYYY-MM-DD (default: today)")
    extract.add_argument("--kind", nargs="+", choices=[k.value for k in DraftKind], help="drafts to make")
    extract.add_argument("--referring-org", default="yeongwol-mc")
    extract.add_argument("--receiving-org", default="knuh")
    extract.add_argument("--json", action="store_true", help="one JSON document (schema referral-extract/1)")
    extract.add_argument("--quiet", action="store_true", help="no progress on standard error")
    extract.set_defaults(run=cmd_extract)

    reviewer = sub.add_parser("reviewer", help="a clinician's Label Studio account and signing-roster entry")
    reviewer.add_argument("email")
    reviewer.add_argument("--password", help="default: a generated one, printed once")
    reviewer.add_argument("--org", required=True, help="the institution this clinician signs for")
    reviewer.add_argument("--name", required=True, help="name as it appears on signed documents")
    reviewer.add_argument("--licence", required=True, help="의사 면허번호 (medical licence number)")
    reviewer.add_argument("--department", required=True, help="진료과 (department)")
    reviewer.set_defaults(run=cmd_reviewer)

    dev = sub.add_parser("dev", help="run the local stack (Temporal + UI, workers, API) with example referrals")
    dev.add_argument("--temporal-port", type=int, default=7233)
    dev.add_argument("--ui-port", type=int, default=8233)
    dev.add_argument("--api-port", type=int, default=8000)
    dev.add_argument("--label-studio-port", type=int, default=8080)
    dev.add_argument("--no-label-studio", action="store_true", help="run without the review UI")
    dev.add_argument("--prefect-port", type=int, default=4200)
    dev.add_argument("--codec-port", type=int, default=8099)
    dev.add_argument(
        "--pacs-port", type=int, default=8042, help="demo PACS of 영월의료원 (강원대학교병원: the next port)"
    )
    dev.add_argument("--no-pacs", action="store_true", help="run without the demo PACS")
    dev.add_argument("--no-prefect", action="store_true", help="run without the Prefect server and served flows")
    dev.add_argument("--no-examples", action="store_true")
    dev.add_argument("--exit-when-done", action="store_true", help="stop once the examples finish OCR")
    dev.set_defaults(run=cmd_dev)
    add_bundle_parser(sub)
    add_staff_parser(sub)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return asyncio.run(args.run(args, Settings()))
    except (ReferralNotFound, EventRefused) as err:  # the referral refuses: exit 1
        print(f"error: {err}", file=sys.stderr)
        return 1
    except (UsageError, ValidationError, ValueError, UnknownInstitution, FileRejected, IdempotencyConflict) as err:
        print(f"error: {err}", file=sys.stderr)  # the input is wrong: exit 2
        return 2
    except RuntimeError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1


def entry() -> None:
    """Console-script entry point."""
    hard_exit(main())


if __name__ == "__main__":
    entry()
