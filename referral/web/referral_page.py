"""What a referral page shows one side: the referral, its documents (page images, OCR text), the signed letters,
the AI summary with its duplicate-test findings, imaging, identity findings, the history and the actions open now.

Everything is read through the same functions as the API, after the same party check, and what one side may not
see (the other side's review round, the referring side's dictations) is already removed by `seen_by`."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field, replace
from typing import Any

from temporalio.client import Client

from flows.referral.io import ReferralParticulars, ReferralStatus, TransitionRecord
from referral.models import Side
from referral.ocr.models import OcrDocument
from referral.operations import PartyStatus, get_available_actions, get_history, get_particulars, party_status
from referral.reasons import ReasonCode, ReasonCodes
from referral.states import TRANSITIONS, ReferralEvent
from referral.storage import DocumentStore
from referral.storage.base import ObjectNotFound
from referral.summary.drafts import Draft
from referral.summary.models import ClinicalSummary
from review.models import SignedDocumentRef


@dataclass(frozen=True)
class PageText:
    number: int
    text: str
    has_image: bool
    confidence: float
    removed: bool = False  # by a reviewer, as another patient's page


@dataclass(frozen=True)
class DocumentView:
    index: int
    kind: str  # 외부 기록 / 서명본 / 수신 문서
    title: str
    media_type: str
    pages: list[PageText] = field(default_factory=list)
    downloadable: bool = True


@dataclass(frozen=True)
class ActionView:
    event: ReferralEvent
    reason_required: bool
    codes: list[ReasonCode]


@dataclass
class ReferralView:
    side: Side
    status: ReferralStatus
    particulars: ReferralParticulars
    history: list[TransitionRecord]
    actions: list[ActionView]
    documents: list[DocumentView]
    signed: list[DocumentView]
    delivered: list[DocumentView]
    summary: ClinicalSummary | None
    drafts: list[Draft]  # the AI drafts of this side's round, as made (the signed versions are in `signed`)
    may_request_outcome: bool


def _json(store: DocumentStore, key: str) -> Any:
    return json.loads(store.get(key))


def _ocr_pages(store: DocumentStore, ocr_key: str) -> list[PageText]:
    document = OcrDocument.model_validate_json(store.get(ocr_key))
    return [PageText(p.page, p.text, p.image_key is not None, p.mean_confidence) for p in document.pages]


def delivered_documents(store: DocumentStore, bundle_key: str) -> list[tuple[dict[str, Any], bytes]]:
    """The DocumentReferences of the delivered message with their content (from its Binaries), in order."""
    import base64

    bundle = _json(store, bundle_key)
    resources = [e["resource"] for e in bundle.get("entry", [])]
    binaries = {r["id"]: r for r in resources if r.get("resourceType") == "Binary"}
    found = []
    for document in (r for r in resources if r.get("resourceType") == "DocumentReference"):
        attachment = document["content"][0]["attachment"]
        binary = binaries.get(attachment.get("url", "").rsplit("/", 1)[-1])
        if binary is not None:
            found.append((document, base64.b64decode(binary["data"])))
    return found


def _documents(store: DocumentStore, party: PartyStatus) -> list[DocumentView]:
    """The outside records page by page (image, OCR text). The referring side sees its originals whole, removed
    pages marked; the receiving side only the pages that were sent (the documents themselves under 받은 문서)."""
    status, receiving = party.status, party.side == Side.RECEIVING
    by_document = {o.document_key: o.ocr_key for o in status.ocr}
    views = []
    for index, key in enumerate(status.document_keys):
        try:
            media_type = store.stat(key).media_type
            pages = _ocr_pages(store, by_document[key]) if key in by_document else []
        except ObjectNotFound:
            continue
        pages = [replace(p, removed=party.page_removed(key, p.number)) for p in pages]
        if receiving:
            pages = [p for p in pages if not p.removed]
            if not pages:
                continue
        views.append(DocumentView(index, "외부 기록 (outside record)", f"문서 {index + 1} (document {index + 1})",
                                  media_type, pages, downloadable=not receiving))  # fmt: skip
    return views


def party_file(store: DocumentStore, party: PartyStatus, kind: str, index: int, page_no: int) -> tuple[bytes, str]:
    """One file of the referral for this party: an outside record (the referring side) or one page image of it
    (a removed page: the referring side only), a signed document of this side, or a document as received.
    LookupError (ObjectNotFound, IndexError, KeyError) when there is none for this party."""
    status = party.status
    if index < 0 or page_no < 0:
        raise IndexError(index)
    if kind == "document":
        key = status.document_keys[index]
        if not page_no:
            if party.side == Side.RECEIVING:
                raise KeyError("the receiving side has the documents as they were sent")
            return store.get(key), store.stat(key).media_type
        if party.side == Side.RECEIVING and party.page_removed(key, page_no):
            raise KeyError("a page removed as another patient's")
        ocr_key = next((o.ocr_key for o in status.ocr if o.document_key == key), None)
        if ocr_key is None:
            raise KeyError("not OCR'd yet")
        pages = OcrDocument.model_validate_json(store.get(ocr_key)).pages
        found = next((p for p in pages if p.page == page_no), None)
        if found is None or found.image_key is None:
            raise KeyError("no such page image")
        return store.get(found.image_key), "image/png"
    if kind == "signed":
        return store.get(_signed_documents(status)[index].pdf_key), "application/pdf"
    if kind == "received" and party.side == Side.RECEIVING and status.delivery and status.delivery.bundle_key:
        document, data = delivered_documents(store, status.delivery.bundle_key)[index]
        return data, document["content"][0]["attachment"]["contentType"]
    raise KeyError(kind)


def _signed_documents(status: ReferralStatus) -> list[SignedDocumentRef]:
    """This side's signed documents, oldest round first: the list the page numbers and `party_file` serves."""
    return [r.signed for r in [*status.past_reviews, *status.reviews] if r.signed is not None]


