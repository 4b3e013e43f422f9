"""Delivery (CPU queue): the referral as a FHIR message to the receiving hospital's gateway, carrying the
signed documents and the original records. Refusals (4xx) are final and kept on the referral; outages are
retried by the workflow's policy; the message id makes a retry after a lost answer harmless."""

from __future__ import annotations

import json
from collections.abc import Callable

from pydantic import BaseModel, Field
from temporalio import activity
from temporalio.exceptions import ApplicationError

from flows.referral.io import DeliveryReceipt, PageRef, TaskUpdate
from referral.delivery import DeliveryRejected, deliver
from referral.fhir.message import OUTSIDE_RECORD, Attachment, InvalidFhir, SignedLetter, referral_message
from referral.fhir.signature import sign_bundle
from referral.models import Clinician, Referral
from referral.network import Network
from referral.page_removal import removed_pages, without_pages
from referral.signing_keys import NoSigningKey, SigningKeys
from referral.states import ReferralState
from referral.storage import DocumentStore
from review.models import SignedDocument, SignedDocumentRef


class DeliverInput(BaseModel):
    referral: Referral
    state: ReferralState
    signed: list[SignedDocumentRef]
    target_org: str
    event: str = "referral"
    update: TaskUpdate | None = None  # event "task-update": what the receiving side did
    excluded_pages: list[PageRef] = Field(default_factory=list)  # removed by a reviewer: another patient's


class DeliveryActivities:
    def __init__(self, store: DocumentStore, network: Network, tokens: Callable[[], dict[str, str]],
                 keys: SigningKeys) -> None:  # fmt: skip
        self.store, self.network, self.tokens = store, network, tokens
        self.keys = keys  # the sending institution signs each message (Bundle.signature)

    @activity.defn
    def deliver_message(self, inp: DeliverInput) -> DeliveryReceipt:
        referral = inp.referral
        letter, attending = None, None
        attachments = []
        for ref in inp.signed:
            signed = SignedDocument.model_validate_json(self.store.get(ref.json_key))
            if signed.kind == "return_letter":  # the 회송 is sent by the attending who signed its letter
                attending = (Clinician(name=signed.reviewer_name, license_no=signed.reviewer_licence or None),
                             signed.reviewer_department or referral.receiving.department)  # fmt: skip
            if signed.kind == "referral_letter":
                letter = SignedLetter(signed.title, signed.text, signed.reviewer_name, signed.reviewer_licence,
                                      signed.signed_at, signed.sha256, signed.reviewer_department)  # fmt: skip
            attachments.append(Attachment(f"{signed.title} (서명본 signed)", signed.kind, "application/pdf",
                                          self.store.get(ref.pdf_key)))  # fmt: skip
        for document in referral.documents if inp.event == "referral" else []:  # the 회송 sends its own documents
            removed = removed_pages(document.key, inp.excluded_pages)  # another patient's pages never leave
            kept = None if removed is None else without_pages(self.store.get(document.key), document.media_type,
                                                              removed)  # fmt: skip
            if kept is None:
                continue
            title = document.filename
            if removed:
                title += f" ({len(removed)}쪽 제외: 다른 환자 기록 / {len(removed)} page(s) of another patient removed)"
            attachments.append(Attachment(title, OUTSIDE_RECORD, document.media_type, kept))
        try:
            bundle = referral_message(referral, self.network, inp.state, activity.info().started_time, letter,
                                      attachments, inp.event, inp.update, attending)  # fmt: skip
        except InvalidFhir as err:
            raise ApplicationError(str(err), type="InvalidFhir", non_retryable=True) from None
        sender = referral.referring.org if inp.target_org == referral.receiving.org else referral.receiving.org
        token = self.tokens().get(sender)
        if token is None:
            raise ApplicationError(f"no gateway credentials for {sender}", type="NoCredentials", non_retryable=True)
        try:
            credential = self.keys.institution(sender, self.network.institution(sender).name)
        except NoSigningKey as err:
            raise ApplicationError(str(err), type="NoCredentials", non_retryable=True) from None
        sign_bundle(bundle, credential, bundle["entry"][0]["resource"]["sender"], activity.info().started_time)
        try:
            receipt = deliver(bundle, self.network.institution(inp.target_org).gateway_url, token)
        except DeliveryRejected as err:
            raise ApplicationError(str(err), type="DeliveryRejected", non_retryable=True) from None
        # the message as it was sent, kept by the sender (`referral bundle ID`): what the receiver holds
        sent = self.store.put(json.dumps(bundle, ensure_ascii=False).encode(), "application/fhir+json").key
        return DeliveryReceipt(message_id=receipt.message_id, stored_key=receipt.stored_key,
                               received_at=receipt.received_at, duplicate=receipt.duplicate,
                               target_org=inp.target_org, bundle_key=sent)  # fmt: skip
