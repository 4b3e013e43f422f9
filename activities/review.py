"""Clinician review stage (CPU queue: it is I/O): tasks in Label Studio, decisions read back from it with the
service token, and approved drafts turned into immutable signed documents."""

from __future__ import annotations

import io
from collections.abc import Callable

from PIL import Image
from pydantic import BaseModel, Field
from temporalio import activity
from temporalio.exceptions import ApplicationError

from flows.referral.io import DraftRef, OcrSummary, TranscriptSummary
from referral.asr.models import Transcript
from referral.identity import IdentityFinding
from referral.ocr.models import OcrDocument
from referral.pades import sign_pdf
from referral.pdf import text_pdf
from referral.review_plan import in_department
from referral.signing_keys import NoSigningKey, SigningKeys
from referral.storage import DocumentStore
from referral.summary.drafts import Draft
from review.board import ReviewBoard
from review.checks import Mark, checks_image, data_uri, marks_of
from review.models import ReviewDecision, ReviewTaskRef, SignedDocumentRef
from review.roster import Roster
from review.signing import sign


class CreateReviewTasksInput(BaseModel):
    referral_id: str
    org: str  # the institution whose clinicians review: the tasks go on its board
    round: int = 1
    drafts: list[DraftRef]
    ocr: list[OcrSummary]
    transcripts: list[TranscriptSummary] = Field(default_factory=list)  # dictations: shown as sources too
    identity: list[IdentityFinding] = Field(default_factory=list)  # shown first; the reviewer must mark them


def identity_header(findings: list[IdentityFinding]) -> str:
    lines = ["⚠ 환자 확인 필요 (identity check) — 승인 전에 표시된 페이지를 유지 또는 제외로 표시하세요"]
    for f in findings:
        lines.append(f"· {f.document_key[:19]}… {f'p.{f.page} ' if f.page else ''}{f.message}")
    return "\n".join(lines)


class RetireReviewTasksInput(BaseModel):
    org: str
    task_ids: list[int]


class FetchDecisionsInput(BaseModel):
    referral_id: str
    tasks: list[ReviewTaskRef]


class SignDocumentInput(BaseModel):
    referral_id: str
    org: str  # the institution whose draft it is: the signer must be on its roster
    task: ReviewTaskRef
    decision: ReviewDecision
    identity: list[IdentityFinding] = Field(default_factory=list)
    departments: list[str] = Field(default_factory=list)  # the review plan's for this kind; empty: any department


