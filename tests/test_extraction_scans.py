"""How a scanned page reads once OCR has spaced it out: a product name split into syllables is still that product
when its strength follows it; words that merely end in a dosage form's syllable are not. Text written for this
project with the features measured on fax scans of the independent corpus."""

from __future__ import annotations

from referral.summary.extractor import extract
from referral.summary.source import text_page


def test_a_product_name_split_into_syllables_is_read_with_its_strength() -> None:
    text = ("[복용 약물]\n- 트윈 스 타정40/5mg 1T qd\n- 자누 비 아 정 100mg 1T qd (2027.01.05신규)\n"
            "HD#2 야간 불면 있어 스 틸녹 스정10mg 중 단(2027-01-06)\n- 투약 조정 필요\n"
            "- 1일 1회 수술 당일 중단 아마릴정1mg\n")  # fmt: skip
    found = {(m.name, m.ingredient, m.dose, m.status) for m in extract([text_page("fax", text)]).medications}
    assert found == {
        ("트윈 스 타정", None, "40/5mg", None),
        ("자누 비 아 정", "sitagliptin", "100mg", "new"),
        ("스 틸녹 스정", None, "10mg", "stopped"),
        ("아마릴정", "glimepiride", "1mg", None),  # a stop before the name, with no label, is not read as its
    }


def test_a_unit_with_one_letter_misread_is_that_unit_and_the_quote_keeps_what_the_page_shows() -> None:
    text = "[검사 결과]\nCRP | 7.9 | mg/dt\nAlbumin 3.3 g/dt\nFerritin 41 ng/mt\nNa 139 mt\n"
    labs = {lab.name: (lab.value, lab.unit, lab.evidence[0].quote) for lab in extract([text_page("fax", text)]).labs}
    assert labs["CRP"] == ("7.9", "mg/dL", "CRP | 7.9 | mg/dt")
    assert labs["Albumin"][:2] == ("3.3", "g/dL") and labs["Ferritin"][:2] == ("41", "ng/mL")
    assert labs["Na"][:2] == ("139", None)  # "mt" alone is too short to tell which unit it was: none is guessed
