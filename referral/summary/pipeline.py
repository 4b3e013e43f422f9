"""From source pages to what a clinician reviews: structured summary, identity check, duplicate-test guard and
drafts. One function, called by the summary activity and by `referral extract`, so both do exactly the same."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from referral.asr.models import Transcript
from referral.identity import IdentityFinding, check_documents, read_page
from referral.models import Referral
from referral.network import Network
from referral.review_plan import PlannedOperation
from referral.summary.backends import Progress, SummaryBackend
from referral.summary.drafts import Draft, DraftKind, render
from referral.summary.guard import GuardReport, PlannedOrder, check_orders, still_valid_priors
from referral.summary.media import stamp_times
from referral.summary.models import ClinicalSummary, ImagingResult
from referral.summary.source import SourcePage


@dataclass(frozen=True)
class SummaryOutcome:
    summary: ClinicalSummary
    guard: GuardReport  # planned orders that a prior test makes avoidable: what is counted
    shown: GuardReport  # those and every other prior test still valid: what the drafts list
    identity: list[IdentityFinding]
    drafts: list[Draft]


def summarize_pages(
    pages: list[SourcePage],
    referral: Referral,
    network: Network,
    backend: SummaryBackend,
    *,
    kinds: list[DraftKind],
    planned_orders: list[PlannedOrder] | None = None,
    studies: list[ImagingResult] | None = None,
    on: date | None = None,
    transcripts: dict[str, Transcript] | None = None,
    progress: Progress | None = None,
    with_pathology: Sequence[DraftKind] = (DraftKind.PATHOLOGY_REVIEW,),
    operation: PlannedOperation | None = None,
) -> SummaryOutcome:
    summary = backend.summarize(pages, progress=progress)
    stamp_times(summary, transcripts or {})
    summary.imaging += studies or []
    identity = check_documents(
        referral.patient, [read_page(p.document_key, p.page, p.text) for p in pages if not p.spoken]
    )
    guard = check_orders(summary, planned_orders or [])
    priors = still_valid_priors(summary, on or referral.submitted_at.date())
    listed = {r.test for r in guard.repeats}
    shown = guard.model_copy(update={"repeats": guard.repeats + [r for r in priors.repeats if r.test not in listed]})
    kinds = list(kinds) + (list(with_pathology) if summary.pathology else [])
    drafts = [render(kind, referral, summary, network, shown, identity=identity, operation=operation)
              for kind in dict.fromkeys(kinds)]  # fmt: skip
    return SummaryOutcome(summary=summary, guard=guard, shown=shown, identity=identity, drafts=drafts)
