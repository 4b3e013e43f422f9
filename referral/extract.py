"""`referral extract`: the production path on local files, offline and without any server — intake checks, OCR
or text layer, extraction, identity check, duplicate-test check and drafts — as a readable report or one JSON
document (schema `referral-extract/1`, documented in the README). The summary activity calls the same
`summarize_pages`; OCR is the same `ocr_pages` the OCR activity runs."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from referral.config import IntakeLimits
from referral.documents import DocumentRejected, inspect_document
from referral.identity import PageIdentity, read_page
from referral.models import Clinician, DocumentRef, Party, Patient, Priority, Referral, Sex
from referral.network import Network
from referral.ocr import LANG
from referral.ocr.engine import ocr_pages
from referral.ocr.models import OcrPage
from referral.summary.backends import ExtractorBackend, SummaryBackend
from referral.summary.drafts import INTAKE_DRAFTS, DraftKind
from referral.summary.guard import PlannedOrder
from referral.summary.pipeline import summarize_pages
from referral.summary.source import SourcePage

SCHEMA = "referral-extract/1"


class PatientClaim(BaseModel):
    """Whose records these should be, as the user says (all optional)."""

    name: str | None = None
    birth_date: date | None = None
    registration_no: str | None = None


class ExtractedFile(BaseModel):
    path: str
    sha256: str
    media_type: str
    pages: int


def check_file(path: Path, limits: IntakeLimits) -> tuple[bytes, str]:
    """Size from the file system before anything is read, then the same content checks as intake."""
    if not path.is_file():
        raise DocumentRejected("not_found", f"{path.name}: no such file")
    if path.stat().st_size > limits.max_bytes:
        raise DocumentRejected("too_large", f"{path.name}: larger than the limit of {limits.max_bytes} bytes")
    data = path.read_bytes()
    try:
        inspected = inspect_document(data, limits)
    except DocumentRejected as err:
        raise DocumentRejected(err.code, f"{path.name}: {err}") from None
    return data, inspected.media_type


def _reference_patient(claim: PatientClaim, identities: list[PageIdentity]) -> tuple[Patient, str]:
    """The patient to check every page against: the one claimed, else the first document's printed identity."""
    first = next((p for p in identities if p.names and p.birth_dates), None)
    name = claim.name or (first.names[0] if first else "미상")
    born = claim.birth_date or (first.birth_dates[0] if first else date(1900, 1, 1))
    number = claim.registration_no or (first.registration_nos[0] if first and first.registration_nos else "-")
    source = "given" if claim.name or claim.birth_date else ("first_document" if first else "none")
    return Patient(name=name, birth_date=born, sex=Sex.UNKNOWN, identifier=number), source


def _compact_page(page: OcrPage) -> dict[str, Any]:
    return page.model_dump(exclude={"raw_text"} if page.raw_text == page.text else set())


def extract(
    paths: list[Path],
    claim: PatientClaim,
    network: Network,
    *,
    referring_org: str,
    receiving_org: str,
    planned: list[str] | None = None,
    on: date | None = None,
    kinds: list[DraftKind] | None = None,
    limits: IntakeLimits | None = None,
    backend: SummaryBackend | None = None,
    lang: str = LANG,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    limits = limits or IntakeLimits()
    checked = [(path, *check_file(path, limits)) for path in paths]  # every file is checked before any OCR
    files: list[ExtractedFile] = []
    pages: list[dict[str, Any]] = []
    sources: list[SourcePage] = []
    documents: list[DocumentRef] = []
    for number, (path, data, media_type) in enumerate(checked, start=1):
        sha, size = hashlib.sha256(data).hexdigest(), len(data)
        count = 0
        for page in ocr_pages(data, media_type, lang):
            count += 1
            pages.append({"file": str(path), **_compact_page(page)})
            sources.append(SourcePage(sha, page.page, page.text, tuple(page.words)))
            if progress:
                progress(f"{path.name}: page {page.page} ({page.method}) — file {number}/{len(checked)}")
        del data
        files.append(ExtractedFile(path=str(path), sha256=sha, media_type=media_type, pages=count))
        documents.append(DocumentRef(key=sha, sha256=sha, media_type=media_type, page_count=max(1, count),
                                     size_bytes=max(1, size), filename=path.name))  # fmt: skip
    identities = [read_page(s.document_key, s.page, s.text) for s in sources]
    patient, reference = _reference_patient(claim, identities)
    when = on or date.today()
    referral = Referral(
        referral_id="local-extract", patient=patient, referring=Party(org=referring_org, department="-",
        clinician=Clinician(name="-")), receiving=Party(org=receiving_org, department="-"),
        priority=Priority.ROUTINE, reason="-", documents=documents,
        submitted_at=datetime.combine(when, time(), UTC),
        fingerprint=hashlib.sha256("".join(f.sha256 for f in files).encode()).hexdigest(),
    )  # fmt: skip
    orders = [PlannedOrder(name=order, planned_on=when) for order in planned or []]
    outcome = summarize_pages(sources, referral, network, backend or ExtractorBackend(),
                              kinds=kinds or list(INTAKE_DRAFTS), planned_orders=orders, on=when)  # fmt: skip
    return {
        "schema": SCHEMA,
        "files": [f.model_dump() for f in files],
        "pages": pages,
        "summary": outcome.summary.model_dump(mode="json"),
        "identity": {
            "reference": reference,
            "pages": [i.model_dump(mode="json") for i in identities],
            "findings": [f.model_dump() for f in outcome.identity],
        },
        "duplicates": {
            "on": when.isoformat(),
            "planned": planned or [],
            "avoidable": [r.model_dump(mode="json") for r in outcome.guard.repeats],
            "still_valid": [r.model_dump(mode="json") for r in outcome.shown.repeats],
        },
        "drafts": [d.model_dump(mode="json") for d in outcome.drafts],
    }
