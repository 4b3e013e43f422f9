"""Clinical summaries: evidence at every item, Korean and English extraction, drafts, the duplicate-test guard,
bad input, and the summary stage in the workflow."""

from __future__ import annotations

import base64
import csv
import gzip
import json
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from temporalio.client import Client

from flows.referral.io import PIPELINE_SETTLED, ProcessingStage
from referral.config import Settings
from referral.models import DocumentRef, Referral
from referral.network import Network
from referral.ocr import LANG
from referral.ocr.engine import ocr_image
from referral.pdfium_lock import PDFIUM
from referral.storage import DocumentStore
from referral.submission import IncomingFile, submit_referral
from referral.summary.drafts import Draft, DraftKind, draft_pdf, render
from referral.summary.extractor import extract
from referral.summary.guard import PlannedOrder, check_orders
from referral.summary.models import ClinicalSummary
from referral.summary.source import SourcePage, pages_of, text_page
from referral.synthetic import clinical_record, image_bytes, render_page
from tests.helpers import make_request, wait_for_stage

KOREAN_DISCHARGE = """퇴원요약 (Discharge Summary)
진단 (Diagnosis)
- 상엽 폐암 (C34.1)
- 본태성 고혈압 (I10)
수술 (Operations)
- 2026-11-10 우상엽 절제술 (VATS right upper lobectomy)
병리 (Pathology)
- 검체: 우상엽 절제 조직
- 진단: 선암 (adenocarcinoma)
- 분화도: moderately differentiated
- 절제연: 음성 (free)
- 림프절: 0/12
- 면역조직화학: TTF-1 양성
경과 (Hospital course)
- 수술 후 합병증 없이 회복함
투약 (Medications)
- Amlodipine 5 mg 1일 1회
- Aspirin 100 mg 1일 1회 (수술 전 7일 중단 후 재시작)
계획 (Plan)
- 영월의료원 내과 외래에서 혈압 추적 (담당: 김의사)
미결 검사 (Pending results)
- EGFR 돌연변이 검사 결과 대기 — 흉부외과 확인 예정
알레르기: Penicillin (두드러기)
"""


def record_codes(facts: list[str]) -> set[str]:
    return {f for f in facts if re.fullmatch(r"[A-Z]\d{2}(?:\.\d{1,2})?", f)}


def all_evidence_is_exact(summary: ClinicalSummary, pages: list[SourcePage]) -> int:
    texts = {(p.document_key, p.page): p.text for p in pages}
    count = 0
    for item in summary.items():
        assert item.evidence, item
        for evidence in item.evidence:
            assert texts[(evidence.document_key, evidence.page)][evidence.start : evidence.end] == evidence.quote
            count += 1
    return count


