"""The receiving side's care stage of ReferralWorkflow (a mixin). Once it has accepted the referral, the receiving
side may plan an operation: a 마취 전 상태평가 is drafted for its anaesthesiologist to sign. While the patient is in
care, it adds documents of the stay (OCR'd at once) and asks for the outcome documents: the discharge summary and
회송서 are drafted from everything on record, signed by its attending, and delivered back to the referring hospital;
the referring gateway's receipt completes the referral (COMPLETED), and the referring side's acknowledgement closes
the loop (LOOP_CLOSED)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from flows.referral.io import OcrSummary, OutcomeRequest, ProcessingStage
    from referral.models import DocumentRef, Referral
    from referral.review_plan import PlannedOperation, ReviewRoundName
    from referral.states import ReferralState

_OPERATION_PLANNED_IN = frozenset({ReferralState.ACCEPTED, ReferralState.SCHEDULED, ReferralState.IN_CARE})
_IN_CARE = frozenset({ReferralState.IN_CARE})


class OutcomeStage:
    _referral: Referral
    _state: ReferralState
    _stage: ProcessingStage
    _ocr: list[OcrSummary]

    def _init_outcome(self) -> None:
        self._interim: list[DocumentRef] = []
        self._interim_documents = 0
        self._outcome: OutcomeRequest | None = None
        self._outcome_requested = False
        self._operations: list[PlannedOperation] = []
        self._operation: PlannedOperation | None = None  # the one whose assessment is drafted or under review
        self._operation_asked = False

    @workflow.update
    def plan_operation(self, request: PlannedOperation) -> None:
        """The receiving side records a planned operation: its pre-anesthesia assessment is drafted."""
        self._operations.append(request)
        self._operation = request
        self._operation_asked = True

    def _receiving_side_may(self, org: str, states: frozenset[ReferralState], what: str) -> None:
        """Refuse (a validator's answer: nothing changes) unless the receiving side asks, in one of `states`."""
        if org != self._referral.receiving.org:
            raise ApplicationError(f"only the receiving side {what}", type="NotAParty", non_retryable=True)
        if self._state not in states:
            raise ApplicationError(f"the receiving side {what} in {' / '.join(sorted(states))}, not in {self._state}",
                                   type="TransitionRefused", non_retryable=True)  # fmt: skip

    @plan_operation.validator
    def validate_operation(self, request: PlannedOperation) -> None:
        self._receiving_side_may(request.org, _OPERATION_PLANNED_IN, "plans an operation")
        if self._operation is not None:
            raise ApplicationError("the assessment of the last planned operation is still being drafted or reviewed",
                                   type="TransitionRefused", non_retryable=True)  # fmt: skip

    async def _operation_pipeline(self) -> None:
        try:
            await self._run_round(ReviewRoundName.OPERATION)
        finally:
            self._operation = None  # decided (or closed): the next operation may be planned

    @workflow.update
    def add_interim_documents(self, request: OutcomeRequest) -> None:
        """Documents of the stay (pre-anesthesia, pathology, admission notes): OCR'd now, summarised at outcome."""
        self._interim += request.documents

    @add_interim_documents.validator
    def validate_interim(self, request: OutcomeRequest) -> None:
        self._receiving_side_may(request.org, _IN_CARE, "adds documents of the stay")
        if not request.documents:
            raise ApplicationError("no documents of the stay were sent", type="TransitionRefused", non_retryable=True)

    async def _interim_pipeline(self, documents: list[DocumentRef]) -> None:
        try:
            self._ocr = self._ocr + await self._ocr_documents(documents)
            self._interim_documents += len(documents)
        except ActivityError as err:
            self._fail(ProcessingStage.OCR_FAILED, err)

    @workflow.update
    def request_outcome(self, request: OutcomeRequest) -> None:
        self._outcome_requested = True
        self._outcome = request

    @request_outcome.validator
    def validate_outcome(self, request: OutcomeRequest) -> None:
        self._receiving_side_may(request.org, _IN_CARE, "asks for the outcome drafts")
        if self._outcome_requested:
            raise ApplicationError("the outcome was already requested", type="TransitionRefused", non_retryable=True)

    if TYPE_CHECKING:  # provided by ReferralWorkflow or another of its stages: declared here, never shadowed

        def _set_stage(self, stage: ProcessingStage) -> None: ...
        def _fail(self, stage: ProcessingStage, err: ActivityError) -> None: ...
        async def _ocr_documents(self, documents: list[DocumentRef]) -> list[OcrSummary]: ...
        async def _run_round(self, name: ReviewRoundName) -> bool: ...
        async def _deliver(self, target_org: str, event: str) -> None: ...

    async def _outcome_pipeline(self, request: OutcomeRequest) -> None:
        self._set_stage(ProcessingStage.OUTCOME_RUNNING)
        try:
            self._ocr = self._ocr + await self._ocr_documents(request.documents)
        except ActivityError as err:
            self._fail(ProcessingStage.OCR_FAILED, err)
            return
        if await self._run_round(ReviewRoundName.OUTCOME):  # the attending signs the 회송 documents
            await self._deliver(self._referral.referring.org, "return-referral")
