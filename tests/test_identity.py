"""Patient identity on every page: printed name, birth date and registration number against the referral's
patient. Cases are written here in the styles Korean EMRs print (not copied from any corpus document); the corpus
test checks the independent records."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bench.corpus import records
from referral.identity import check_documents, read_page
from referral.models import Patient, Sex
from referral.ocr import LANG

HONG = Patient(name="홍길동", birth_date=date(1950, 1, 2), sex=Sex.MALE, identifier="12345678")


@pytest.mark.parametrize(
    "header",
    [
        "환자명: 홍길동   생년월일: 1950-01-02   등록번호: 12345678",
        "성 명 : 홍 길동 성별/나이: M/76 생 년 월 일 :1950.01.02",  # OCR spacing
        "| 수진자 성명 | 홍길동 |\n| 주민등록번호 | 500102-1****** |",  # HIRA form, masked resident number
        "이름 홍길동 (M) 생년월일 1950년 1월 2일 병록번호 12345678",
        "Patient name: Gildong Hong   DOB: 1950/01/02",  # romanised, given name first
        "Name: HONG Gil-dong   DOB: 1950/01/02",  # the surname in capitals
        # page 2: a misread name beside a garbled label is no name
        "성명: 홍길동 생년월일: 1950-01-02\n(2/2) 성명: Kim BANC 등록번호: 12345678",
        "성명: 홍길동 생년월일: 50/01/02 등록번호 0099-1234",  # another hospital's number is no finding
        "성명: 홍길동 생년월일: 1950. 01. 02.\n담당의사 성명: 김철수",  # a clinician's name is not the patient's
        "성명: 홍길동 생년월일: 1950-01-02 등록번호: 12345687",  # name and birth date agree: a digit slip of OCR
        "◎ 환자정보: 홍길동 / M / 76세 / 생년월일 1950.01.02 / 등록번호 12345678",
        "| 등록번호. oo 12345678 | 수진자 성명 ㆍ 홍길동 | 생년 월입 : 1950-01-02",  # OCR specks and a misread label
    ],
)
def test_pages_of_the_patient_raise_no_finding(header: str) -> None:
    page = read_page("doc", 1, f"외래 경과기록\n{header}\n진단: 고혈압")
    assert page.printed
    assert check_documents(HONG, [page]) == []


@pytest.mark.parametrize(
    ("header", "kinds"),
    [
        ("성명: 홍길순 생년월일: 1950-01-02 등록번호: 12345678", ["name_mismatch"]),  # a twin: same birth date
        ("성명: 홍길돔 생년월일: 1950-01-02", ["name_misread"]),  # one 받침 off, birth date agrees: still a finding
        ("성명: 홍갈동 생년월일: 1950-01-02", ["name_misread"]),  # one vowel off (ㅣ read as ㅏ): still a finding
        ("성명: 홍걸돔 생년월일: 1950-01-02", ["name_mismatch"]),  # two letters off: another name
        ("성명: 홍길돔 생년월일: 1950-02-01", ["name_mismatch", "birth_date_mismatch"]),
        ("성명: 홍길동 생년월일: 1950-02-01 등록번호: 12345678", ["birth_date_mismatch"]),
        ("성명: 홍길동   등록번호: 12345687", ["registration_no_near_miss"]),  # no birth date to vouch for it
        ("환자명: 김영희 생년월일: 1987-07-14", ["name_mismatch", "birth_date_mismatch"]),
    ],
)
def test_another_patients_page_is_a_finding(header: str, kinds: list[str]) -> None:
    findings = check_documents(HONG, [read_page("doc", 2, header)])
    assert [f.kind for f in findings] == kinds
    assert all(f.page == 2 and f.document_key == "doc" for f in findings)
    assert all("김영희" not in f.message and "1987" not in f.message for f in findings)  # never quotes the other


def test_continuation_pages_belong_to_their_document_but_a_document_without_identity_is_a_finding() -> None:
    first = read_page("letter", 1, "성명: 홍길동 생년월일: 1950-01-02")
    second = read_page("letter", 2, "투약 내역\nAmlodipine 5mg qd")
    anonymous = read_page("scan", 1, "흉부 X선: 이상 소견 없음")
    findings = check_documents(HONG, [first, second, anonymous])
    assert [(f.document_key, f.page, f.kind) for f in findings] == [("scan", None, "no_identifier")]


def test_corpus_identities_agree_with_their_facts_and_the_misfiled_record_is_found(shared_data: Path) -> None:
    """Every record of the independent corpus against its own patient: no finding; against packet C's patient,
    only the misfiled lab report (the corpus marks it expected_identity_mismatch) is found."""
    corpus = {r.name: r for r in records(shared_data / "korean-records")}
    for record in corpus.values():
        printed = [read_page(record.name, i, text) for i, text in enumerate(record.pages_truth, start=1)]
        own = printed[0]
        patient = Patient(name=record.identity["name"], birth_date=own.birth_dates[0] if own.birth_dates else
                          date(1900, 1, 1), sex=Sex.UNKNOWN, identifier=record.identity["registration_no"])  # fmt: skip
        assert check_documents(patient, printed) == [], record.name
    packet = next(r for r in corpus.values() if r.name.startswith("d07_"))
    kim = Patient(name=packet.identity["name"], birth_date=date(1948, 3, 12), sex=Sex.FEMALE,
                  identifier=packet.identity["registration_no"])  # fmt: skip
    found = {
        r.name for r in corpus.values()
        if check_documents(kim, [read_page(r.name, i, t) for i, t in enumerate(r.pages_truth, start=1)])
    }  # fmt: skip
    flagged = {r.name for r in corpus.values() if r.expected_identity_mismatch}
    assert flagged and flagged <= found
    assert not {r.name for r in corpus.values() if r.identity["name"] == packet.identity["name"]} & found


def test_dev_examples_print_the_patient_they_refer() -> None:
    """The example referrals of `referral dev`: every page agrees with the referral's patient."""
    from referral.examples import example_referrals
    from referral.ocr.engine import ocr_pages

    for _, request, files in example_referrals():
        pages = []
        for file in files:
            media_type = "application/pdf" if file.filename.endswith(".pdf") else "image/png"
            pages += [read_page(file.filename, p.page, p.text) for p in ocr_pages(file.data, media_type, LANG)]
        assert all(p.names and p.birth_dates for p in pages)
        assert check_documents(request.patient, pages) == [], request.patient.name
