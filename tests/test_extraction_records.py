"""Extraction of Korean records as EMRs print them: tables read by their header, findings read wherever they are
written, statuses, headings in every style. Every document here was written for this project with the features
of outside records (the layouts listed in the extraction issue), not their text."""

from __future__ import annotations

from datetime import date

from referral.asr.models import Transcript, TranscriptSegment
from referral.ocr import LANG
from referral.ocr.engine import ocr_pages
from referral.ocr.models import OcrDocument
from referral.summary.extractor import extract
from referral.summary.guard import PlannedOrder, check_orders
from referral.summary.media import stamp_times, transcript_page
from referral.summary.models import ClinicalSummary
from referral.summary.source import SourcePage, pages_of, text_page
from referral.synthetic import text_pdf

LAB_SHEET = """진단검사 결과지
등록번호: 20031177   성명: 도민철   생년월일: 1961-02-14
{일반화학}
| 검사항목 | 결과 | 표시 | 단위 | 참고범위 |
|---|---|---|---|---|
| Sodium | 131 | L | mmol/L | 135-145 |
| ALT | 88 | H | U/L | 0-40 |
| Albumin | 3.1 | | g/dL | 3.5-5.2 |
| HBsAg | 양성 | | | 음성 |
※ 결과는 임상 소견과 함께 판단하십시오.
"""

CUMULATIVE = """누적 검사 결과
| 검사명 | 단위 | 2026.03.02 | 2026.03.09 |
|---|---|---|---|
| Creatinine | mg/dL | 2.84 H | 1.91 H |
| Potassium | mmol/L | 5.9 H | 4.6 |
"""

SIDE_BY_SIDE = """| 검사명 | 결과 | 단위 | 검사명 | 결과 | 단위 |
|---|---|---|---|---|---|
| WBC | 12.3 | x10^3/uL | CRP | 8.41 | mg/dL |
| Hb | 10.2 | g/dL | Procalcitonin | 0.9 | ng/mL |
"""

TURNED = """[외래 검사 2026-02-11]
| Hb | PLT | INR | Cr |
|---|---|---|---|
| 12.9 g/dL | 198 x10^3/uL | 2.7 | 1.1 mg/dL |
"""

PRESCRIPTIONS = """【처방 내역】
| 약품명 | 1회 투여량 | 횟수 | 일수 | 비고 |
|---|---|---|---|---|
| 자렐토정 15mg | 1 | 1 | 30 | 시술 3일 전부터 중단 |
| 크레스토정 10mg | 1 | 1 | 30 | |
| 자누비아정 100mg | 1 | 1 | 30 | 신규 |
"""

LETTER = """진료의뢰서

상기 환자는 2형 당뇨병(E11.9)으로 본원 추적 중이며 2026.01.18 시행한 복부 초음파에서 담낭 용종이 보였습니다.
같은 날 혈액검사에서 HbA1c 8.4 %, Creatinine 1.32 mg/dL 이었습니다.
현재 메트포르민 1000mg 1일 2회, Atorvastatin 20mg 1일 1회 복용 중이며 약물 알레르기는 없습니다.
Warfarin 4 mg qd (2026-01-25부터 중단)
복부 CT 예정입니다.
"""


def _summary(text: str) -> ClinicalSummary:
    return extract([text_page("doc", text)])


def _exact(summary: ClinicalSummary, pages: list[SourcePage]) -> None:
    texts = {(p.document_key, p.page): p.text for p in pages}
    for item in summary.items():
        for e in item.evidence:
            assert texts[(e.document_key, e.page)][e.start : e.end] == e.quote


def _labs(summary: ClinicalSummary) -> set[tuple[str, str, str | None, str | None]]:
    return {(lab.name, lab.value, lab.unit, lab.flag) for lab in summary.labs}


def test_a_lab_sheet_is_read_by_its_header_with_flags_units_and_a_word_result() -> None:
    summary = _summary(LAB_SHEET)
    assert _labs(summary) == {("Sodium", "131", "mmol/L", "L"), ("ALT", "88", "U/L", "H"),
                              ("Albumin", "3.1", "g/dL", None), ("HBsAg", "양성", None, None)}  # fmt: skip
    assert summary.problems == [] and summary.allergies == []  # 등록번호 and the footnote are neither


def test_a_cumulative_table_gives_one_result_per_day_with_the_day_of_its_column() -> None:
    summary = _summary(CUMULATIVE)
    assert {(lab.name, lab.value, lab.date, lab.flag) for lab in summary.labs} == {
        ("Creatinine", "2.84", "2026.03.02", "H"), ("Creatinine", "1.91", "2026.03.09", "H"),
        ("Potassium", "5.9", "2026.03.02", "H"), ("Potassium", "4.6", "2026.03.09", None)}  # fmt: skip