def synthea_notes(shared: Path, limit: int) -> list[str]:
    path = shared / "fhir/synthea-bulk-10-patients/DocumentReference.000.ndjson.gz"
    with gzip.open(path, "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for _, line in zip(range(limit), f, strict=False)]
    return [base64.b64decode(r["content"][0]["attachment"]["data"]).decode() for r in rows]


def test_every_item_quotes_its_source_exactly(shared_data: Path) -> None:
    """The property over the shared data and generated Korean records: 100% of items, no exception."""
    checked = 0
    for index, note in enumerate(synthea_notes(shared_data, 300)):
        pages = [text_page(f"synthea-{index}", note)]
        checked += all_evidence_is_exact(extract(pages), pages)
    with (shared_data / "mts-dialog/MTS-Dialog-TrainingSet.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            pages = [text_page(f"mts-{row['ID']}", f"{row['section_header']}:\n{row['section_text']}")]
            checked += all_evidence_is_exact(extract(pages), pages)
    for seed in range(30):
        lines = clinical_record(seed).lines
        pages = [text_page(f"ko-{seed}", "\n".join(lines[:12])), text_page(f"ko-{seed}", "\n".join(lines[12:]), page=2)]
        checked += all_evidence_is_exact(extract(pages), pages)
    assert checked > 5000


def test_korean_record_facts_are_extracted() -> None:
    for seed in range(20):
        record = clinical_record(seed)
        summary = extract([text_page("k", "\n".join(record.lines))])
        codes = {p.code for p in summary.problems}
        drugs = {m.name for m in summary.medications}
        labs = {f"{lab.name} {lab.value}" for lab in summary.labs}
        assert {f for f in record.facts if f[1:3].isdigit() and f[0].isupper()} <= codes
        assert {
            f for f in record.facts if f.isalpha() or " " in f and f.split()[0].isalpha() and f in drugs
        } <= drugs | labs
        assert {f for f in record.facts if f in labs} and len(summary.imaging) == 1
        assert summary.no_known_allergies and summary.empty_reason is None


def test_korean_scan_through_ocr_and_extraction() -> None:
    record = clinical_record(77)
    page = ocr_image(render_page(record.lines, damage=0.6, seed=77), 1, LANG)
    from referral.ocr.models import OcrDocument

    pages = pages_of("scan", OcrDocument(document_sha256="0" * 64, media_type="image/png", engine="t", pages=[page]))
    summary = extract(pages)
    all_evidence_is_exact(summary, pages)
    found = {p.code for p in summary.problems} - {None}
    # a code whose letter was read as a digit (D50.9 as 050.9) is no longer "corrected" into a code (that would
    # change a digit); it stays as read for the reviewer. The others are found, and none is invented.
    assert found <= record_codes(record.facts) and len(found) >= len(record_codes(record.facts)) - 1
    assert len(summary.medications) == 4
    assert all(item.evidence[0].box is not None for item in summary.problems)  # the OCR box travels along


def test_discharge_record_fills_every_element() -> None:
    pages = [text_page("discharge", KOREAN_DISCHARGE)]
    summary = extract(pages)
    assert {p.code for p in summary.problems} == {"C34.1", "I10"}
    assert summary.procedures[0].date == "2026-11-10"
    fields = {k: v for f in summary.pathology for k, v in f.model_dump().items() if v and k not in ("evidence", "text")}
    assert fields == {"specimen": "우상엽 절제 조직", "diagnosis": "선암 (adenocarcinoma)",
                      "grade": "moderately differentiated", "margins": "음성 (free)", "nodes": "0/12",
                      "ihc": "TTF-1 양성"}  # fmt: skip
    assert [a.substance for a in summary.allergies] == ["Penicillin"] and summary.allergies[0].reaction == "두드러기"
    assert [m.name for m in summary.anesthesia.anticoagulants] == ["Aspirin"]
    assert summary.pending_results and summary.hospital_course and summary.plan


def _referral() -> Referral:
    document = DocumentRef(key="sha256/00/" + "0" * 64, sha256="0" * 64, media_type="image/png", page_count=1,
                           size_bytes=1, filename="scan.png")  # fmt: skip
    return Referral(**make_request().model_dump(), referral_id="ref-test", documents=[document],
                    submitted_at=datetime.now(UTC), fingerprint="0" * 64)  # fmt: skip


def _assert_references(draft: Draft) -> None:
    for number, evidence in enumerate(draft.evidence, start=1):
        assert f"[{number}] " in draft.text and evidence.quote in draft.text


@pytest.mark.parametrize("kind", list(DraftKind))
def test_each_draft_renders_korean_first_with_references(kind: DraftKind, network: Network) -> None:
    summary = extract([text_page("discharge", KOREAN_DISCHARGE)])
    draft = render(kind, _referral(), summary, network)
    assert draft.text.startswith(draft.title) and draft.title[0] >= "가"
    assert "서명 전 초안" in draft.text and "clinical-extractor-1" in draft.text
    _assert_references(draft)
    english = render(kind, _referral(), summary, network, language="en")
    assert "Unsigned draft" in english.text and english.title.isascii()
    with PDFIUM:
        pdf = pdfium.PdfDocument(draft_pdf(draft))
        text = pdf[0].get_textpage().get_text_range()
        pdf.close()
    assert draft.title in text


def test_omission_checklist_flags_what_is_missing(network: Network) -> None:
    complete = render(DraftKind.RETURN_LETTER, _referral(), extract([text_page("d", KOREAN_DISCHARGE)]), network)
    assert complete.omissions == []
    sparse = extract([text_page("d", "진단 (Diagnosis)\n- 본태성 고혈압 (I10)\n투약\n- Amlodipine 5 mg")])
    for kind in (DraftKind.RETURN_LETTER, DraftKind.DISCHARGE_SUMMARY):
        draft = render(kind, _referral(), sparse, network)
        assert draft.omissions == ["미결 검사", "추적 담당", "약물 변경"]
        assert "■ 누락 확인 필요" in draft.text and "⚠ 추적 담당" in draft.text


def test_duplicate_guard_flags_a_recent_ct_and_not_an_old_one(network: Network) -> None:
    planned = date(2026, 11, 28)
    recent = extract([text_page("r", "영상 (Imaging)\n- 2026-11-18 Chest CT: 우상엽 8 mm 결절")])
    old = extract([text_page("o", "영상 (Imaging)\n- 2026-07-31 Chest CT: 우상엽 8 mm 결절")])
    undated = extract([text_page("u", "영상 (Imaging)\n- Chest CT: 우상엽 8 mm 결절")])
    order = PlannedOrder(name="Chest CT with contrast", planned_on=planned)
    report = check_orders(recent, [order])
    assert len(report.repeats) == 1
    repeat = report.repeats[0]
    assert (repeat.days_since, repeat.window_days, repeat.prior_date) == (10, 90, date(2026, 11, 18))
    assert "8 mm 결절" in repeat.prior_result and report.total_example_cost_krw == 150000
    assert repeat.evidence[0].quote == "2026-11-18 Chest CT: 우상엽 8 mm 결절"
    assert check_orders(old, [order]).repeats == []  # 120 days: outside the window
    assert check_orders(undated, [order]).repeats == []
    by_code = check_orders(recent, [PlannedOrder(code="24627-2", planned_on=planned)])
    assert len(by_code.repeats) == 1
    assert check_orders(recent, [PlannedOrder(name="Brain MRI", planned_on=planned)]).repeats == []
    draft = render(DraftKind.OUTSIDE_RECORD_SUMMARY, _referral(), recent, network, report)
    assert "■ 중복 검사 확인" in draft.text and "150,000원" in draft.text and "예시 비용" in draft.text


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "no text in the source"),
        ("   \n\n  ", "no text in the source"),
        ("오늘은 날씨가 맑고 바람이 분다. The quick brown fox jumps over the lazy dog.", "no clinical content"),
        ("#$%^&*() ||| ~~~ 0O0O ;;; ::", "no clinical content"),
    ],
)
def test_bad_input_gives_an_empty_summary_with_a_reason(text: str, reason: str) -> None:
    summary = extract([text_page("x", text)])
    assert summary.items() == [] and summary.empty_reason is not None and reason in summary.empty_reason


