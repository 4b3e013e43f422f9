"""OCR quality on real and rendered pages, measured against ground truth (character error rate, CER, with
whitespace ignored) and the survival of clinical facts; plus the post-correction rules one by one."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from PIL import Image

from referral.ocr import LANG
from referral.ocr.correct import correct_line, keeps_numbers
from referral.ocr.engine import ocr_image, ocr_pages
from referral.ocr.metrics import character_error_rate, fact_survival
from referral.ocr.tesseract import _run
from referral.synthetic import clinical_record, render_page, scanned_pdf, text_pdf

# (image, ground truth, CER we assert; measured 2026-11-28: 0.000, 0.000, 0.012, 0.028)
REAL_PAGES = [
    ("tesseract-test/phototest.tif", "tesseract-test/phototest.gold.txt", 0.01),
    ("tesseract-test/phototest-rotated-180.png", "tesseract-test/phototest.gold.txt", 0.01),
    ("synthetic-scans-demo/aci_train_D2N001.png", "synthetic-scans-demo/aci_train_D2N001.gt.txt", 0.025),
    ("synthetic-scans-demo/krcore_korean_page.png", "synthetic-scans-demo/krcore_korean_page.gt.txt", 0.05),
]


def plain_tesseract(image: Image.Image) -> str:
    """The baseline: Tesseract kor+eng on the page as it is, no clean-up, no correction."""
    return _run(image.convert("L"), ["-l", "kor+eng"])


@pytest.mark.parametrize(("image", "truth", "max_cer"), REAL_PAGES, ids=[p[0].split("/")[1] for p in REAL_PAGES])
def test_real_pages_match_ground_truth(shared_data: Path, image: str, truth: str, max_cer: float) -> None:
    page = Image.open(shared_data / "ocr" / image)
    reference = (shared_data / "ocr" / truth).read_text(encoding="utf-8")
    result = ocr_image(page, 1, LANG)
    cer = character_error_rate(reference, result.text)
    assert cer <= max_cer, f"CER {cer:.4f} > {max_cer}"
    assert cer <= character_error_rate(reference, plain_tesseract(page))
    assert result.words and all(0 <= w.confidence <= 100 for w in result.words)


def test_upside_down_scan_is_turned(shared_data: Path) -> None:
    result = ocr_image(Image.open(shared_data / "ocr/tesseract-test/phototest-rotated-180.png"), 1, "eng")
    assert result.rotation == 180
    assert "quick brown dog" in result.text


def _ours_and_plain(seed: int, damage: float) -> tuple[float, float, float, float]:
    """Fact survival and CER of this project's OCR and of plain Tesseract on one rendered record."""
    record = clinical_record(seed)
    truth = "\n".join(record.lines)
    page = render_page(record.lines, damage=damage, seed=seed)
    ours, plain = ocr_image(page, 1, LANG).text, plain_tesseract(page)
    return (fact_survival(record.facts, ours), fact_survival(record.facts, plain),
            character_error_rate(truth, ours), character_error_rate(truth, plain))  # fmt: skip


@pytest.mark.slow
def test_korean_clinical_facts_survive_better_than_plain_tesseract() -> None:
    """Rendered Korean records (clean and damaged scans) with known codes, drug names and values."""
    cases = [(seed, damage) for seed in range(100, 106) for damage in (0.0, 0.6, 1.0)]
    with ProcessPoolExecutor(2) as pool:  # one Tesseract per core: the pages are independent
        results = list(pool.map(_ours_and_plain, *zip(*cases, strict=True)))
    ours_facts, plain_facts, ours_cer, plain_cer = (sum(r[i] for r in results) / len(cases) for i in range(4))
    print(f"fact survival ours {ours_facts:.3f} plain {plain_facts:.3f}; CER ours {ours_cer:.3f} plain {plain_cer:.3f}")
    # a regression test on our own generator, not the quality claim (bench/records_eval.py is): 0.986 measured
    # in session 16 (0.962 since corrections may no longer change a digit: 110 → I10 needs the glyph's shape)
    assert ours_facts >= 0.95
    assert plain_facts <= 0.85  # the baseline really loses facts: the measure is not trivially passed
    assert ours_cer < plain_cer