def test_two_tables_side_by_side_and_a_table_on_its_side() -> None:
    assert _labs(_summary(SIDE_BY_SIDE)) == {
        ("WBC", "12.3", "x10^3/uL", None), ("CRP", "8.41", "mg/dL", None), ("Hb", "10.2", "g/dL", None),
        ("Procalcitonin", "0.9", "ng/mL", None)}  # fmt: skip
    assert _labs(_summary(TURNED)) == {("Hb", "12.9", "g/dL", None), ("PLT", "198", "x10^3/uL", None),
                                       ("INR", "2.7", None, None), ("Cr", "1.1", "mg/dL", None)}  # fmt: skip


def test_a_prescription_table_gives_each_drug_with_strength_ingredient_and_status() -> None:
    summary = _summary(PRESCRIPTIONS)
    drugs = {(m.name, m.ingredient, m.dose, m.status) for m in summary.medications}
    assert drugs == {("자렐토정", "rivaroxaban", "15mg", "held"), ("크레스토정", "rosuvastatin", "10mg", None),
                     ("자누비아정", "sitagliptin", "100mg", "new")}  # fmt: skip
    assert [m.name for m in summary.anesthesia.anticoagulants] == ["자렐토정"]


def test_a_letter_without_headings_gives_its_study_labs_drugs_and_no_allergies() -> None:
    pages = [text_page("letter", LETTER)]
    summary = extract(pages)
    _exact(summary, pages)
    assert {(s.modality, s.date) for s in summary.imaging} == {("US", "2026.01.18")}  # the planned CT is not a result
    assert _labs(summary) == {("HbA1c", "8.4", "%", None), ("Creatinine", "1.32", "mg/dL", None)}
    drugs = {m.name: m for m in summary.medications}
    assert (drugs["메트포르민"].ingredient, drugs["메트포르민"].dose, drugs["메트포르민"].frequency) == (
        "metformin",
        "1000mg",
        "1일 2회",
    )
    assert (drugs["Warfarin"].status, drugs["Warfarin"].stop) == ("stopped", "2026-01-25")
    assert summary.no_known_allergies and summary.allergies == []
    assert [(p.code, p.name) for p in summary.problems][0][0] == "E11.9"


def test_headings_in_every_style_and_a_heading_of_something_else_ends_the_section() -> None:
    text = ("[진단명]\n - 만성 신장병 3기 (N18.3)\n<알레르기> Cefazolin – 두드러기 (2021년)\n【회신 요청】\n"
            "수술 가능 여부 검토 부탁드립니다\nDx)\n#1. 심방세동 (I48.9)\n▶ 퇴원 후 계획\n2주 후 외래 방문\n"
            "보류중인 결과: 혈액 배양\n1 / 2")  # fmt: skip
    summary = _summary(text)
    assert {p.code for p in summary.problems} == {"N18.3", "I48.9"}
    assert [(a.substance, a.reaction) for a in summary.allergies] == [("Cefazolin", "두드러기 (2021년)")]
    assert [s.text for s in summary.plan] == ["2주 후 외래 방문"]
    assert [s.text for s in summary.pending_results] == ["혈액 배양"]


def test_a_recent_outside_echo_in_a_letter_makes_a_planned_echo_avoidable() -> None:
    summary = _summary("2026-03-02 심초음파: LVEF 35%, 중등도 승모판 역류, 6개월 후 추적 필요\n")
    order = PlannedOrder(name="Echocardiography", planned_on=date(2026, 3, 6))
    repeats = check_orders(summary, [order]).repeats
    assert [(r.prior_date, r.days_since) for r in repeats] == [(date(2026, 3, 2), 4)]
    assert check_orders(summary, [PlannedOrder(name="Echocardiography", planned_on=date(2026, 11, 6))]).repeats == []


def test_a_printed_table_is_read_from_the_page_word_boxes() -> None:
    """The same prescription table printed into a PDF: the cells come from the words' positions, not from `|`."""
    rows = [("약품명", "1회 투여량", "횟수", "비고"), ("엘리퀴스정 5mg", "1", "2", "수술 2일 전 중단"),
            ("Metformin 500mg", "1", "2", "")]  # fmt: skip
    data = text_pdf(["처방 목록", *["".join(cell.ljust(16) for cell in row).rstrip() for row in rows]])
    pages = pages_of("pdf", _document(data))
    summary = extract(pages)
    _exact(summary, pages)
    assert {(m.name, m.dose, m.status) for m in summary.medications} == {
        ("엘리퀴스정", "5mg", "held"), ("Metformin", "500mg", None)}  # fmt: skip


def _document(data: bytes) -> OcrDocument:
    pages = list(ocr_pages(data, "application/pdf", LANG))
    return OcrDocument(document_sha256="0" * 64, media_type="application/pdf", engine="text_layer", pages=pages)


