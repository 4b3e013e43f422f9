"""Builders for test referrals and waiting on workflow state."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date

from temporalio.client import Client

from referral.models import Clinician, Party, Patient, Priority, ReferralRequest, Sex
from referral.operations import get_status
from referral.workflow_io import ProcessingStage, ReferralStatus

PATIENT_NAME = "홍길순"


def make_request(
    referring: str = "yeongwol-mc",
    receiving: str = "knuh",
    priority: Priority = Priority.URGENT,
    patient_name: str = PATIENT_NAME,
) -> ReferralRequest:
    return ReferralRequest(
        patient=Patient(
            name=patient_name,
            birth_date=date(1951, 3, 14),
            sex=Sex.FEMALE,
            identifier=f"MRN-{uuid.uuid4().hex[:10]}",
        ),
        referring=Party(org=referring, department="내과", clinician=Clinician(name="김의사", license_no="12345")),
        receiving=Party(org=receiving, department="순환기내과"),
        priority=priority,
        reason="흉통 평가 및 관상동맥 조영술 의뢰 (evaluation of chest pain)",
    )


async def wait_for_stage(
    client: Client, referral_id: str, stages: set[ProcessingStage], timeout_s: float = 180
) -> ReferralStatus:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        status = await get_status(client, referral_id)
        if status.stage in stages:
            return status
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"referral {referral_id} stayed in {status.stage}")
        await asyncio.sleep(0.5)