def _signed(status: ReferralStatus) -> list[DocumentView]:
    return [
        DocumentView(i, "서명본 (signed)", f"{s.kind} — {s.reviewer}", "application/pdf")
        for i, s in enumerate(_signed_documents(status))
    ]


def _delivered(store: DocumentStore, status: ReferralStatus, side: Side) -> list[DocumentView]:
    """What the referring side sent, as the receiving side got it (its signed letter among them)."""
    if side != Side.RECEIVING or status.delivery is None or status.delivery.bundle_key is None:
        return []
    try:
        documents = delivered_documents(store, status.delivery.bundle_key)
    except ObjectNotFound:
        return []
    return [
        DocumentView(
            i,
            "받은 문서 (received)",
            d.get("description") or d["type"].get("text", ""),
            d["content"][0]["attachment"]["contentType"],
        )  # fmt: skip
        for i, (d, _) in enumerate(documents)
    ]


def _summary(store: DocumentStore, status: ReferralStatus) -> tuple[ClinicalSummary | None, list[Draft]]:
    if status.summary is None:
        return None, []
    try:
        summary = ClinicalSummary.model_validate_json(store.get(status.summary.summary_key))
        return summary, [Draft.model_validate_json(store.get(d.text_key)) for d in status.summary.drafts]
    except ObjectNotFound:
        return None, []


def _actions(events: list[ReferralEvent], side: Side, codes: ReasonCodes) -> list[ActionView]:
    required = {t.event: t.reason_required for t in TRANSITIONS if t.side == side}
    return [ActionView(e, required.get(e, False), list(codes.events.get(e, []))) for e in events]


async def referral_view(
    client: Client, store: DocumentStore, referral_id: str, org: str, may_act: bool, codes: ReasonCodes
) -> ReferralView:
    party = await party_status(client, referral_id, org)
    status, side = party.status, party.side
    particulars, history, events = await asyncio.gather(
        get_particulars(client, referral_id), get_history(client, referral_id),
        get_available_actions(client, referral_id, side),
    )  # fmt: skip
    documents, delivered, (summary, drafts) = await asyncio.gather(
        asyncio.to_thread(_documents, store, party), asyncio.to_thread(_delivered, store, status, side),
        asyncio.to_thread(_summary, store, status),
    )  # fmt: skip
    actions = _actions(events, side, codes) if may_act else []
    outcome_open = side == Side.RECEIVING and status.state == "IN_CARE" and may_act
    return ReferralView(side, status, particulars, history, actions, documents, _signed(status), delivered, summary,
                        drafts, outcome_open)  # fmt: skip