PATHOLOGY = """병리결과보고서
병리번호: S27-000311   등록번호: 30022991
[검체]
 A. Colon, sigmoid, anterior resection
 B. Lymph nodes, regional, dissection
[진단]
 A. Colon, sigmoid, anterior resection:
    ADENOCARCINOMA, moderately differentiated
    1. Tumor size: 4.2 x 3.0 cm
    2. Resection margins: free (distal margin 3.5 cm)
 B. Lymph nodes, regional, dissection:
    METASTASIS IN 2 OF 17 LYMPH NODES (2/17)
 pTNM (AJCC 8th): pT3 pN1b
[면역조직화학검사]
| Marker | Result |
|---|---|
| MLH1 | Retained |
| PMS2 | Retained |
"""


def test_a_pathology_report_is_one_finding_per_specimen_with_fields_and_markers() -> None:
    pages = [text_page("path", PATHOLOGY)]
    summary = extract(pages)
    _exact(summary, pages)
    colon, nodes = summary.pathology
    assert (colon.specimen, colon.diagnosis, colon.size, colon.margins) == (
        "Colon, sigmoid, anterior resection", "ADENOCARCINOMA, moderately differentiated", "4.2 x 3.0 cm",
        "free (distal margin 3.5 cm)")  # fmt: skip
    assert colon.ihc == "MLH1: Retained; PMS2: Retained"
    assert (nodes.diagnosis, nodes.stage) == ("METASTASIS IN 2 OF 17 LYMPH NODES (2/17)", "pT3 pN1b")
    assert summary.problems == []  # S27-000311 is a pathology number, the diagnoses are the report's own


def test_a_pathology_result_written_in_one_line_of_a_letter() -> None:
    summary = _summary("현병력\n  하행결장 생검: adenocarcinoma, well differentiated (병리번호 S27-01881)\n")
    assert [(p.specimen, p.grade) for p in summary.pathology] == [("하행결장 생검", "well differentiated")]


def test_operations_in_a_history_and_a_procedure_with_its_date() -> None:
    summary = _summary("[과거력 / 수술력]\n - 당뇨병 (E11.9)\n - 담낭절제술 (2015년)\n"
                       "[경과]\n 2026.02.03 관상동맥조영술(CAG) 및 PCI (DES 2개) 시행하였습니다.\n"
                       "CT angiography (2026.02.01): no aortic dissection\n")  # fmt: skip
    assert {(p.name, p.date) for p in summary.procedures} == {
        ("담낭절제술", "2015년"), ("관상동맥조영술(CAG)", "2026.02.03"), ("PCI (DES 2개)", "2026.02.03")}  # fmt: skip


def test_an_imaging_report_study_takes_the_exam_date_of_its_header_and_labs_the_date_above_them() -> None:
    text = ("영상판독소견서\n검사명: MRI Lumbar spine      검사번호: MR2701-0001\n검사일시: 2027.01.05 09:10\n"
            "생년월일: 1950.01.01\n<검사 결과> 2027.01.03\n"
            "| 검사명 | 결과 | 단위 |\n|---|---|---|\n| Hb | 11.1 | g/dL |\n")  # fmt: skip
    summary = _summary(text)
    assert [(s.modality, s.date) for s in summary.imaging] == [("MRI", "2027.01.05")]
    assert [(lab.name, lab.date) for lab in summary.labs] == [("Hb", "2027.01.03")]


def test_a_korean_dictation_gives_drugs_doses_and_no_allergies_with_the_time_said() -> None:
    """Written text standing in for a Korean ASR transcript (numbers as digits and as words, as recognisers
    write them)."""
    segments = [(0.0, "환자분은 암로디핀 5밀리 하루 한 번 드시고 계십니다"),
                (4.2, "메트포르민은 오백 밀리그램 하루 두 번 복용 중입니다"),
                (9.8, "와파린은 지난주부터 중단했습니다"), (12.5, "알레르기는 없습니다")]  # fmt: skip
    transcript = Transcript(dictation_key="k", language="ko", backend="test", duration_s=15, speech_s=14, chunks=1,
                            silent_chunks=0, segments=[TranscriptSegment(start=s, end=s + 3, text=t)
                                                       for s, t in segments])  # fmt: skip
    summary = extract([transcript_page("k", transcript)])
    stamp_times(summary, {"k": transcript})
    drugs = [(m.name, m.dose, m.frequency, m.evidence[0].seconds) for m in summary.medications]
    assert drugs == [("암로디핀", "5 mg", "1일 1회", 0.0), ("메트포르민", "500 mg", "1일 2회", 4.2)]  # warfarin stopped
    assert [(s.text, s.evidence[0].seconds) for s in summary.no_known_allergies] == [("알레르기는 없습니다", 12.5)]
    assert summary.allergies == []


