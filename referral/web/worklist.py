"""The worklist's rows and buckets: which referrals a side works on now, in the order their clocks run out.

Buckets and labels are data (referral/data/worklist.yaml); this module sorts referrals into them, masks the patient
for lists, and says in Korean how long a referral has waited and how its SLA clock stands."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict, Field
from temporalio.client import Client
from temporalio.service import RPCError

from flows.referral.io import ProcessingStage, ReferralParticulars
from referral.models import Patient, Priority, Sex, Side
from referral.operations import ListedReferral, ReferralNotFound, get_particulars, list_referrals
from referral.states import ReferralEvent, ReferralState

KST = ZoneInfo("Asia/Seoul")
_WEEKDAYS = "월화수목금토일"
MAX_ROWS = 100
QUERY_TIMEOUT_S = 5.0
_PRIORITY_ORDER = {Priority.EMERGENCY: 0, Priority.URGENT: 1, Priority.ROUTINE: 2}


class Bucket(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str
    label: str
    states: frozenset[ReferralState]
    stages: frozenset[ProcessingStage] = Field(default_factory=frozenset)
    closed: bool = False


class WorklistVocabulary(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    states: dict[ReferralState, str]
    events: dict[ReferralEvent, str]
    priorities: dict[Priority, str]
    buckets: dict[Side, list[Bucket]]

    def bucket_of(self, side: Side, state: ReferralState, stage: ProcessingStage | None) -> Bucket | None:
        """The bucket of `side` for a referral: one naming its stage first, else one that names no stage."""
        candidates = [b for b in self.buckets[side] if state in b.states]
        return next((b for b in candidates if stage in b.stages), None) or next(
            (b for b in candidates if not b.stages), None
        )


@cache
def vocabulary() -> WorklistVocabulary:
    text = resources.files("referral").joinpath("data/worklist.yaml").read_text(encoding="utf-8")
    return WorklistVocabulary.model_validate(yaml.safe_load(text))


def masked_name(name: str) -> str:
    """홍길동 → 홍*동, 김철 → 김*, 남궁민수 → 남**수: enough to tell rows apart, not to identify a patient."""
    name = name.strip()
    if len(name) <= 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def korean_datetime(at: datetime | None, with_time: bool = True) -> str:
    """2026년 12월 1일 (화) 14:30 in Korea Standard Time."""
    if at is None:
        return "-"
    local = at.astimezone(KST)
    day = f"{local.year}년 {local.month}월 {local.day}일 ({_WEEKDAYS[local.weekday()]})"
    return f"{day} {local:%H:%M}" if with_time else day


def span_in_korean(delta: timedelta) -> str:
    minutes = int(abs(delta).total_seconds() // 60)
    days, hours, mins = minutes // 1440, minutes % 1440 // 60, minutes % 60
    if days:
        return f"{days}일 {hours}시간"
    return f"{hours}시간 {mins}분" if hours else f"{mins}분"


@dataclass(frozen=True)
class SlaClock:
    text: str
    overdue: bool


def sla_clock(due_at: datetime | None, now: datetime) -> SlaClock:
    if due_at is None:
        return SlaClock("-", False)
    left = due_at - now
    if left < timedelta(0):
        return SlaClock(f"{span_in_korean(left)} 지연 (overdue)", True)
    return SlaClock(f"{span_in_korean(left)} 남음 (left)", False)


@dataclass(frozen=True)
class WorklistRow:
    referral_id: str
    bucket: Bucket
    state: ReferralState
    priority: Priority
    patient: str  # masked
    patient_detail: str  # birth year and sex
    reason: str
    department: str
    other_org: str
    waiting: str
    due_at: datetime | None
    clock: SlaClock
    escalated: bool


@dataclass
class Worklist:
    side: Side
    counts: dict[str, int]  # bucket key → referrals in it
    overdue: int
    rows: list[WorklistRow]
    matching: int = 0  # referrals the filters on the listing matched (rows: the first MAX_ROWS by due time)
    unavailable: int = 0  # rows left out because their workflow did not answer in time


SEX_LABELS = {Sex.MALE: "남", Sex.FEMALE: "여", Sex.OTHER: "기타", Sex.UNKNOWN: "-"}


def _patient_detail(patient: Patient) -> str:
    return f"{patient.birth_date.year}년생 · {SEX_LABELS[patient.sex]}"


def _row(
    listed: ListedReferral, bucket: Bucket, particulars: ReferralParticulars, side: Side, now: datetime,
    org_name: dict[str, str],
) -> WorklistRow:  # fmt: skip
    other = listed.referring_org if side == Side.RECEIVING else listed.receiving_org
    submitted = listed.started_at or particulars.submitted_at
    reason = particulars.reason.strip().splitlines()[0] if particulars.reason.strip() else ""
    return WorklistRow(
        referral_id=listed.referral_id, bucket=bucket, state=ReferralState(listed.status or "DRAFT"),
        priority=Priority(listed.priority or "routine"), patient=masked_name(particulars.patient.name),
        patient_detail=_patient_detail(particulars.patient), reason=reason[:80] + ("…" if len(reason) > 80 else ""),
        department=particulars.receiving.department, other_org=org_name.get(other or "", other or "-"),
        waiting=span_in_korean(now - submitted), due_at=listed.due_at,
        clock=sla_clock(None if bucket.closed else listed.due_at, now), escalated=particulars.escalated_for(side),
    )  # fmt: skip


@dataclass(frozen=True)
class WorklistFilter:
    bucket: str | None = None
    priority: Priority | None = None
    department: str | None = None
    overdue_only: bool = False
    escalated_only: bool = False
    due_within_h: int | None = None


async def build_worklist(
    client: Client, org: str, side: Side, chosen: WorklistFilter, org_name: dict[str, str],
    now: datetime | None = None, limit: int = 500, with_rows: bool = True,
) -> Worklist:  # fmt: skip
    """Counts per bucket of `side`'s referrals of `org`, and (`with_rows`) the rows of the chosen bucket, or of
    all open ones when none is chosen, after the filters, sorted by due time then priority. The receiving side's
    list holds only delivered referrals (the visibility query says so)."""
    at = now or datetime.now(UTC)
    words = vocabulary()
    listed = await list_referrals(client, org=org, side=side, limit=limit)
    placed: list[tuple[ListedReferral, Bucket]] = []
    counts = {b.key: 0 for b in words.buckets[side]}
    overdue = 0
    for item in listed:
        stage = ProcessingStage(item.stage) if item.stage else None
        bucket = words.bucket_of(side, ReferralState(item.status or "DRAFT"), stage)
        if bucket is None:
            continue
        counts[bucket.key] += 1
        late = not bucket.closed and item.due_at is not None and item.due_at < at
        overdue += late
        if not with_rows or chosen.bucket and bucket.key != chosen.bucket or not chosen.bucket and bucket.closed:
            continue
        if chosen.priority and item.priority != chosen.priority or chosen.overdue_only and not late:
            continue
        if chosen.due_within_h is not None and (item.due_at is None or item.due_at > at + timedelta(
                hours=chosen.due_within_h)):  # fmt: skip
            continue
        placed.append((item, bucket))
    far = datetime.max.replace(tzinfo=UTC)
    placed.sort(key=lambda p: (p[1].closed, p[0].due_at or far, _PRIORITY_ORDER[Priority(p[0].priority or "routine")]))
    shown = len(placed)
    placed = placed[:MAX_ROWS]  # the referrals due first; each row asks its workflow who and why

    async def particulars(item: ListedReferral) -> ReferralParticulars | None:
        try:  # all at once, each for at most the timeout: a workflow whose worker is away does not hold up the list
            return await asyncio.wait_for(get_particulars(client, item.referral_id), QUERY_TIMEOUT_S)
        except (ReferralNotFound, TimeoutError, RPCError):
            return None

    found = await asyncio.gather(*(particulars(item) for item, _ in placed))
    rows = [
        _row(item, bucket, p, side, at, org_name)
        for (item, bucket), p in zip(placed, found, strict=True)
        if p is not None
        and (not chosen.department or p.receiving.department == chosen.department)
        and (not chosen.escalated_only or p.escalated_for(side))
    ]
    return Worklist(side, counts, overdue, rows, matching=shown, unavailable=found.count(None))
