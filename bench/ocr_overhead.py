"""Overhead of the system over a plain loop: N referrals of 3 scanned pages each, submitted and carried through
intake and OCR by the real Temporal dev server and workers, against a plain Python loop calling the same OCR
functions on the same pages, with the same number of OCR slots (cores) in both.

    .venv/bin/python bench/ocr_overhead.py [--referrals 4] [--slots 1]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import secrets
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from flows.referral.io import ProcessingStage
from referral.config import Settings
from referral.models import Clinician, ConsentBasis, ExchangeConsent, Party, Patient, Priority, ReferralRequest, Sex
from referral.network import default_network
from referral.ocr import LANG  # noqa: E402
from referral.ocr.engine import ocr_pages
from referral.operations import get_status
from referral.submission import IncomingFile, submit_referral
from referral.synthetic import clinical_record, render_page, scanned_pdf
from workers.embedded import embedded_stack

OCR_FINISHED = {ProcessingStage.OCR_DONE, ProcessingStage.SUMMARY_RUNNING, ProcessingStage.AWAITING_REVIEW}


def documents(count: int) -> list[bytes]:
    return [
        scanned_pdf([render_page(clinical_record(500 + 3 * r + p).lines, damage=0.5, seed=r + p) for p in range(3)])
        for r in range(count)
    ]


def request(index: int) -> ReferralRequest:
    return ReferralRequest(
        consent=ExchangeConsent(basis=ConsentBasis.PATIENT, given_at=datetime.now(UTC), recorded_by="bench"),
        patient=Patient(name="벤치환자", birth_date="1960-01-01", sex=Sex.MALE, identifier=f"BENCH-{index}"),
        referring=Party(org="yeongwol-mc", department="내과", clinician=Clinician(name="벤치")),
        receiving=Party(org="knuh", department="순환기내과"),
        priority=Priority.ROUTINE,
        reason="benchmark",
    )


def plain_loop(pdfs: list[bytes], slots: int) -> float:
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=slots) as pool:
        list(pool.map(lambda pdf: list(ocr_pages(pdf, "application/pdf", LANG)), pdfs))
    return time.perf_counter() - start


async def through_system(pdfs: list[bytes], slots: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(namespace="default", data_dir=Path(tmp),
                            payload_key=base64.b64encode(secrets.token_bytes(32)).decode())  # fmt: skip
        async with embedded_stack(settings, gpu_slots=slots) as (client, store):
            start = time.perf_counter()
            ids = [
                (await submit_referral(client, store, default_network(), settings, request(i),
                                       [IncomingFile("record.pdf", pdf)])).referral_id
                for i, pdf in enumerate(pdfs)
            ]  # fmt: skip
            pending = set(ids)
            while pending:
                for referral_id in list(pending):
                    if (await get_status(client, referral_id)).stage in OCR_FINISHED:
                        pending.discard(referral_id)
                await asyncio.sleep(0.1)
            elapsed = time.perf_counter() - start
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--referrals", type=int, default=4)
    parser.add_argument("--slots", type=int, default=1)
    args = parser.parse_args()
    pdfs = documents(args.referrals)
    plain_loop(pdfs[:1], 1)  # warm caches (fonts, tessdata) for both sides
    plain = plain_loop(pdfs, args.slots)
    system = asyncio.run(through_system(pdfs, args.slots))
    pages = 3 * args.referrals
    print(f"{args.referrals} referrals x 3 pages, {args.slots} OCR slot(s)")
    print(f"plain loop   {plain:7.2f} s  ({plain / pages:.2f} s/page)")
    print(f"system       {system:7.2f} s  ({system / pages:.2f} s/page)")
    print(f"overhead ratio system/plain = {system / plain:.3f}")


if __name__ == "__main__":
    main()