def test_rules_of_a_scanned_table_read_as_text_never_become_a_value() -> None:
    """OCR reads a ruled table's bars as '|', 'ㅣ' or digits: a bar beside a value is dropped, a value whose cell
    holds two numbers under its header is not read at all (a wrong result is worse than a missing one)."""
    text = ("ㅣ 검사명 ㅣ  결과 ㅣ 판정 ㅣ  단위  ㆍ\n"
            "Creatinine  00  0.81      mg/dL\n"
            "eGFR   0  74              mL/min/1.73m²\n"
            "Hb         11 1           g/dL\n")  # fmt: skip
    labs = {(lab.name, lab.value, lab.unit) for lab in _summary(text).labs}
    assert labs == {("Creatinine", "0.81", "mg/dL"), ("eGFR", "74", "mL/min/1.73m²")}


def test_a_faxed_lab_row_keeps_its_value_across_the_rules_and_specks_ocr_leaves_between_cells() -> None:
    """A fax's table rules and specks read as '|', 'ㆍ' or a lone dot between a test's name, its value and its unit;
    the value is still read, with its unit. A lone dot just before the value may be its own decimal point, and a
    second number after the value leaves the value unknown: neither is read."""
    text = ("[검사 결과]\n"
            "Creatinine | 0.92 mg/dL 2026.07.14\n"
            "[Albumin . | 3.6 g/dL 2026.07.14\n"
            "Potassium ㆍ 4.2 mmol/L\n"
            "aPTT 33.5 . |sec 2026.07.14\n"
            "Hb 0. 13.9 _、 g/dL\n"
            "PLT . 87 x10^3/uL\n")  # fmt: skip
    summary = _summary(text)
    labs = {(lab.name, lab.value, lab.unit) for lab in summary.labs}
    assert labs == {("Creatinine", "0.92", "mg/dL"), ("Albumin", "3.6", "g/dL"), ("Potassium", "4.2", "mmol/L"),
                    ("aPTT", "33.5", "sec")}  # fmt: skip
    _exact(summary, [text_page("doc", text)])


def test_a_value_no_patient_can_have_is_a_misreading_and_not_a_result() -> None:
    """A fax loses decimal points (K 4.4 read as 44) and reads rulings as zeros: such values are not taken, never
    corrected; a value in another unit than the limits' is not judged by them, and a real extreme is kept."""
    text = ("[검사 결과]\n"
            "K 44 mmol/L\n"
            "HbA1c 69 %\n"
            "Glucose 00000 mg/dL\n"
            "Glucose 8.2 mmol/L\n"
            "Na 118 mmol/L\n"
            "Creatinine 12.6 mg/dL\n")  # fmt: skip
    labs = {(lab.name, lab.value, lab.unit) for lab in _summary(text).labs}
    assert labs == {("Glucose", "8.2", "mmol/L"), ("Na", "118", "mmol/L"), ("Creatinine", "12.6", "mg/dL")}


def test_a_concentration_is_no_dose_and_a_quantity_alone_is_no_drug() -> None:
    """Albumin is a drug and a test: "Albumin 3.6 g/dL" is a result. A prescription row whose name cell a scan
    reduced to its quantity ("1정") names no drug."""
    text = ("[투약]\n"
            "약품명   1회 투여량   횟수   일수\n"
            "1정   1정   2   14\n"
            "Metformin 500mg   1정   2   14\n"
            "[검사]\n"
            "Albumin 3.6 g/dL 3.5-5.2\n")  # fmt: skip
    summary = _summary(text)
    assert [m.name for m in summary.medications] == ["Metformin"]
    assert [(lab.name, lab.value, lab.unit) for lab in summary.labs] == [("Albumin", "3.6", "g/dL")]


def test_a_drug_line_that_names_an_operation_as_its_time_is_no_procedure() -> None:
    """When a scan drops the cell gaps, a prescription row's instruction runs into the drug: the operation it names
    is when to stop the drug, not a procedure done."""
    text = ("[복용 약물]\n"
            "크레스토정10mg 1T qd—시술대비 2026.05.25부터 중단\n"
            "[수술력]\n"
            "2019.03.11 Laparoscopic appendectomy\n")  # fmt: skip
    summary = _summary(text)
    assert [(p.name, p.date) for p in summary.procedures] == [("Laparoscopic appendectomy", "2019.03.11")]


def test_a_line_of_several_coded_diagnoses_and_an_allergy_line_of_two_statements() -> None:
    text = ("임상진단: 급성 신우신염 (N10), 2형 당뇨병 (E11.9), 탈수 (E86)\n"
            "[과거력]\n - 위궤양, s/p 내시경 지혈술 (K25.9)\n"
            "[알레르기]\n약물 알레르기: 없음      조영제 부작용: 없음\n회신일: 2027.01.02\n")  # fmt: skip
    summary = _summary(text)
    assert [(p.name, p.code) for p in summary.problems] == [
        ("급성 신우신염", "N10"), ("2형 당뇨병", "E11.9"), ("탈수", "E86"),
        ("위궤양, s/p 내시경 지혈술", "K25.9")]  # fmt: skip
    assert summary.allergies == [] and len(summary.no_known_allergies) == 1


