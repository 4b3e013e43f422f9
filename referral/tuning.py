"""Timers, retries and model-call limits of the referral workflows: one group of Settings, one default each."""

from __future__ import annotations

from pydantic import BaseModel, Field

from referral.models import Priority
from referral.ocr import LANG
from referral.states import ReferralState

DAY = 24 * 3600


def _default_sla() -> dict[ReferralState, int]:
    # domain.md: accept or decline <= 14 days; acknowledge <= 7 days. Calendar days, not working days.
    return {
        ReferralState.RECEIVED: 14 * DAY,
        ReferralState.ACCEPTED: 14 * DAY,
        ReferralState.CANCEL_REQUESTED: 3 * DAY,
        ReferralState.COMPLETED: 7 * DAY,
        ReferralState.RETURNED_WITH_ADVICE: 7 * DAY,
    }


def _default_receipt_sla() -> dict[Priority, int]:
    # delivery receipt <= 1 working day (urgent) / 3 (routine)
    return {Priority.EMERGENCY: 4 * 3600, Priority.URGENT: DAY, Priority.ROUTINE: 3 * DAY}


class WorkflowTuning(BaseModel):
    """Timers, retries and model-call limits of the referral workflows: the `workflow` group of Settings
    (REFERRAL_WORKFLOW__REVIEW_REMINDER_S=…), copied into each workflow's input when it starts."""

    ocr_lang: str = LANG
    ocr_heartbeat_timeout_s: float = 120.0
    sla_seconds: dict[ReferralState, int] = Field(default_factory=_default_sla)
    receipt_sla_seconds: dict[Priority, int] = Field(default_factory=_default_receipt_sla)
    review_reminder_s: float = 24 * 3600
    # a review round whose board has not taken its tasks after this long (Label Studio down or slow) shows the
    # referral its drafts meanwhile; otherwise the referral hears of the drafts with their tasks, in one report
    review_board_wait_s: float = Field(default=10.0, gt=0)
    review_escalate_after: int = 3
    delivery_retry_initial_s: float = 2.0
    delivery_retry_max_s: float = 60.0
    sla_reminder_every_s: float = DAY
    sla_escalate_after: int = 2
    asr_chunk_s: float = Field(default=30.0, gt=1, le=30)  # Whisper's window is 30 s
    pacs_retry_initial_s: float = 2.0
    pacs_attempts: int = 8
    pacs_lookback_days: int = 730