def test_large_mixed_and_noisy_records_do_not_crash() -> None:
    page_text = "\n".join(clinical_record(5).lines)
    pages = [text_page("big", page_text, page=n) for n in range(1, 501)]
    summary = extract(pages)  # 500 pages: linear, items deduplicated with all their evidence
    assert len(summary.problems) == 3 and len(summary.problems[0].evidence) == 500
    noisy = page_text.replace("mg", "rng").replace("(", "《") + "\n@@@ ~~ ||| 中文 العربية"
    summary = extract([text_page("noisy", noisy)])
    all_evidence_is_exact(summary, [text_page("noisy", noisy)])


async def test_referral_reaches_review_with_stored_drafts(
    client: Client, workers: None, settings: Settings, store: DocumentStore, network: Network
) -> None:
    record = clinical_record(9)
    scan = image_bytes(render_page(record.lines, damage=0.3, seed=9))
    result = await submit_referral(client, store, network, settings, make_request(), [IncomingFile("scan.png", scan)])
    status = await wait_for_stage(client, result.referral_id, PIPELINE_SETTLED)
    assert status.stage == ProcessingStage.AWAITING_REVIEW, status.stage_error
    assert status.summary is not None and status.summary.items >= 10
    kinds = [d.kind for d in status.summary.drafts]
    assert kinds == ["referral_letter"]  # the referring side's round of the review plan
    letter = Draft.model_validate_json(store.get(status.summary.drafts[0].text_key))
    assert letter.title == "진료의뢰서" and result.referral_id in letter.text
    summary = ClinicalSummary.model_validate_json(store.get(status.summary.summary_key))
    assert record_codes(record.facts) <= {p.code for p in summary.problems}
    assert store.get(status.summary.drafts[0].pdf_key).startswith(b"%PDF-")