def test_pdf_text_layer_is_used_and_scanned_pdf_is_ocred() -> None:
    record = clinical_record(3)
    layered = list(ocr_pages(text_pdf(record.lines), "application/pdf", LANG))
    assert [p.method for p in layered] == ["text_layer"]
    assert fact_survival(record.facts, layered[0].text) == 1.0
    assert any(w.text == "(Diagnosis)" for w in layered[0].words)
    scanned = list(ocr_pages(scanned_pdf([render_page(record.lines)]), "application/pdf", LANG))
    assert [p.method for p in scanned] == ["tesseract"]
    assert fact_survival(record.facts, scanned[0].text) >= 0.9


def test_resume_skips_finished_pages() -> None:
    page = render_page(["첫 페이지"], dpi=100)
    pages = list(ocr_pages(scanned_pdf([page, page, page]), "application/pdf", LANG, skip=frozenset({1, 3})))
    assert [p.page for p in pages] == [2]


@pytest.mark.parametrize(
    ("garbled", "fixed"),
    [
        ("Metformin 500 ing", "Metformin 500 mg"),
        ("Creatinine 1.5 mg/dl", "Creatinine 1.5 mg/dL"),
        ("FT4 1.1 ng/dl", "FT4 1.1 ng/dL"),  # a litre's L read as l, in any unit the lexicon knows
        ("TSH 6.82 ulU/mL", "TSH 6.82 uIU/mL"),
        ("TSH 5.1 H ulU/mL 0.27-4.20", "TSH 5.1 H uIU/mL 0.27-4.20"),  # a unit in its own column, after a flag
        ("검사명 결과 단위 g/dl mg/dl", "검사명 결과 단위 g/dL mg/dL"),
        ("PLT 250 x10^3/ul 150-400", "PLT 250 x10^3/uL 150-400"),  # a count's litre read as l
        ("WBC 16.3 |x10°3/uL", "WBC 16.3 |x10^3/uL"),  # a table's rule run onto the unit stays, the caret is read
        ("Febuxostt 80 mg", "Febuxostat 80 mg"),
        ("lbuprofen 400 mg", "Ibuprofen 400 mg"),
        ("천식 (!45.9)", "천식 (I45.9)"),
        ("상병: Q50.9 빈혈", "상병: D50.9 빈혈"),
        # a Korean word one letter (자모) away from exactly one word of the vocabularies
        ("크레스토점 10mg 1T", "크레스토정 10mg 1T"),
        ("본원 심장내가 외래", "본원 심장내과 외래"),
        # a word the scan spaced out, its letter off in a syllable standing alone: the scan's spaces kept
        ("크 래 스토정 10mg 1T", "크 레 스토정 10mg 1T"),
        ("당원 소 화 기 내 가 진료", "당원 소 화 기 내 과 진료"),
        # a product the vocabulary does not know, its dosage form one letter off before the strength
        ("가나다캡슬 100mg 1C", "가나다캡슐 100mg 1C"),
        ("가나다 캡슬100mg", "가나다 캡슐100mg"),
        # a word of four syllables or more inside a run the scan printed without spaces
        ("본원소화가내과외래 예약", "본원소화기내과외래 예약"),
        ("영윌의료원 내과 외래", "영월의료원 내과 외래"),  # a hospital of the network (network.yaml)
        ("약픔명 1회 투여량 일수", "약품명 1회 투여량 일수"),  # a prescription's name column
        # Roman numerals after a class word or in a list of ECG leads
        ("NYHA class Il", "NYHA class II"),
        ("NYHA class: Ill (HF)", "NYHA class: III (HF)"),  # the class word's colon
        ("Mallampati class ||, 목 움직임 정상", "Mallampati class II, 목 움직임 정상"),  # bars after the class word
        ("T inversion in li, Ill, aVF", "T inversion in II, III, aVF"),
        ("(CCS classIl) 재발", "(CCS classII) 재발"),  # the numeral glued to its class word
        ("Killip class | / 폐부종 없음", "Killip class I / 폐부종 없음"),  # a lone I read as a bar, no word after it
        ("Forrest class l", "Forrest class I"),
        ("RBC 4.1 10°6/uL", "RBC 4.1 10^6/uL"),
        ("식이ㆍ운동 교육, 기침 ㆍ 가래 호전", "식이·운동 교육, 기침 · 가래 호전"),  # the interpunct
        # a known unit with its letters misread (a long one, two of them): the digits stay as read
        ("eGFR 41 mt/min/1.73m’ >60", "eGFR 41 mL/min/1.73m² >60"),
        ("eGFR 41 mL/min/1.73m", "eGFR 41 mL/min/1.73m²"),  # the square dropped at the line's end
        ("BUN 19.4 mg/dt", "BUN 19.4 mg/dL"),
    ],
)
def test_post_correction_fixes(garbled: str, fixed: str) -> None:
    line, corrections = correct_line(garbled, 0, (1, 2, 3, 4))
    assert line == fixed
    assert corrections and all(c.box == (1, 2, 3, 4) for c in corrections)