class ReviewActivities:
    def __init__(self, store: DocumentStore, board: Callable[[str], ReviewBoard], roster: Callable[[], Roster],
                 keys: SigningKeys) -> None:  # fmt: skip
        self.store = store
        self.keys = keys  # the reviewers' signing keys: each signed PDF carries its signer's PAdES signature
        self.board = board  # an institution's board, built per call: token and URL read when Label Studio is needed
        self.roster = roster  # read per signature: an entry added or removed counts at once

    @activity.defn
    def create_review_tasks(self, inp: CreateReviewTasksInput) -> list[ReviewTaskRef]:
        pages: list[tuple[str, int, str]] = []
        for heard in inp.transcripts:  # the reviewer checks what was said, as the summary quoted it
            transcript = Transcript.model_validate_json(self.store.get(heard.transcript_key))
            pages.append((heard.transcript_key, 1, transcript.text()))
        to_check: list[tuple[str, Image.Image, list[Mark]]] = []
        for result in inp.ocr:
            document = OcrDocument.model_validate_json(self.store.get(result.ocr_key))
            pages += [(result.document_key, p.page, p.text) for p in document.pages]
            for page in document.pages:
                if (marks := marks_of(page)) and page.image_key:
                    image = Image.open(io.BytesIO(self.store.get(page.image_key)))
                    to_check.append((f"{result.document_key[:19]}… p.{page.page}", image, marks))
        checks = data_uri(checks_image(to_check)[0])
        board = self.board(inp.org)
        identity = identity_header(inp.identity) if inp.identity else None
        tasks = []
        for ref in inp.drafts:
            draft = Draft.model_validate_json(self.store.get(ref.text_key))
            task = board.create_task(
                f"{inp.referral_id}:r{inp.round}", inp.referral_id, ref.text_key, draft, pages, identity, checks
            )
            tasks.append(task.model_copy(update={"org": inp.org}))
            activity.heartbeat(len(tasks))
        return tasks

    @activity.defn
    def retire_review_tasks(self, inp: RetireReviewTasksInput) -> int:
        """Remove superseded tasks nobody has decided, so no clinician reviews a draft that no longer counts."""
        return self.board(inp.org).retire(inp.task_ids)

    @activity.defn
    def fetch_decisions(self, inp: FetchDecisionsInput) -> list[ReviewDecision]:
        """The decisions as Label Studio holds them: the only source of a decision, its text and its reviewer."""
        found = []
        for org in sorted({task.org for task in inp.tasks}):  # each task is read from the board that holds it
            found += self.board(org).decisions(inp.referral_id, [t for t in inp.tasks if t.org == org])
        return found

    @activity.defn
    def sign_document(self, inp: SignDocumentInput) -> SignedDocumentRef:
        if inp.decision.reviewer_id is None:
            raise ApplicationError("the decision names no reviewer", type="UnsignedDecision", non_retryable=True)
        if inp.task.org != inp.org:
            raise ApplicationError(f"task {inp.task.task_id} is on {inp.task.org}'s board, not {inp.org}'s",
                                   type="NotOnRoster", non_retryable=True)  # fmt: skip
        email, _ = self.board(inp.org).reviewer(inp.decision.reviewer_id)  # the account of the board that holds it
        signer = self.roster().signer(email, inp.org)
        if signer is None:  # an account of the board, but not a clinician who may sign for this institution
            raise ApplicationError(f"reviewer account {inp.decision.reviewer_id} is not on the signing roster of "
                                   f"{inp.org}", type="NotOnRoster", non_retryable=True)  # fmt: skip
        if inp.departments and not in_department(signer.department, inp.departments):
            raise ApplicationError(f"a {inp.task.kind} is signed by {' / '.join(inp.departments)}, not by "
                                   f"{signer.department}", type="NotInDepartment", non_retryable=True)  # fmt: skip
        try:  # before anything is stored: a clinician without a key signs nothing
            credential = self.keys.reviewer(inp.org, email, signer.name, signer.licence)
        except NoSigningKey as err:
            raise ApplicationError(str(err), type="NoSigningKey", non_retryable=True) from None
        draft = Draft.model_validate_json(self.store.get(inp.task.draft_key))
        signed = sign(
            inp.referral_id, draft, inp.task.draft_key, inp.decision, signer, inp.org, activity.info().started_time
        ).model_copy(update={"identity_findings": inp.identity, "identity_choice": "keep" if inp.identity else None})
        json_key = self.store.put(signed.model_dump_json().encode(), "application/json").key
        lines = [
            *signed.text.splitlines(),
            "",
            f"서명 (signed): {signer.name} — {signer.department}, {inp.org}",
            f"면허번호 (licence no.): {signer.licence}",
            f"서명 시각 (signed at): {signed.signed_at.isoformat()}",
            f"sha256: {signed.sha256}",
            f"AI 초안 (AI draft): {signed.ai_backend}, edit ratio {signed.edit_ratio}",
        ]
        if inp.identity:
            lines.append(f"환자 확인 (identity): 표시된 {len(inp.identity)}건 검토자 확인 — 유지 (kept by the signer)")
        pdf = sign_pdf(text_pdf(lines, title=signed.title), credential, reason=f"{signed.title} — 서명 (approved)",
                       location=inp.org)  # fmt: skip
        pdf_key = self.store.put(pdf, "application/pdf").key
        return SignedDocumentRef(kind=signed.kind, json_key=json_key, pdf_key=pdf_key, sha256=signed.sha256,
                                 reviewer=email, signed_at=signed.signed_at, edit_ratio=signed.edit_ratio)  # fmt: skip