def test_a_drug_reaction_told_in_passing_in_an_operation_record_is_an_allergy_but_a_denied_one_is_not() -> None:
    text = ("[수술 기록]\n수술명: Laparoscopic appendectomy\n수술 전 항생제: Cefotetan 1g IV\n"
            "  - Ceftazidime 경미한 두드러기 병력 있어 상의하여 투여, 특이 반응 없었음\n"
            "  - 페니실린에 아나필락시스 과거력\n  - Vancomycin 발진 병력 없음\n  - 심한 가려움 병력\n")  # fmt: skip
    summary = _summary(text)
    assert [(a.substance, a.reaction) for a in summary.allergies] == [("Ceftazidime", "두드러기"),
                                                                       ("페니실린", "아나필락시스")]  # fmt: skip
    assert summary.allergies[0].evidence[0].quote == "Ceftazidime 경미한 두드러기 병력"


def test_a_pending_result_and_the_follow_up_written_in_the_course_are_found_not_medications() -> None:
    text = ("[입원 경과]\n세프트리악손 투여 후 호전됨.\n객담 배양 및 Legionella 요항원 결과 대기 중\n"
            "2주 후 호흡기내과 외래 예약\n")  # fmt: skip
    summary = _summary(text)
    assert [s.text for s in summary.pending_results] == ["객담 배양 및 Legionella 요항원 결과 대기 중"]
    assert [s.text for s in summary.plan] == ["2주 후 호흡기내과 외래 예약"]
    assert summary.medications == []  # a drug named without a strength in prose is not a medication list entry


def test_medication_status_a_finished_course_a_resumed_drug_and_a_hold_before_surgery() -> None:
    text = ("[투약]\nCefuroxime 1.5g IV q8h 투여 (2027.01.03~01.08)\n"
            "메트포르민 500mg bid 조영술 후 48시간 중단 후 재개\n"
            "| 약품명 | 용법 | 수술 전 지시 |\n|---|---|---|\n| 엘리퀴스정 5mg | bid | 중단, 2027.01.10부터 |\n"
            "| 자디앙정 10mg | qd | 3일 전 중단 후 재개 예정 |\n")  # fmt: skip
    status = {m.name: (m.status, m.stop) for m in _summary(text).medications}
    assert status == {"Cefuroxime": ("stopped", "01.08"), "메트포르민": (None, None),
                      "엘리퀴스정": ("held", "2027.01.10"), "자디앙정": ("held", None)}  # fmt: skip


def test_lines_a_scan_garbles_under_a_diagnosis_heading_are_not_diagnoses() -> None:
    text = ("[진단명]\n| |\n - 심방세동 (I48.9)\n - 메트포르민 500mg 1-0-1 유지\n - TSH 2.14 uIU/mL (2026-04-14)\n"
            " - 두근거림, 호흡곤란 없음. 잇몸 출혈 없음.\n - 만성 신장병\n[알레르기]\n| ㅣ 、 |\n")  # fmt: skip
    summary = _summary(text)
    assert [(p.name, p.code) for p in summary.problems] == [("심방세동", "I48.9"), ("만성 신장병", None)]
    assert summary.allergies == []


def test_the_pre_anaesthesia_draft_shows_a_held_anticoagulant_with_its_stop_date() -> None:
    from referral.network import load_network
    from referral.summary.drafts import DraftKind, render
    from tests.test_summary import _referral

    summary = _summary("[투약]\nWarfarin 3 mg qd (2027-01-04부터 수술 전 중단)\nAmlodipine 5 mg qd\n")
    draft = render(DraftKind.PRE_ANESTHESIA, _referral(), summary, load_network(), check_orders(summary, []))
    assert "Warfarin 3 mg qd [보류 held, 2027-01-04부터 / since 2027-01-04]" in draft.text


def test_a_study_dated_to_the_month_counts_from_the_first_day_and_a_recommended_study_is_no_result() -> None:
    summary = _summary("과거력\n - 2027.01 건강검진 Thyroid US: Rt 1.2 cm nodule\n"
                       "Recommendation: 다학제 진료 및 Liver MRI 권고 (2027.02.10)\n")  # fmt: skip
    assert [(s.modality, s.date) for s in summary.imaging] == [("US", "2027.01")]
    thyroid_us = PlannedOrder(name="Thyroid US", planned_on=date(2027, 6, 20))
    assert [r.days_since for r in check_orders(summary, [thyroid_us]).repeats] == [170]  # from 2027-01-01
    late = PlannedOrder(name="Thyroid US", planned_on=date(2027, 7, 10))  # 190 days after the 1st: maybe older
    assert check_orders(summary, [late]).repeats == []


