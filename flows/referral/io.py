"""The referral workflow's contract with its clients: the typed inputs and outputs of ReferralWorkflow (its start
input, its updates and signals, and its query results), beside the workflow; the API, the CLI, the activities and
the FHIR messages use these types, never the workflow's internals."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from referral.identity import IdentityFinding
from referral.models import DocumentRef, Party, Patient, Priority, Referral, ReferralType, Side
from referral.orders import OrderCheck, OrderChoiceRecord
from referral.pacs.models import ImagingStatus
from referral.reasons import ReasonCodes, default_reason_codes
from referral.review_plan import PlannedOperation, ReviewPlan, ReviewRoundName
from referral.states import ReferralEvent, ReferralState
from referral.tuning import WorkflowTuning
from review.models import ReviewState


class ProcessingStage(StrEnum):
    SUBMITTED = "SUBMITTED"
    INTAKE_VALIDATED = "INTAKE_VALIDATED"
    OCR_RUNNING = "OCR_RUNNING"
    OCR_DONE = "OCR_DONE"
    SUMMARY_RUNNING = "SUMMARY_RUNNING"
    AWAITING_REVIEW = "AWAITING_REVIEW"
    SIGNED = "SIGNED"
    OUTCOME_RUNNING = "OUTCOME_RUNNING"
    DELIVERING = "DELIVERING"
    DELIVERED = "DELIVERED"
    DELIVERY_FAILED = "DELIVERY_FAILED"
    REVIEW_REJECTED = "REVIEW_REJECTED"
    INTAKE_FAILED = "INTAKE_FAILED"
    OCR_FAILED = "OCR_FAILED"
    SUMMARY_FAILED = "SUMMARY_FAILED"
    TRANSCRIPTION_FAILED = "TRANSCRIPTION_FAILED"
    CONSENT_WITHDRAWN = "CONSENT_WITHDRAWN"  # the patient withdrew consent: nothing more is sent


# The stages after which the document pipeline has nothing more to do until a clinician acts.
PIPELINE_SETTLED = frozenset(
    {
        ProcessingStage.AWAITING_REVIEW,
        ProcessingStage.DELIVERED,
        ProcessingStage.DELIVERY_FAILED,
        ProcessingStage.REVIEW_REJECTED,
        ProcessingStage.INTAKE_FAILED,
        ProcessingStage.OCR_FAILED,
        ProcessingStage.SUMMARY_FAILED,
        ProcessingStage.TRANSCRIPTION_FAILED,
        ProcessingStage.CONSENT_WITHDRAWN,
    }
)


class WorkflowSettings(WorkflowTuning):
    """What a workflow must know of the deployment; fixed at start so replay stays deterministic."""

    gpu_task_queue: str  # the model workers' queue: Settings.gpu_task_queue, or an operator's re-processing queue
    review_plan: ReviewPlan = Field(default_factory=ReviewPlan)  # the network file's: which side drafts what
    reason_codes: ReasonCodes = Field(default_factory=default_reason_codes)  # the events' coded reasons


class ReferralWorkflowInput(BaseModel):
    referral: Referral
    settings: WorkflowSettings


class OutcomeRequest(BaseModel):
    """The receiving side asks for the 회송서 and discharge summary, with the documents of the stay."""

    org: str
    actor: str = Field(min_length=1, max_length=100)
    documents: list[DocumentRef] = Field(default_factory=list)


class Appointment(BaseModel):
    """What `schedule` books: shown to both sides (BSeR business status 5.1.1)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: AwareDatetime
    minutes: int = Field(default=30, ge=5, le=24 * 60, description="the booked slot's length")
    place: str = Field(min_length=1, max_length=200, description="where: building, floor, clinic")
    department: str = Field(default="", max_length=100)


class TaskUpdate(BaseModel):
    """What the receiving side did, for the referring side's system: the referral Task's new status, the coded
    reason and the appointment (HL7 BSeR's Task updates), sent to the referring gateway in order."""

    seq: int = Field(description="the transition's number in the referral's history")
    event: ReferralEvent
    state: ReferralState = Field(description="the state it left the referral in")
    reason: str | None = None
    reason_code: str | None = None
    reason_display: str | None = None
    reason_system: str | None = None
    appointment: Appointment | None = None


class ConsentWithdrawalNote(BaseModel):
    """What the referring side records when the patient withdraws the consent to send records (the HTTP body)."""

    actor: str = Field(min_length=1, max_length=100)
    reason: str | None = Field(default=None, max_length=500)


class ConsentWithdrawal(ConsentWithdrawalNote):
    """The withdrawal as the referral receives it, from the referring institution: nothing more is sent."""

    org: str


class ConsentWithdrawalRecord(ConsentWithdrawal):
    at: datetime


class EventRequest(BaseModel):
    event: ReferralEvent
    side: Side
    org: str = Field(description="institution code of the caller")
    actor: str = Field(min_length=1, max_length=100, description="who acts: clinician or staff id")
    reason: str | None = Field(default=None, max_length=2000)
    reason_code: str | None = Field(default=None, max_length=64, description="from the event's value set")
    appointment: Appointment | None = Field(default=None, description="`schedule` only, and required there")


