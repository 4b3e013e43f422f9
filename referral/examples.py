"""Bundled example referrals for `referral dev`: one per pilot region, fictional patients, documents rendered
on the fly (a damaged scan and an EMR print with a text layer)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from referral.models import (
    Clinician,
    ConsentBasis,
    ExchangeConsent,
    Party,
    Patient,
    Priority,
    ReferralRequest,
    Sex,
)
from referral.pacs.demo import demo_study
from referral.submission import IncomingFile
from referral.synthetic import clinical_record, image_bytes, render_page, text_pdf

_EXAMPLES = [
    ("yeongwol-mc", "knuh", "순환기내과", Priority.URGENT, "흉통 평가 및 관상동맥 조영술 의뢰"),
    ("seongnam-mc", "snuh", "내분비내과", Priority.ROUTINE, "조절되지 않는 당뇨병 및 신기능 저하 평가"),
    ("kwangju-christian", "cnuh", "외과", Priority.EMERGENCY, "폐결절 조직검사 및 수술 전 평가"),
]


# the examples' patients consented once; a fixed time keeps each example's submission the same (idempotent)
_CONSENTED = datetime(2026, 5, 29, 9, 0, tzinfo=UTC)


def example_institutions() -> list[str]:
    """Every institution an example referral names, referring or receiving."""
    return sorted({org for referring, receiving, *_ in _EXAMPLES for org in (referring, receiving)})


def example_studies(today: date) -> list[tuple[str, bytes]]:
    """(institution, DICOM instance) for the referring PACS of the first example: a chest CT 20 days ago (still
    valid: the drafts say not to repeat it) and a chest X-ray of last year."""
    _, request, _ = example_referrals()[0]
    patient, org = request.patient, request.referring.org
    return [(org, demo_study(patient, today - timedelta(days=20), "CT", "CHEST CT 흉부 조영증강")),
            (org, demo_study(patient, today - timedelta(days=400), "DX", "CHEST PA 흉부 X선"))]  # fmt: skip


def example_referrals() -> list[tuple[str, ReferralRequest, list[IncomingFile]]]:
    """(idempotency key, request, files) for each example."""
    examples = []
    for seed, (referring, receiving, department, priority, reason) in enumerate(_EXAMPLES, start=1):
        record = clinical_record(seed)
        request = ReferralRequest(
            consent=ExchangeConsent(basis=ConsentBasis.PATIENT, given_at=_CONSENTED, recorded_by="진료협력센터 (예시)"),
            # the patient printed on the example's records: identity is checked on every page
            patient=Patient(name=record.patient_name, birth_date=record.birth_date, sex=Sex.MALE,
                            identifier=record.registration_no),
            referring=Party(org=referring, department="내과", clinician=Clinician(name="예시의사")),
            receiving=Party(org=receiving, department=department),
            priority=priority,
            reason=reason,
        )  # fmt: skip
        files = [
            IncomingFile(
                f"outside-record-scan-{seed}.png", image_bytes(render_page(record.lines, damage=0.6, seed=seed))
            ),
            IncomingFile(f"referral-letter-{seed}.pdf", text_pdf(record.lines)),
        ]
        examples.append((f"example-{seed}", request, files))
    return examples