def test_a_section_continues_on_the_next_page() -> None:
    pages = [text_page("d", "환자명: 홍길순\n투약 (Medications)"), text_page("d", "- Warfarin 5 mg 1일 1회", page=2)]
    summary = extract(pages)
    assert [m.name for m in summary.medications] == ["Warfarin"]
    assert summary.medications[0].evidence[0].page == 2
    assert [m.name for m in summary.anesthesia.anticoagulants] == ["Warfarin"]


def test_stated_absences_are_not_items() -> None:
    summary = extract([text_page("n", "# Medications\nNo Active Medications.\n# Allergies\nNo Known Allergies.")])
    assert summary.medications == [] and summary.allergies == []
    assert [s.text for s in summary.no_known_allergies] == ["No Known Allergies."]


@pytest.mark.parametrize(
    ("section", "text", "medications", "allergies"),
    [
        ("Medications", "The patient takes Tylenol PM for insomnia, Lasix, Coumadin and folic acid.",
         ["Tylenol PM", "Lasix", "Coumadin", "folic acid"], []),
        ("Medications", "No medications other than recent amoxicillin.", ["amoxicillin"], []),
        ("Medications", "Synthroid 50 mcg daily; aspirin 100 mg", ["Synthroid", "aspirin"], []),
        ("Allergies", "Bactrim, which causes nausea and vomiting, and adhesive tape.", [],
         ["Bactrim", "adhesive tape"]),
        ("Allergies", "She has hay fever and hives.  She is on benzoyl peroxide and Daypro.",
         ["benzoyl peroxide", "Daypro"], []),
        ("Allergies", "To cephalexin.", [], ["cephalexin"]),
    ],
)  # fmt: skip
def test_prose_lists(section: str, text: str, medications: list[str], allergies: list[str]) -> None:
    pages = [text_page("p", f"{section}:\n{text}")]
    summary = extract(pages)
    assert [m.name for m in summary.medications] == medications
    assert [a.substance for a in summary.allergies] == allergies
    all_evidence_is_exact(summary, pages)


def test_numbers_after_labels_are_not_diagnosis_codes() -> None:
    """Written for this project (the features of outside pathology and lab reports, not their text)."""
    text = "병리결과보고서\n병리번호: S31-004417   검체번호: B2701-0923\n진단: 상세불명의 위암 (C16.9)\n비타민 B12 정상"
    summary = extract([text_page("pathology", text)])
    assert summary.problems == []  # a pathology report's diagnosis is its pathology finding, and numbers are none
    assert [p.diagnosis for p in summary.pathology] == ["상세불명의 위암 (C16.9)"]
    note = extract([text_page("note", text.replace("병리결과보고서", "외래 기록"))])
    assert {p.code for p in note.problems} - {None} == {"C16.9"}


@pytest.mark.parametrize("statement", ["없음 (NKDA)", "NKDA", "(-)", "무", "알레르기: 없음"])
def test_no_known_allergies_is_never_an_allergen(statement: str) -> None:
    summary = extract([text_page("note", f"외래 기록\n알레르기\n{statement}\n투약\nAmlodipine 5 mg 1일 1회")])
    assert summary.allergies == [] and len(summary.no_known_allergies) == 1