def test_an_operation_record_and_a_history_line_that_looks_like_a_heading() -> None:
    text = ("수술기록지\n수술일: 2027-02-03   수술실: 본관 2층 OR 3   수술시간: 09:00 ~ 10:10\n"
            "수술명: Laparoscopic appendectomy\n"
            "[과거력 / 수술력]\n - 2015년 좌측 서혜부 탈장 수술(전신마취), 합병증 없음\n"
            " - 결핵(-), 간염(-)\n - CHA2DS2-VASc 3점\n")  # fmt: skip
    summary = _summary(text)
    assert {(p.name, p.date) for p in summary.procedures} == {
        ("Laparoscopic appendectomy", "2027-02-03"), ("좌측 서혜부 탈장 수술(전신마취)", "2015년")}  # fmt: skip
    assert summary.problems == []


def test_numbered_studies_of_a_check_up_report_take_its_exam_date_not_the_birth_date_on_that_line() -> None:
    text = ("영상판독소견서 (건강검진)\n등록번호: 30118842 성명: 남궁현\n"
            "생년월일: 1968-09-30 검진일: 2027-03-14 판독일: 2027-03-16\n"
            "1) Chest PA (흉부 X선)\n  No active lesion in both lungs.\n2) Carotid US (경동맥 초음파)\n"
            "  - 1.8 mm IMT, no plaque\n")  # fmt: skip
    summary = _summary(text)
    assert {(s.modality, s.date) for s in summary.imaging} == {("X-ray", "2027-03-14"), ("US", "2027-03-14")}
    read_only = _summary("영상판독소견서\n판독일: 2027-03-16\n1) Chest PA (흉부 X선)\n  No active lesion.\n")
    assert "2027-03-16" not in {s.date for s in read_only.imaging}  # the day it was read is not the day it was done


def test_a_study_to_consider_and_a_study_that_guides_a_biopsy_are_no_results() -> None:
    summary = _summary("[Impression]\n  Recommendation: Breast MRI 고려 바랍니다.\n"
                       "[시행 검사]\n  CT-guided lung biopsy (2027.04.02)\n"
                       "  MRI-US fusion targeted biopsy (2027.04.09)\n")  # fmt: skip
    assert summary.imaging == []
    assert {(p.name, p.date) for p in summary.procedures} == {
        ("CT-guided lung biopsy", "2027.04.02"), ("MRI-US fusion targeted biopsy", "2027.04.09")}  # fmt: skip


def test_a_procedure_as_the_anchor_of_another_time_and_a_disease_named_dissection_are_not_procedures() -> None:
    text = (
        "[경과]\n  수술 후 상태: 안정\n  리바록사반 수술 3일 전부터 중단(27.05.01~). 수술 당일 아침 혈당 확인.\n"
        "  EMR 3개월 후 대장내시경 추적 예정 (2027년 8월)\n"
        "  * Carotid dissection: ruled out (CT angiography 2027.05.02)\n"
        "  2027.05.03 본원 외과 수술 시행\n"
    )  # fmt: skip  (a place and the bare word name no operation)
    assert _summary(text).procedures == []


def test_a_procedure_named_in_a_wrapped_sentence_takes_the_date_said_earlier_in_it() -> None:
    text = ("회송서\n  상기 환자는 2027. 03. 08. 본원에서\n  관상동맥조영술(CAG)을 시행하였고, 중간 협착에 대해\n"
            "  FFR 측정 후 PCI (DES 1개)를 같은 날 시행 받았습니다.\n  추후 외래에서 추적 예정입니다.\n"
            "  시술 관련 합병증은 없었으며\n  퇴원하셨습니다.\n")  # fmt: skip
    summary = _summary(text)
    assert {(p.name, p.date) for p in summary.procedures} == {
        ("관상동맥조영술(CAG)", "2027. 03. 08."), ("PCI (DES 1개)", "2027. 03. 08.")}  # fmt: skip


def test_a_pathology_report_gives_its_operation_and_the_sampling_of_its_specimen_on_the_day_taken() -> None:
    text = ("병리결과보고서\n병리번호: S27-00811 채취일: 2027-06-02 접수일: 2027-06-02 보고일: 2027-06-05\n"
            "임상진단: Right kidney mass (C64.1), s/p CNB (S27-00102)\n"
            "수술명: Robot-assisted partial nephrectomy, right\n"
            "검체: Thyroid, left lower, US-guided fine needle aspiration (0.9 cm nodule)\n"
            "진단: Clear cell renal cell carcinoma\n")  # fmt: skip
    summary = _summary(text)
    assert {(p.name, p.date) for p in summary.procedures} == {
        ("CNB (S27-00102)", None), ("Robot-assisted partial nephrectomy", "2027-06-02"),
        ("US-guided fine needle aspiration (0.9 cm nodule)", "2027-06-02")}  # fmt: skip
    assert summary.imaging == []


