"""Intake validation: every stored document is read back, hash-checked and inspected again before OCR."""

from __future__ import annotations

from pydantic import BaseModel
from temporalio import activity
from temporalio.exceptions import ApplicationError

from referral.config import IntakeLimits
from referral.documents import DocumentRejected, inspect_document
from referral.models import DocumentRef
from referral.storage import DocumentStore, IntegrityError, ObjectNotFound


class VerifyDocumentsInput(BaseModel):
    documents: list[DocumentRef]


class IntakeReport(BaseModel):
    documents: int
    pages: int


class IntakeActivities:
    def __init__(self, store: DocumentStore, limits: IntakeLimits) -> None:
        self.store = store
        self.limits = limits

    @activity.defn
    def verify_documents(self, inp: VerifyDocumentsInput) -> IntakeReport:
        pages = 0
        for index, document in enumerate(inp.documents, start=1):
            try:
                data = self.store.get(document.key)
                inspected = inspect_document(data, self.limits)
            except ObjectNotFound:
                raise ApplicationError(
                    f"document {index} is not in the store", type="DocumentMissing", non_retryable=True
                ) from None
            except IntegrityError:
                raise ApplicationError(
                    f"document {index} failed its hash check", type="IntegrityError", non_retryable=True
                ) from None
            except DocumentRejected as err:
                message = f"document {index}: {err}"
                raise ApplicationError(message, type="DocumentRejected", non_retryable=True) from None
            if (inspected.media_type, inspected.page_count) != (document.media_type, document.page_count):
                raise ApplicationError(
                    f"document {index} does not match its intake record", type="DocumentRejected", non_retryable=True
                )
            pages += inspected.page_count
        return IntakeReport(documents=len(inp.documents), pages=pages)