@pytest.mark.parametrize(
    "garbled",
    [
        "Creatinine2.1 mg/dL",  # a name joined to its number: the value must not be eaten
        "Ceftriaxone2g IV q24h",  # the dose stays
        "Ki-67. 15%",  # a split decimal is not joined: 67 and 15 may be two numbers
        "- 본태성 고혈압 (110)",  # I10 read as 110: a digit would be removed; the image re-read decides
        "- 유방암 (650. 9)",
        "당뇨병 (E119)",
        "만성 폐쇄성 폐질환 (/444.9)",
        "Sertraline SO mg",  # a letter is never turned into a digit
        "HbAlc 8. 2 %",
        "Albumin 3.5 ng/mL",  # a real unit is never changed into another (magnitude)
    ],
)
def test_post_correction_never_changes_a_number(garbled: str) -> None:
    line, _ = correct_line(garbled, 0)
    assert keeps_numbers(garbled, line)
    assert [t for t in line.split() if any(c.isdigit() for c in t)] == [
        t for t in garbled.split() if any(c.isdigit() for c in t)
    ]


@pytest.mark.parametrize(
    "line",
    [
        "BP 110/70 mmHg",
        "Room 110 (3층)",
        "The quick brown dog",
        "(12) items",
        "eurotext: Ä Ö Ü",
        "Letter (Referral)",
        "AFP 3.1 ng/mL",  # a result sheet's test name is no misread of the lexicon's ALP
        "HBeAg Negative, Anti-HBs Positive",
        # a short acronym one letter from a lab name is another acronym, not a misread (a stroke is no CEA)
        "CTA 결과 정상, HCV RNA 음성",
        "Troponin T 0.01 ng/mL",  # a one-word name never gains the word of a two-word one (Troponin I)
        "Hb 9.8 |g/dL",  # a table's rule before grams is no micro sign: g/dL stays g/dL
        "WBC 6.1 x10^3/µL",  # either micro sign is right as printed
        "(연구 3 건) 참여 중",  # a word that ends like a dosage form, with no name before it
        "프레탈중단 후 3일",  # a brand and 중단: never the product 프레탈정 with a syllable left over
        "acutely Ill, transferred",
        "검사명 || 결과 || 단위",  # bars alone, no class word before them: a table's rules
        "Hb ㆍ 10.4 g/dL",  # a table's rule read as araea between a name and its value: no interpunct
        "ASA class 11",  # digits are never read as a numeral
        "Killip class | 2",  # a lone bar with a number after it: a table's rule before its value
        "등급 | 1",  # a Korean class word: its table's rule
        "class l and ll",  # a word after the lone letter: no numeral standing alone
        "classic, classify",
        "24시 간 경과 후 재검",  # 간경화 is one letter from 간 경과, but in a word of its own: never joined
        "수술 전 평가 결과",  # words printed apart, exactly a vocabulary word together: left as printed
        "검사실 방문 예정",  # a word of its own one letter from a date column's heading (검사일): no heading
        "f/u 2주 후, and/or c/o 흉통",  # a word with a slash that is no unit
        "WBC 6.1 x10^3/pL",  # a p is pico of its own: never read as a micro sign in the page's text
        "BSA 1.73m, 4 mt",  # too short to be a misread unit
    ],  # fmt: skip
)
def test_post_correction_leaves_ordinary_text_alone(line: str) -> None:
    assert correct_line(line, 0) == (line, [])
