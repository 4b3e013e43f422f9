"""Turning an approved review into the immutable signed document: who signed (name, licence, department and
institution from the signing roster), when, the sha256 of the text,
the AI model/version behind the draft, the diff against the draft and an edit ratio."""

from __future__ import annotations

import difflib
import hashlib
from datetime import datetime

from referral.summary.drafts import DRAFT_BANNERS, Draft
from review.models import ReviewDecision, SignedDocument
from review.roster import Signer


def edit_ratio(draft: str, final: str) -> float:
    """0.0 when the clinician signed the draft as written, 1.0 when nothing of it was kept."""
    return round(1.0 - difflib.SequenceMatcher(None, draft, final, autojunk=False).ratio(), 4)


def without_banner(text: str) -> str:
    """The text without the unsigned-draft banner: a signed document does not say it is unsigned."""
    return "".join(line for line in text.splitlines(True) if line.strip() not in DRAFT_BANNERS)


def sign(
    referral_id: str, draft: Draft, draft_key: str, decision: ReviewDecision, signer: Signer, org: str,
    signed_at: datetime,
) -> SignedDocument:  # fmt: skip
    """What the clinician approved (their edited text, or the draft as written), without the draft banner."""
    drafted = without_banner(draft.text)  # the diff and edit ratio measure the clinician's edits only
    final = without_banner(decision.final_text.strip("\n") + "\n" if decision.final_text.strip() else draft.text)
    diff = "".join(difflib.unified_diff(drafted.splitlines(True), final.splitlines(True), "ai-draft", "signed"))
    return SignedDocument(
        referral_id=referral_id, kind=draft.kind, title=draft.title, text=final,
        sha256=hashlib.sha256(final.encode()).hexdigest(), reviewer_email=signer.email, reviewer_name=signer.name,
        reviewer_licence=signer.licence, reviewer_department=signer.department, reviewer_org=org,
        reviewer_id=decision.reviewer_id, signed_at=signed_at,
        ai_backend=draft.backend, draft_key=draft_key, diff=diff, edit_ratio=edit_ratio(drafted, final),
        annotation_id=decision.annotation_id,
    )  # fmt: skip
