"""The OCR stage, on the GPU worker's task queue. Each finished page is stored and heartbeated, so a retry on
another worker resumes where the killed one stopped; content addressing makes a repeated page a no-op."""

from __future__ import annotations

from pydantic import BaseModel
from temporalio import activity

from activities.stored import read_stored
from flows.referral.io import OcrSummary
from referral.models import DocumentRef
from referral.ocr import LANG
from referral.ocr.engine import ENGINE, ocr_pages
from referral.ocr.models import OcrDocument, OcrPage
from referral.storage import DocumentStore


class OcrDocumentInput(BaseModel):
    document: DocumentRef
    lang: str = LANG


class OcrActivities:
    def __init__(self, store: DocumentStore) -> None:
        self.store = store

    @activity.defn
    def ocr_document(self, inp: OcrDocumentInput) -> OcrSummary:
        data = read_stored(self.store, inp.document.key, "document")
        details = activity.info().heartbeat_details
        done: dict[int, str] = {int(k): v for k, v in (details[0] if details else {}).items()}
        if done:
            activity.logger.info("resuming OCR after %d finished pages", len(done))
        for page in ocr_pages(data, inp.document.media_type, inp.lang, skip=frozenset(done)):
            if page.image is not None:  # the reviewer compares the checks with this image
                page.image_key = self.store.put(page.image, "image/png").key
            done[page.page] = self.store.put(page.model_dump_json().encode(), "application/json").key
            activity.heartbeat({str(k): v for k, v in done.items()})
        pages = [OcrPage.model_validate_json(self.store.get(done[n])) for n in sorted(done)]
        document = OcrDocument(
            document_sha256=inp.document.sha256, media_type=inp.document.media_type, engine=ENGINE, pages=pages
        )
        stored = self.store.put(document.model_dump_json().encode(), "application/json")
        confidences = [p.mean_confidence for p in pages]
        return OcrSummary(
            document_key=inp.document.key,
            ocr_key=stored.key,
            pages=len(pages),
            methods=sorted({p.method for p in pages}),
            mean_confidence=round(sum(confidences) / len(confidences), 2),
            corrections=sum(len(p.corrections) for p in pages),
        )