class TransitionRecord(BaseModel):
    seq: int
    event: ReferralEvent
    from_state: ReferralState
    to_state: ReferralState
    side: Side
    org: str
    actor: str
    at: datetime
    reason: str | None = None
    reason_code: str | None = None
    reason_display: str | None = None  # the code's display in the value set the referral started with
    appointment: Appointment | None = None


class OcrSummary(BaseModel):
    document_key: str
    ocr_key: str
    pages: int
    methods: list[str]
    mean_confidence: float
    corrections: int


class ReprocessRequest(BaseModel):
    """Re-run the summary stage (e.g. with a new model version served on another GPU task queue) and open a new
    review round for the new drafts."""

    actor: str = Field(min_length=1, max_length=100)
    reason: str = Field(min_length=1, max_length=500)
    gpu_task_queue: str | None = Field(default=None, description="the queue of workers serving the new model")


class ReprocessRecord(ReprocessRequest):
    at: datetime
    review_round: int


class TranscriptSummary(BaseModel):
    dictation_key: str
    transcript_key: str
    backend: str
    language: str
    duration_s: float
    segments: int
    chunks: int
    silent_chunks: int


class DraftRef(BaseModel):
    kind: str
    text_key: str
    pdf_key: str
    facts: int
    omissions: list[str]


class PageRef(BaseModel):
    """A page of a stored document; no page: the whole document."""

    document_key: str
    page: int | None = None


class SummaryResult(BaseModel):
    summary_key: str
    backend: str
    items: int
    empty_reason: str | None
    duplicate_tests: int
    avoidable_cost_krw: int
    drafts: list[DraftRef]
    identity: list[IdentityFinding] = Field(default_factory=list)


class DeliveryReceipt(BaseModel):
    """The receiving gateway's acknowledgement of a delivered message."""

    message_id: str
    stored_key: str
    received_at: str
    duplicate: bool
    target_org: str
    bundle_key: str | None = Field(default=None, description="the sent message Bundle in the sender's store")


class ReferralStatus(BaseModel):
    referral_id: str
    state: ReferralState
    stage: ProcessingStage
    stage_error: str | None
    priority: Priority
    referring_org: str
    receiving_org: str
    due_at: datetime | None
    fingerprint: str
    document_keys: list[str]
    ocr: list[OcrSummary]
    summary: SummaryResult | None = None
    reviews: list[ReviewState] = Field(default_factory=list)
    review_reminders: int = 0
    review_escalated: bool = False
    delivery: DeliveryReceipt | None = None
    past_reviews: list[ReviewState] = Field(default_factory=list)
    sla_reminders: int = 0
    previous_referral_id: str | None = None
    interim_documents: int = 0
    sla_escalated: bool = False
    transitions: int
    dictations: list[TranscriptSummary] = Field(default_factory=list)
    imaging: ImagingStatus | None = None
    reprocessed: list[ReprocessRecord] = Field(default_factory=list)
    reprocess_refused: list[str] = Field(
        default_factory=list, description="re-processing the round under review refused: a draft had a decision"
    )
    excluded_pages: list[PageRef] = Field(
        default_factory=list, description="pages a reviewer removed: another patient's"
    )
    order_checks: list[OrderCheck] = Field(default_factory=list, description="planned orders checked for repeats")
    order_choices: list[OrderChoiceRecord] = Field(default_factory=list, description="cancel/keep per repeat")
    review_side: Side | None = Field(default=None, description="whose drafts are (or were last) under review")
    review_round: ReviewRoundName | None = Field(default=None, description="the review plan's round of those drafts")
    appointment: Appointment | None = Field(default=None, description="the last one booked")
    consent_withdrawn: ConsentWithdrawalRecord | None = None
    task_updates_sent: int = Field(default=0, description="the receiving side's acts delivered to the referring side")
    planned_operations: list[PlannedOperation] = Field(default_factory=list, description="by the receiving side")

    def seen_by(self, side: Side) -> ReferralStatus:
        """What one side may see: its own review rounds (drafts, decisions, reasons, reminders) and not the
        other side's; the referring side's dictations stay with it. Shared: state, documents, delivery, orders."""
        own_round = self.review_side in (None, side)
        hidden: dict[str, object] = {
            "reviews": [r for r in self.reviews if r.side == side],
            "past_reviews": [r for r in self.past_reviews if r.side == side],
        }
        if not own_round:
            hidden |= {"summary": None, "stage_error": None, "review_reminders": 0, "review_escalated": False,
                       "reprocessed": [], "reprocess_refused": [], "excluded_pages": []}  # fmt: skip
        if side != Side.REFERRING:
            hidden["dictations"] = []
        return self.model_copy(update=hidden)


class ReferralParticulars(BaseModel):
    """Who and why, for a party's worklist and referral page: the patient, both ends, the clinical question, and
    whether the referral was escalated (its SLA, or the review round of `review_side`)."""

    patient: Patient
    referring: Party
    receiving: Party
    reason: str
    referral_type: ReferralType
    submitted_at: datetime
    sla_escalated: bool = False
    review_escalated: bool = False
    review_side: Side | None = None

    def escalated_for(self, side: Side) -> bool:
        """Escalated as `side` may know it: the SLA, and only its own review round's reminders."""
        return self.sla_escalated or (self.review_escalated and self.review_side == side)
