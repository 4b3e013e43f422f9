"""Draft documents rendered from a structured summary, Korean first (English on request). Every fact carries a
numbered reference to its evidence, listed at the end. Each draft is marked unsigned: a clinician edits and
signs it in review before it can leave the hospital."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel

from referral.identity import IdentityFinding
from referral.models import ConsentBasis, ExchangeConsent, Referral
from referral.network import Network
from referral.pdf import text_pdf
from referral.review_plan import DraftKind, PlannedOperation
from referral.summary.guard import GuardReport
from referral.summary.models import ClinicalSummary, Evidence, Item, LabResult, Medication, Problem, Statement

# Every draft of the records at hand (`referral extract`); in a referral, the review plan says which side makes which.
INTAKE_DRAFTS = (DraftKind.REFERRAL_LETTER, DraftKind.OUTSIDE_RECORD_SUMMARY, DraftKind.PRE_ANESTHESIA)

TITLES = {
    DraftKind.REFERRAL_LETTER: ("진료의뢰서", "Referral letter"),
    DraftKind.OUTSIDE_RECORD_SUMMARY: ("외부 진료기록 요약", "Outside-record summary"),
    DraftKind.PRE_ANESTHESIA: ("마취 전 상태평가 초안", "Pre-anesthesia assessment draft"),
    DraftKind.PATHOLOGY_REVIEW: ("병리 판독 리뷰", "Pathology report review"),
    DraftKind.DISCHARGE_SUMMARY: ("퇴원요약", "Discharge summary"),
    DraftKind.RETURN_LETTER: ("회송서", "Return letter"),
}
LABELS = {
    "patient": ("환자", "Patient"),
    "referring": ("의뢰기관", "Referring"),
    "receiving": ("수신기관", "Receiving"),
    "priority": ("우선순위", "Priority"),
    "reason": ("의뢰사유", "Reason for referral"),
    "problems": ("진단", "Diagnoses"),
    "chief_complaint": ("주호소", "Chief complaint"),
    "medications": ("투약", "Medications"),
    "allergies": ("알레르기", "Allergies"),
    "labs": ("검사 결과", "Lab results"),
    "imaging": ("영상 검사", "Imaging"),
    "pathology": ("병리", "Pathology"),
    "procedures": ("수술·시술", "Procedures"),
    "course": ("경과", "Course"),
    "plan": ("계획·권고", "Plan and recommendations"),
    "pending": ("미결 검사", "Pending results"),
    "duplicates": ("중복 검사 확인", "Duplicate-test check"),
    "asa": ("ASA 분류", "ASA class"),
    "planned_operation": ("예정 수술", "Planned operation"),
    "airway": ("기도", "Airway"),
    "anticoagulants": ("항응고·항혈소판제", "Anticoagulants"),
    "prior_anesthesia": ("마취·수술 과거력", "Prior anesthesia and surgery"),
    "omissions": ("누락 확인 필요", "Check before signing: missing elements"),
    "sources": ("근거", "Sources"),
    "none": ("원문에서 찾지 못함", "not found in the source"),
    "consent": ("정보 제공 동의", "Consent to share information"),
    "to_confirm": ("확인 필요", "to be confirmed"),
    "unsigned": (
        "서명 전 초안 — 임상의 검토·서명 후 발송",
        "Unsigned draft — sent only after clinician review and signature",
    ),
    "provenance": ("AI 초안 생성", "AI draft by"),
    "referral_id": ("의뢰 번호", "Referral id"),
    "follow_up": ("추적 담당", "Follow-up owner"),
    "med_changes": ("약물 변경", "Medication changes"),
    "clinician_judgement": ("임상의 판단 필요", "clinician to assign"),
    "identity": ("⚠ 환자 확인 필요 — 다른 환자 기록 의심", "⚠ Identity check — a page may be another patient's"),
    "identity_note": (
        "검토자는 해당 페이지를 유지 또는 제외로 표시해야 승인할 수 있습니다",
        "the reviewer marks each page keep or remove before approving",
    ),
    "document": ("문서", "document"),
    "page": ("쪽", "page"),
}
# the banner every draft carries and no signed document does (review/signing.py removes it)
DRAFT_BANNERS = frozenset(f"※ {text}" for text in LABELS["unsigned"])
_FOLLOW_UP_OWNER = re.compile(r"담당|외래|추적|f/u|follow[- ]?up|primary care|referring", re.I)
_MED_CHANGE = re.compile(r"중단|변경|추가|증량|감량|시작|discontinu|stop|start|increase|decrease|change|hold", re.I)


class Draft(BaseModel):
    kind: DraftKind
    language: str
    title: str
    text: str
    omissions: list[str]
    evidence: list[Evidence]
    backend: str


class _Writer:
    def __init__(self, language: str) -> None:
        self.index = 0 if language == "ko" else 1
        self.lines: list[str] = []
        self.evidence: list[Evidence] = []

    def label(self, key: str) -> str:
        return LABELS[key][self.index]

    def heading(self, key: str) -> None:
        self.lines += ["", f"■ {self.label(key)}"]

    def fact(self, text: str, item: Item | None = None) -> None:
        refs = ""
        if item is not None:
            numbers = []
            for evidence in item.evidence:
                self.evidence.append(evidence)
                numbers.append(str(len(self.evidence)))
            refs = " [" + ",".join(numbers) + "]"
        self.lines.append(f"- {text}{refs}")

    def items(self, key: str, items: Sequence[Item], describe: Callable[[Any], str]) -> None:
        self.heading(key)
        if not items:
            self.lines.append(f"- ({self.label('none')})")
        for item in items:
            self.fact(describe(item), item)


def _problem(p: Problem) -> str:
    return f"{p.name} ({p.code})" if p.code else p.name


_STATUS_WORDS = {"held": "보류 held", "stopped": "중단 stopped", "new": "신규 new", "changed": "변경 changed"}


def _medication(m: Medication) -> str:
    """ "쿠마딘정 2mg 1일 1회 [보류 held, 2026-06-27부터]": a held or stopped drug shows since when."""
    status = _STATUS_WORDS.get(m.status or "")
    since = f", {m.stop}부터 / since {m.stop}" if m.stop and m.status in ("held", "stopped") else ""
    return " ".join(x for x in (m.name, m.dose, m.route, m.frequency, f"[{status}{since}]" if status else "") if x)


def _lab(lab: LabResult) -> str:
    extra = (f" {lab.flag}" if lab.flag else "") + (f" (ref {lab.reference_range})" if lab.reference_range else "")
    when = f", {lab.date}" if lab.date else ""
    return f"{lab.name} {lab.value}{(' ' + lab.unit) if lab.unit else ''}{extra}{when}"


def _statement(s: Statement) -> str:
    return s.text


def omissions(summary: ClinicalSummary, writer: _Writer) -> list[str]:
    """The elements referrers value most and discharge summaries most often lack."""
    missing = []
    if not summary.pending_results:
        missing.append(writer.label("pending"))
    if not any(_FOLLOW_UP_OWNER.search(s.text) for s in summary.plan):
        missing.append(writer.label("follow_up"))
    texts = [m.evidence[0].quote for m in summary.medications] + [s.text for s in summary.plan]
    changed = any(m.stop or m.status for m in summary.medications)
    if not any(_MED_CHANGE.search(t) for t in texts) and not changed:
        missing.append(writer.label("med_changes"))
    return missing


_CONSENT_BASIS = {
    ConsentBasis.PATIENT: ("환자 본인 동의", "the patient's consent"),
    ConsentBasis.REPRESENTATIVE: ("보호자 동의", "a representative's consent"),
    ConsentBasis.EMERGENCY: ("응급 이송 — 동의 없이 송부 (의료법 제21조의2 제2항)", "emergency, no consent"),
}


def consent_line(consent: ExchangeConsent | None, index: int) -> str:
    """The consent as the letter states it: basis, who, when, recorded by whom; to be confirmed when none is on
    record (drafts made locally)."""
    if consent is None:
        return f"({LABELS['to_confirm'][index]})"
    who = f" {consent.representative} ({consent.relationship})" if consent.representative else ""
    note = f" — {consent.note}" if consent.note else ""
    given = consent.given_at.isoformat(timespec="minutes")
    return f"{_CONSENT_BASIS[consent.basis][index]}{who}, {given}, {consent.recorded_by}{note}"


def render(
    kind: DraftKind,
    referral: Referral,
    summary: ClinicalSummary,
    network: Network,
    guard: GuardReport | None = None,
    language: str = "ko",
    identity: Sequence[IdentityFinding] = (),
    operation: PlannedOperation | None = None,
) -> Draft:
    w = _Writer(language)
    title = TITLES[kind][w.index]
    referring, receiving = network.institution(referral.referring.org), network.institution(referral.receiving.org)
    patient = referral.patient
    w.lines += [title, f"{w.label('referral_id')}: {referral.referral_id}"]
    w.lines.append(
        f"{w.label('patient')}: {patient.name} / {patient.birth_date} / {patient.sex} / {patient.identifier}"
    )
    clinician = f" {referral.referring.clinician.name}" if referral.referring.clinician else ""
    w.lines.append(f"{w.label('referring')}: {referring.name} {referral.referring.department}{clinician}")
    w.lines.append(f"{w.label('receiving')}: {receiving.name} {referral.receiving.department}")
    if identity:
        w.lines += ["", w.label("identity")]
        for finding in identity:
            page = f" {finding.page}{w.label('page')}" if finding.page else ""
            w.lines.append(f"- {w.label('document')} {finding.document_key[:19]}…{page}: {finding.message}")
        w.lines.append(f"- {w.label('identity_note')}")

    if kind == DraftKind.REFERRAL_LETTER:
        w.lines += [f"{w.label('priority')}: {referral.priority}", f"{w.label('reason')}: {referral.reason}"]
        w.items("chief_complaint", summary.chief_complaint, _statement)
    w.items("problems", summary.problems, _problem)
    if kind == DraftKind.PRE_ANESTHESIA:
        if operation is not None:
            planned = " ".join(x for x in (str(operation.planned_on), operation.procedure, operation.department) if x)
            w.lines += ["", f"{w.label('planned_operation')}: {planned}"]
        w.heading("asa")
        w.lines.append(f"- ({w.label('clinician_judgement')})")
        w.items("airway", summary.anesthesia.airway, _statement)
        w.items("anticoagulants", summary.anesthesia.anticoagulants, lambda m: "⚠ " + _medication(m))
        prior: list[Item] = [*summary.anesthesia.prior_anesthesia, *summary.procedures]
        w.items("prior_anesthesia", prior, _statement_or_name)
    if kind != DraftKind.PATHOLOGY_REVIEW:
        w.items("medications", summary.medications, _medication)
        w.heading("allergies")
        for allergy in summary.allergies:
            w.fact(f"{allergy.substance}{f' ({allergy.reaction})' if allergy.reaction else ''}", allergy)
        for none in summary.no_known_allergies:
            w.fact(none.text, none)
        if not summary.allergies and not summary.no_known_allergies:
            w.lines.append(f"- ({w.label('none')})")
        w.items("labs", summary.labs, _lab)
        w.items("imaging", summary.imaging, lambda i: " ".join(x for x in (i.date, i.modality, i.finding) if x))
    w.items("pathology", summary.pathology, lambda p: p.text)
    if kind not in (DraftKind.PRE_ANESTHESIA, DraftKind.PATHOLOGY_REVIEW):
        w.items("procedures", summary.procedures, lambda p: p.name)
    if kind in (DraftKind.OUTSIDE_RECORD_SUMMARY, DraftKind.DISCHARGE_SUMMARY, DraftKind.RETURN_LETTER):
        w.items("course", summary.hospital_course, _statement)
        w.items("plan", summary.plan, _statement)
        w.items("pending", summary.pending_results, _statement)
    if guard is not None and kind in (DraftKind.OUTSIDE_RECORD_SUMMARY, DraftKind.PRE_ANESTHESIA):
        w.heading("duplicates")
        for repeat in guard.repeats:
            text = (f"⚠ {repeat.planned}: {repeat.prior_date} {repeat.prior_result} ({repeat.days_since}일 전, "
                    f"유효 {repeat.window_days}일) — {repeat.example_cost_krw:,}원")  # fmt: skip
            w.fact(text, _Evidenced(evidence=repeat.evidence))
        if guard.repeats:
            w.lines.append(f"- {guard.cost_note}")
    missing: list[str] = []
    if kind in (DraftKind.DISCHARGE_SUMMARY, DraftKind.RETURN_LETTER):
        missing = omissions(summary, w)
        w.heading("omissions")
        w.lines += [f"- ⚠ {m}: {w.label('none')}" for m in missing] or ["- -"]
    if kind == DraftKind.REFERRAL_LETTER:
        w.lines += ["", f"{w.label('consent')}: {consent_line(referral.consent, w.index)}"]
    w.lines += ["", f"※ {w.label('unsigned')}", f"{w.label('provenance')}: {summary.backend}"]
    w.heading("sources")
    for number, evidence in enumerate(w.evidence, start=1):
        w.lines.append(f"[{number}] {evidence.document_key[:19]}… {_where(evidence)}: “{evidence.quote}”")
    return Draft(kind=kind, language=language, title=title, text="\n".join(w.lines) + "\n", omissions=missing,
                 evidence=w.evidence, backend=summary.backend)  # fmt: skip


def _where(evidence: Evidence) -> str:
    if evidence.seconds is not None:  # said in a dictation, at this time of the recording
        minutes, seconds = divmod(int(evidence.seconds), 60)
        return f"음성 {minutes:02d}:{seconds:02d}"
    return f"p.{evidence.page} {evidence.start}-{evidence.end}"


class _Evidenced(Item):
    pass


def _statement_or_name(item: Item) -> str:
    return str(getattr(item, "text", None) or getattr(item, "name", ""))


def draft_pdf(draft: Draft) -> bytes:
    return text_pdf(draft.text.splitlines(), title=draft.title)
