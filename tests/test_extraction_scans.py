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