def test_a_procedure_mentioned_again_without_a_date_is_the_dated_one() -> None:
    text = "[과거력]\n - 협심증, s/p CABG (I25.1)\n - 2018.04 본원 흉부외과 CABG (3-vessel), 이후 흉통 없음\n"
    summary = _summary(text)
    assert [(p.name, p.date, len(p.evidence)) for p in summary.procedures] == [("CABG (3-vessel)", "2018.04", 2)]


def test_a_fax_that_ran_a_procedure_into_its_artery_or_s_p_and_lost_a_heading_s_closing_bracket() -> None:
    text = ("[과거력\n - 과거 심근경색, s/pPTCA (I25.2)\n - 2017.11 타원 mLCXPTCA(balloon), 이후 재발 없음\n"
            "<TACE / RFA\n - 시술 후 특이 소견 없음\n")  # fmt: skip
    summary = _summary(text)
    assert [(p.name, p.date, len(p.evidence)) for p in summary.procedures] == [("mLCXPTCA(balloon)", "2017.11", 2)]
    assert [p.code for p in summary.problems] == ["I25.2"]
    spaced = _summary("[과거력]\n - 2017.11 mLCX PTCA (balloon)\n - 2019.03 SCAPTCA 예정\n")
    assert [(p.name, p.date) for p in spaced.procedures] == [("mLCX PTCA (balloon)", "2017.11")]


def test_a_turned_table_s_units_row_that_the_scan_ran_across_two_columns_gives_each_its_unit() -> None:
    """Two units read as one cell with a stray dash between them ("uIU/mL - ng/dL") go to the columns they stand
    under; a dash gives no unit."""
    lines = ["검사 2026.03.09", "".join(n.ljust(16) for n in ("Hb", "TSH", "Free T4", "INR")),
             "".join(v.ljust(16) for v in ("12.7", "3.05", "0.88", "1.1")),
             "g/dL".ljust(16) + "uIU/mL - ng/dL".ljust(32) + "-"]  # fmt: skip
    pages = pages_of("pdf", _document(text_pdf(lines)))
    summary = extract(pages)
    _exact(summary, pages)
    assert {(lab.name, lab.value, lab.unit) for lab in summary.labs} == {
        ("Hb", "12.7", "g/dL"),
        ("TSH", "3.05", "uIU/mL"),
        ("Free T4", "0.88", "ng/dL"),
        ("INR", "1.1", None),
    }


def test_a_value_followed_by_a_bracket_no_one_opened_is_a_misread_digit_and_not_a_result() -> None:
    text = ("[생화학]\n검사항목 결과 단위 참고치\nLDH 5) U/L 135-225\nAmylase 67 U/L 28-100\n"
            "췌장염 의심(Lipase 412) 소견\n[경과]\n외래 혈액검사 CK 9) U/L, ALT 31 U/L 이었음\n")  # fmt: skip
    summary = _summary(text)
    assert {(lab.name, lab.value) for lab in summary.labs} == {("Amylase", "67"), ("Lipase", "412"), ("ALT", "31")}


def test_a_bar_after_a_test_name_known_only_with_a_final_i_is_that_i_and_other_specks_are_dropped() -> None:
    text = ("[검사결과]\n검사명    결과    단위    참고범위\nTroponin !    0.52    ng/mL    <0.04\n"
            "CK-MB !    6.1    ng/mL    <5.0\n")  # fmt: skip
    labs = {(lab.name, lab.value, lab.unit) for lab in _summary(text).labs}
    assert labs == {("Troponin I", "0.52", "ng/mL"), ("CK-MB", "6.1", "ng/mL")}


def test_results_told_in_sentences_qualitative_marks_labels_and_days_but_no_thresholds_scores_or_ratios() -> None:
    text = ("[경과]\n"
            "#1. 전신홍반루푸스 (M32.9), ANA(+), C3 62 mg/dL\n"
            "UBT (2027.02.03): 음성\n"
            "Lipase 지난 결과: 96 U/L (2026-12-28)\n"
            "Lipase 목표: 60 이하, CDAI-CRP 3.1 (관해)\n"
            "O) BP 118/72 mmHg, 압통 관절 3 / 28\n"
            "Cr 1.9 미만으로 유지, INR ≤ 2.0 확인 후 시술\n"
            "[검사결과] 2027.02.03\n항목    결과    단위\nCRP (정량)    8.24    mg/dL\n"
            "[평가]\n2027.02.03 CRP 8.24 로 상승\n")  # fmt: skip
    summary = _summary(text)
    labs = {(lab.name, lab.value, lab.unit, lab.date) for lab in summary.labs}
    assert labs == {("ANA", "(+)", None, None), ("C3", "62", "mg/dL", None), ("UBT", "음성", None, "2027.02.03"),
                    ("Lipase", "96", "U/L", "2026-12-28"), ("CRP (정량)", "8.24", "mg/dL", "2027.02.03")}  # fmt: skip
    crp = next(lab for lab in summary.labs if lab.name.startswith("CRP"))
    assert len(crp.evidence) == 2  # the sentence that tells it again, without its unit, is the same result
    _exact(summary, [text_page("doc", text)])


