"""The 회송 (return referral) stage of ReferralWorkflow (a mixin). While the patient is in care, the receiving
side asks for the outcome documents: the documents of the stay are OCR'd, the discharge summary and 회송서 are
drafted from everything on record, reviewed and signed like every draft, and delivered back to the referring
hospital; the referring gateway's receipt completes the referral (COMPLETED), and the referring side's
acknowledgement closes the loop (LOOP_CLOSED)."""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError, CancelledError

with workflow.unsafe.imports_passed_through():
    from referral.models import DocumentRef, Referral, Side
    from referral.states import ReferralState
    from referral.summary.drafts import DraftKind
    from referral.workflow_io import OcrSummary, OutcomeRequest, ProcessingStage
    from review.models import ReviewState

OUTCOME_DRAFTS = [DraftKind.DISCHARGE_SUMMARY, DraftKind.RETURN_LETTER]


class OutcomeStage:
    _referral: Referral
    _state: ReferralState
    _stage: ProcessingStage
    _ocr: list[OcrSummary]
    _reviews: dict[int, ReviewState]

    def _init_outcome(self) -> None:
        self._interim: list[DocumentRef] = []
        self._interim_documents = 0
        self._outcome: OutcomeRequest | None = None
        self._outcome_requested = False
        self._past_reviews: list[ReviewState] = []

    @workflow.update
    def add_interim_documents(self, request: OutcomeRequest) -> None:
        """Documents of the stay (pre-anesthesia, pathology, admission notes): OCR'd now, summarised at outcome."""
        self._interim += request.documents

    @add_interim_documents.validator
    def validate_interim(self, request: OutcomeRequest) -> None:
        if request.org != self._referral.receiving.org:
            raise ApplicationError("only the receiving side adds documents of the stay", type="NotAParty",
                                   non_retryable=True)  # fmt: skip
        if self._state != ReferralState.IN_CARE or not request.documents:
            raise ApplicationError(f"documents of the stay are added while in care, not in {self._state}",
                                   type="TransitionRefused", non_retryable=True)  # fmt: skip

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
        if request.org != self._referral.receiving.org:
            raise ApplicationError("only the receiving side drafts the outcome", type="NotAParty", non_retryable=True)
        if self._state != ReferralState.IN_CARE:
            raise ApplicationError(f"the outcome is drafted while the patient is in care, not in {self._state}",
                                   type="TransitionRefused", non_retryable=True)  # fmt: skip
        if self._outcome_requested:
            raise ApplicationError("the outcome was already requested", type="TransitionRefused", non_retryable=True)

    def _set_stage(self, stage: ProcessingStage) -> None:
        raise NotImplementedError

    def _fail(self, stage: ProcessingStage, err: ActivityError) -> None:
        raise NotImplementedError

    async def _ocr_documents(self, documents: list[DocumentRef]) -> list[OcrSummary]:
        raise NotImplementedError

    async def _summarize(self, kinds: list[DraftKind] | None = None) -> bool:
        raise NotImplementedError

    async def _review_until_decided(self, side: Side) -> None:
        raise NotImplementedError

    async def _deliver(self, target_org: str, event: str) -> None:
        raise NotImplementedError

    async def _outcome_pipeline(self, request: OutcomeRequest) -> None:
        self._set_stage(ProcessingStage.OUTCOME_RUNNING)
        try:
            self._ocr = self._ocr + await self._ocr_documents(request.documents)
        except ActivityError as err:
            self._fail(ProcessingStage.OCR_FAILED, err)
            return
        self._past_reviews += list(self._reviews.values())
        self._reviews = {}
        if not await self._summarize(OUTCOME_DRAFTS):
            return
        try:
            await self._review_until_decided(Side.RECEIVING)  # the attending signs the 회송 documents
        except ActivityError as err:
            if not isinstance(err.cause, CancelledError):
                raise
            return  # the referral closed while the outcome was under review
        if self._stage == ProcessingStage.SIGNED:
            await self._deliver(self._referral.referring.org, "return-referral")
