"""Turning an approved review into the immutable signed document: who signed, when, the sha256 of the text,
the AI model/version behind the draft, the diff against the draft and an edit ratio."""

from __future__ import annotations

import difflib
import hashlib
from datetime import datetime

from referral.summary.drafts import Draft
from review.models import ReviewDecision, SignedDocument


def edit_ratio(draft: str, final: str) -> float:
    """0.0 when the clinician signed the draft as written, 1.0 when nothing of it was kept."""
    return round(1.0 - difflib.SequenceMatcher(None, draft, final, autojunk=False).ratio(), 4)


def sign(
    referral_id: str, draft: Draft, draft_key: str, decision: ReviewDecision, reviewer_email: str,
    reviewer_name: str, signed_at: datetime,
) -> SignedDocument:  # fmt: skip
    final = decision.final_text.strip("\n") + "\n" if decision.final_text.strip() else draft.text
    diff = "".join(difflib.unified_diff(draft.text.splitlines(True), final.splitlines(True), "ai-draft", "signed"))
    return SignedDocument(
        referral_id=referral_id, kind=draft.kind, title=draft.title, text=final,
        sha256=hashlib.sha256(final.encode()).hexdigest(), reviewer_email=reviewer_email,
        reviewer_name=reviewer_name, reviewer_id=decision.reviewer_id, signed_at=signed_at,
        ai_backend=draft.backend, draft_key=draft_key, diff=diff, edit_ratio=edit_ratio(draft.text, final),
        annotation_id=decision.annotation_id,
    )  # fmt: skip