def test_a_turned_table_cell_run_under_two_headings_is_read_in_order_and_a_decimal_comma_is_never_split() -> None:
    names = "".join(n.ljust(18) for n in ("WBC", "Hb", "PLT", "CRP"))
    lines = ["[외래 검사] 2027.01.12", names,
             "6.1 x10^3/uL".ljust(18) + "13.9 g/dL ~ 301 x10^3/uL".ljust(36) + "0.4 mg/dL",
             "[외래 검사] 2027.02.09", names,
             "5.2 x10^3/uL".ljust(18) + "0,7 g/dL".ljust(18) + "288 x10^3/uL"]  # fmt: skip
    pages = pages_of("pdf", _document(text_pdf(lines)))
    summary = extract(pages)
    _exact(summary, pages)
    labs = {(lab.name, lab.value, lab.unit, lab.date) for lab in summary.labs}
    assert {lab for lab in labs if lab[3] == "2027.01.12"} == {
        ("WBC", "6.1", "x10^3/uL", "2027.01.12"), ("Hb", "13.9", "g/dL", "2027.01.12"),
        ("PLT", "301", "x10^3/uL", "2027.01.12"), ("CRP", "0.4", "mg/dL", "2027.01.12")}  # fmt: skip
    # "0,7 g/dL" (a decimal comma) is one result, never "0" under Hb and "7 g/dL" under PLT
    assert ("WBC", "5.2", "x10^3/uL", "2027.02.09") in labs and not {lab[1] for lab in labs} & {"0", "7"}


def test_a_speck_between_value_and_unit_and_a_qualitative_result_takes_the_month_said_before_it() -> None:
    text = ("진료일: 2027.03.02\n[혈액검사]\nMCH 29.8 i pg 27.0-33.0\n"
            "[진단]\n#1. 류마티스 관절염 (M05.8) - dx 2024.03, RF(+)\n")  # fmt: skip
    labs = {(lab.name, lab.value, lab.unit, lab.date) for lab in _summary(text).labs}
    assert labs == {("MCH", "29.8", "pg", "2027.03.02"), ("RF", "(+)", None, "2024.03")}


def test_a_footnote_gives_its_day_to_the_results_it_names_and_a_row_that_prints_its_own_day_keeps_it() -> None:
    text = ("Lab) 2027/02/01 (외래)\n"
            "| Hb | TSH | Free T3 |\n|---|---|---|\n| 12.2 g/dL | 3.9 uIU/mL | 2.8 pg/mL |\n"
            " * TSH, Free T3는 2027/01/05 결과\n"
            "[검사결과]\nCRP 0.6 mg/dL (2027-01-28)\n※ CRP는 2027/01/05 결과\n")  # fmt: skip
    summary = _summary(text)
    _exact(summary, [text_page("doc", text)])
    by_name = {lab.name: lab for lab in summary.labs}
    assert {name: lab.date for name, lab in by_name.items()} == {
        "Hb": "2027/02/01", "TSH": "2027/01/05", "Free T3": "2027/01/05", "CRP": "2027-01-28"}  # fmt: skip
    assert "2027/01/05 결과" in by_name["TSH"].evidence[-1].quote


def test_a_low_flag_before_a_unit_the_scan_garbled_is_the_flag_not_litres() -> None:
    text = ("[혈액검사]\nRBC 3.91 L 10°6/ uL 4.50-5.90\nHct 35.2 L % 39-52\nUrine volume 1.6 L\n"
            "[경과]\nHb 9.8 L ?/dL 이었음\n")  # fmt: skip
    labs = {(lab.name, lab.value, lab.unit, lab.flag) for lab in _summary(text).labs}
    assert labs == {("RBC", "3.91", None, "L"), ("Hct", "35.2", "%", "L"), ("Urine volume", "1.6", "L", None),
                    ("Hb", "9.8", None, "L")}  # fmt: skip


def test_a_test_name_a_fax_read_with_c_and_e_confused_or_its_hyphen_lost_is_the_test() -> None:
    text = "[검사결과]\n2027.04.11 HbAle 6.9 %, anti CCP(-)\nGlucosc 104 mg/dL\n"
    summary = _summary(text)
    assert {(lab.name, lab.value) for lab in summary.labs} == {
        ("HbA1c", "6.9"), ("Anti-CCP", "(-)"), ("Glucose", "104")}  # fmt: skip
    assert any("HbAle" in e.quote for lab in summary.labs for e in lab.evidence)  # the evidence keeps the print
    hepatitis = _summary("[검사결과]\nAnti HBc (+), Anti HBe (-)\n")  # hyphens lost: never one for the other
    assert {(lab.name, lab.value) for lab in hepatitis.labs} == {("Anti-HBc", "(+)"), ("Anti-HBe", "(-)")}
