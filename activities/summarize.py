"""The summary stage, on the GPU worker's task queue: structured summary with evidence from the OCR'd pages,
the duplicate-test guard, and the draft documents (text for review, PDF for delivery), all stored as objects."""

from __future__ import annotations

from pydantic import BaseModel, Field
from temporalio import activity

from activities.stored import read_stored
from flows.referral.io import DraftRef, OcrSummary, PageRef, SummaryResult, TranscriptSummary
from referral.asr.models import Transcript
from referral.models import Referral
from referral.network import Network
from referral.ocr.models import OcrDocument
from referral.pacs.models import StudyRef
from referral.review_plan import PlannedOperation
from referral.storage import DocumentStore
from referral.summary.backends import ExtractorBackend, SummaryBackend
from referral.summary.drafts import INTAKE_DRAFTS, DraftKind, draft_pdf
from referral.summary.guard import PlannedOrder
from referral.summary.media import study_items, transcript_page
from referral.summary.pipeline import summarize_pages
from referral.summary.source import SourcePage, pages_of


def _excluded(page: SourcePage, excluded: list[PageRef]) -> bool:
    return any(e.document_key == page.document_key and e.page in (None, page.page) for e in excluded)


class SummarizeInput(BaseModel):
    referral: Referral
    ocr: list[OcrSummary]
    transcripts: list[TranscriptSummary] = Field(default_factory=list)
    studies: list[StudyRef] = Field(default_factory=list)
    planned_orders: list[PlannedOrder] = Field(default_factory=list)
    kinds: list[DraftKind] = Field(default_factory=lambda: list(INTAKE_DRAFTS))
    excluded_pages: list[PageRef] = Field(default_factory=list)  # removed by a reviewer: another patient's
    with_pathology: list[DraftKind] = Field(default_factory=lambda: [DraftKind.PATHOLOGY_REVIEW])
    operation: PlannedOperation | None = None  # the operation round: what the pre-anesthesia draft is for


class SummaryActivities:
    def __init__(self, store: DocumentStore, network: Network, backend: SummaryBackend | None = None) -> None:
        self.store = store
        self.network = network
        self.backend = backend or ExtractorBackend()

    def _read(self, key: str, what: str) -> bytes:
        return read_stored(self.store, key, what)

    def _pages(self, ocr: list[OcrSummary]) -> list[SourcePage]:
        pages: list[SourcePage] = []
        for result in ocr:
            pages += pages_of(
                result.document_key, OcrDocument.model_validate_json(self._read(result.ocr_key, "OCR output"))
            )
            activity.heartbeat(len(pages))
        return pages

    def _transcripts(self, summaries: list[TranscriptSummary]) -> dict[str, Transcript]:
        return {
            t.transcript_key: Transcript.model_validate_json(self._read(t.transcript_key, "transcript"))
            for t in summaries
        }

    def _put_json(self, model: BaseModel) -> str:
        return self.store.put(model.model_dump_json().encode(), "application/json").key

    @activity.defn
    def summarize_records(self, inp: SummarizeInput) -> SummaryResult:
        transcripts = self._transcripts(inp.transcripts)
        pages = [transcript_page(key, t) for key, t in transcripts.items()] + self._pages(inp.ocr)
        pages = [p for p in pages if not _excluded(p, inp.excluded_pages)]
        # the drafts list every prior test still valid, planned or not; the count stays that of planned repeats
        outcome = summarize_pages(
            pages, inp.referral, self.network, self.backend, kinds=inp.kinds, planned_orders=inp.planned_orders,
            studies=study_items(inp.studies), transcripts=transcripts, progress=activity.heartbeat,
            with_pathology=inp.with_pathology, operation=inp.operation,
        )  # fmt: skip
        summary, guard = outcome.summary, outcome.guard
        drafts = []
        for draft in outcome.drafts:
            kind = draft.kind
            drafts.append(DraftRef(
                kind=kind, text_key=self._put_json(draft),
                pdf_key=self.store.put(draft_pdf(draft), "application/pdf").key,
                facts=len(draft.evidence), omissions=draft.omissions,
            ))  # fmt: skip
            activity.heartbeat(kind.value)
        return SummaryResult(
            summary_key=self._put_json(summary), backend=summary.backend, items=len(summary.items()),
            empty_reason=summary.empty_reason, duplicate_tests=len(guard.repeats),
            avoidable_cost_krw=guard.total_example_cost_krw, drafts=drafts, identity=outcome.identity,
        )  # fmt: skip
