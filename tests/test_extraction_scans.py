"""How a scanned page reads once OCR has spaced it out: a product name split into syllables is still that product
when its strength follows it; words that merely end in a dosage form's syllable are not. Text written for this
project with the features measured on fax scans of the independent corpus."""

from __future__ import annotations

from referral.ocr.models import OcrWord
from referral.summary.extractor import extract
from referral.summary.source import SourcePage, text_page


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


def test_a_dosage_form_split_off_its_product_and_a_route_run_onto_its_drug_are_read() -> None:
    text = "[투약]\n- 크레스토 정10mg 1T qd\n- 리리카 캡슐75mg 1C bid\n- MorphineIV2mg prn\n- 오늘 아침 정리함\n"
    found = {(m.name, m.ingredient, m.dose) for m in extract([text_page("fax", text)]).medications}
    assert found == {("크레스토 정", "rosuvastatin", "10mg"), ("리리카 캡슐", "pregabalin", "75mg"),
                     ("Morphine", None, "2mg")}  # fmt: skip


def test_a_unit_with_one_letter_misread_is_that_unit_and_the_quote_keeps_what_the_page_shows() -> None:
    text = "[검사 결과]\nCRP | 7.9 | mg/dt\nAlbumin 3.3 g/dt\nFerritin 41 ng/mt\nNa 139 mt\n"
    labs = {lab.name: (lab.value, lab.unit, lab.evidence[0].quote) for lab in extract([text_page("fax", text)]).labs}
    assert labs["CRP"] == ("7.9", "mg/dL", "CRP | 7.9 | mg/dt")
    assert labs["Albumin"][:2] == ("3.3", "g/dL") and labs["Ferritin"][:2] == ("41", "ng/mL")
    assert labs["Na"][:2] == ("139", None)  # "mt" alone is too short to tell which unit it was: none is guessed


def _scanned(rows: list[list[tuple[str, int, float]]], text: str | None = None) -> SourcePage:
    """A page as OCR gives it: per row its words (text, left edge, confidence) in boxes 30 px high; `text`
    is the page text when a correction changed it after the words were read."""
    words = [OcrWord(text=word, box=(left, 40 * line, left + 15 * len(word), 40 * line + 30), confidence=confidence,
                     line=line)
             for line, row in enumerate(rows) for word, left, confidence in row]  # fmt: skip
    lines = "\n".join(" ".join(word for word, _, _ in row) for row in rows)
    return SourcePage("fax", 1, text if text is not None else lines, tuple(words))


def test_a_cumulative_table_keeps_reading_past_smudged_rows_and_unsure_unknown_tests_are_not_taken() -> None:
    rows = [
        [("검사", 50, 95.0), ("2027.02.03", 400, 93.0), ("2027.02.07", 700, 94.0), ("단위", 1000, 96.0)],
        [("Hb", 50, 95.0), ("12.1", 400, 92.0), ("11.4", 700, 91.0), ("g/dL", 1000, 90.0)],
        [("xr", 50, 31.0), ("Tq", 95, 28.0), ("44", 400, 90.0), ("45", 700, 90.0), ("mmol/L", 1000, 93.0)],
        [("Qz", 50, 44.0), ("5.0", 400, 90.0), ("5.1", 700, 90.0), ("mg/dL", 1000, 93.0)],
        [("Total", 50, 90.0), ("bilirubin", 140, 88.0), ("2.1", 400, 91.0), ("1.2", 700, 92.0), ("mg/dl", 1000, 70.0)],
        [("Ceruloplasmin", 50, 96.0), ("31", 400, 95.0), ("29", 700, 95.0), ("mg/dL", 1000, 95.0)],
    ]
    # the OCR's corrections changed the text after the words were read: a unit's case, a space lost
    text = "\n".join(["검사 2027.02.03 2027.02.07 단위", "Hb 12.1 11.4 g/dL", "xr Tq 44 45 mmol/L", "Qz 5.0 5.1 mg/dL",
                      "Totalbilirubin 2.1 1.2 mg/dL", "Ceruloplasmin 31 29 mg/dL"])  # fmt: skip
    labs = {(lab.name, lab.value, lab.unit, lab.date) for lab in extract([_scanned(rows, text)]).labs}
    assert labs == {
        ("Hb", "12.1", "g/dL", "2027.02.03"), ("Hb", "11.4", "g/dL", "2027.02.07"),
        ("Totalbilirubin", "2.1", "mg/dL", "2027.02.03"), ("Totalbilirubin", "1.2", "mg/dL", "2027.02.07"),
        ("Ceruloplasmin", "31", "mg/dL", "2027.02.03"), ("Ceruloplasmin", "29", "mg/dL", "2027.02.07"),
    }  # fmt: skip  # a test no vocabulary knows is taken when read surely; "xr Tq" and "Qz", read unsurely, are not


def test_what_a_fax_does_to_a_lab_line_is_read_through_and_the_quote_keeps_the_page() -> None:
    text = ("[검사 결과]\nHbAlc 6.9 %\nHbAIc 69 %\nGlucose 141 H mg/dL\nFEV1 2.05 L\nBUN ; 21.7 _ mg/dL\n"
            "WBC 7.1 10°3/uL\nALT 52 [U/L\nAlbumin 3.1 e/dL\n")  # fmt: skip
    labs = {lab.name: lab for lab in extract([text_page("fax", text)]).labs}
    hba1c = labs["HbA1c"]  # the test, named as the vocabulary names it; the quote is what the page shows
    assert (hba1c.value, hba1c.unit, hba1c.evidence[0].quote) == ("6.9", "%", "HbAlc 6.9 %")
    assert len([lab for lab in labs.values() if lab.name == "HbA1c"]) == 1  # "HbAIc 69 %": no HbA1c is 69
    assert (labs["Glucose"].value, labs["Glucose"].unit, labs["Glucose"].flag) == ("141", "mg/dL", "H")
    assert (labs["FEV1"].value, labs["FEV1"].unit, labs["FEV1"].flag) == ("2.05", "L", None)  # litres, no flag
    assert (labs["BUN"].value, labs["BUN"].unit) == ("21.7", "mg/dL")
    assert (labs["WBC"].value, labs["WBC"].unit) == ("7.1", "10^3/uL")  # a caret blurred into a degree sign
    assert (labs["ALT"].value, labs["ALT"].unit) == ("52", "IU/L")
    assert labs["Albumin"].unit is None  # "e/dL" may be what is left of mg/dL: no unit is guessed


def test_specks_around_a_lab_value_are_read_through_but_a_lone_dot_before_a_whole_number_is_not() -> None:
    text = ("[검사 결과]\nFerritin . 41.5 ng/mL 13-150\nAST ~~ 27 U/L 0-40\nTG 180 ‘mg/dL <150\n"
            "Eosinophil 7.4 , % 0-7\nFT4 0.62 L |ng/dL 0.70-1.48\nCRP . 3 mg/dL\n")  # fmt: skip
    labs = {lab.name: (lab.value, lab.unit, lab.flag) for lab in extract([text_page("fax", text)]).labs}
    assert labs["Ferritin"] == ("41.5", "ng/mL", None)  # the value has its own point: the dot before it is a speck
    assert labs["AST"] == ("27", "U/L", None)
    assert labs["TG"] == ("180", "mg/dL", None)
    assert labs["Eosinophil"] == ("7.4", "%", None)
    assert labs["FT4"] == ("0.62", "ng/dL", "L")
    assert "CRP" not in labs  # ". 3" may be ".3" or 3: which is not guessed


def test_a_dose_in_thousands_and_a_frequency_the_scan_glued_on_are_read() -> None:
    text = "[투약]\n08:10 Heparin 3,000 IU IV\n- Metformin 850mgbid, Aspirin 100mg, 3,2\n"
    doses = {m.name: m.dose for m in extract([text_page("fax", text)]).medications}
    assert doses == {"Heparin": "3,000 IU", "Metformin": "850mg", "Aspirin": "100mg"}


def test_a_strength_whose_digit_the_scan_read_as_a_letter_gives_no_dose_from_its_middle() -> None:
    # 2800 IU read with its 2 as Z, 80/12.5 with its 0 as O: no "800IU" (a tenth) and no "12.5mg" (half a
    # combination) in the draft; the tablet count printed after it is what stays. "1정 주 1회" is no product "정 주"
    text = "[투약]\n- 가나다플러스정 35/Z800IU 1정 주 1회\n- Valsartan 8O/12.5mg 1T qd\n"
    doses = {m.name: m.dose for m in extract([text_page("fax", text)]).medications}
    assert doses == {"가나다플러스정": "1정", "Valsartan": "1T"}
    text = "[투약]\n- 가나다플러스정 35/2800IU 1정 주 1회\n- Valsartan 80/12.5mg 1T qd\n"
    doses = {m.name: m.dose for m in extract([text_page("fax", text)]).medications}
    assert doses == {"가나다플러스정": "35/2800IU", "Valsartan": "80/12.5mg"}


def test_a_study_whose_space_ocr_lost_is_still_a_study_but_a_prefixed_test_is_not_another_test() -> None:
    text = (
        "[검사]\n2027.01.12 ChestCT (contrast): 우하엽 결절\nAbdomenUS (2027.01.13): 지방간\n"
        "2027.01.14 ChestX-ray: 정상\n"
    )
    studies = {(s.modality, s.date) for s in extract([text_page("fax", text)]).imaging}
    assert studies == {("CT", "2027.01.12"), ("US", "2027.01.13"), ("X-ray", "2027.01.14")}
    comma = "[검사]\nBrain MRI (2027,01.15): 이상 소견 없음\n"  # the date's first point read as a comma
    assert [(s.modality, s.date) for s in extract([text_page("fax", comma)]).imaging] == [("MRI", "2027.01.15")]
    transfusion = "[계획]\n수혈 준비: pRBC 3 units\n"
    assert extract([text_page("fax", transfusion)]).labs == []  # packed red cells to give: no RBC count of 3
    # the space after a comma lost: the follow-up interval of a study done that day is no plan of a study
    interval = "[경과]\nBrainMRI(2027.01.16,72시간f/u): 새 병변 없음.\n"
    assert [(s.modality, s.date) for s in extract([text_page("fax", interval)]).imaging] == [("MRI", "2027.01.16")]
    planned = "[계획]\nBrain MRI,3개월 후 f/u 예정\n"
    assert extract([text_page("fax", planned)]).imaging == []
    # the space lost between the study and the body part after it; capitals after it are another word (CTDI)
    after = "[영상]\n촬영일: 2027.01.17\n검사명:MRIBrain(DWI, FLAIR)\n2027.01.18 CTDIvol 12.1 mGy\n"
    assert [(s.modality, s.date) for s in extract([text_page("fax", after)]).imaging] == [("MRI", "2027.01.17")]


def test_labels_whose_syllables_a_scan_spaced_out_still_date_the_operation() -> None:
    text = "수술 기록\n수 술 일 2027-03-02 (응급)\n수 술 명: Laparoscopic appendectomy\n"
    procedures = {(p.name, p.date) for p in extract([text_page("fax", text)]).procedures}
    assert procedures == {("Laparoscopic appendectomy", "2027-03-02")}


def test_a_lab_table_whose_headings_a_scan_garbled_is_read_by_what_its_cells_are() -> None:
    lost_first = [  # "검사항목" read as letters: the result, unit and range headings still name the table
        [("Qx", 50, 40.0), ("결과", 400, 95.0), ("단위", 700, 95.0), ("참고치", 1000, 95.0)],
        [("GGT", 50, 95.0), ("63", 400, 93.0), ("[U/L", 700, 80.0), ("9-64", 1000, 90.0)],
        [("AST", 50, 95.0), ("27", 400, 92.0), ("IU/L", 700, 91.0), ("ㅋ", 790, 30.0), ("0-40", 1000, 92.0)],
    ]
    labs = {(lab.name, lab.value, lab.unit, lab.reference_range) for lab in extract([_scanned(lost_first)]).labs}
    # read as a table (each with its range); "[U/L" is IU/L as the scan read it, its bracket no rule to cut, and
    # "IU/L ㅋ" a unit with a speck beside it
    assert labs == {("GGT", "63", "IU/L", "9-64"), ("AST", "27", "IU/L", "0-40")}
    misread_unit = [  # "단위" read as another word: the column's cells still say they are units
        [("검사명", 50, 95.0), ("결과", 400, 95.0), ("단귀", 700, 60.0), ("참고치", 1000, 95.0)],
        [("Albumin", 50, 95.0), ("3.7", 400, 92.0), ("g/dL", 700, 91.0), ("3.5-5.2", 1000, 92.0)],
        # a speck the scan left before the unit, in the unit's own cell
        [("NT-proBNP", 50, 95.0), ("315", 400, 92.0), ("ㅁ", 665, 30.0), ("pg/mL", 700, 91.0), ("<125", 1000, 92.0)],
    ]
    labs = {(lab.name, lab.value, lab.unit, lab.reference_range) for lab in extract([_scanned(misread_unit)]).labs}
    assert labs == {("Albumin", "3.7", "g/dL", "3.5-5.2"), ("NT-proBNP", "315", "pg/mL", "<125")}
    lost_results = [  # "결과" read as one syllable: the unknown heading between the test's and the unit's
        [("검사명", 50, 95.0), ("곁", 400, 50.0), ("단위", 700, 95.0), ("참고치", 1000, 95.0)],
        [("Ferritin", 50, 95.0), ("41.5", 400, 92.0), ("ng/mL", 700, 91.0), ("13-150", 1000, 92.0)],
    ]
    labs = {(lab.name, lab.value, lab.unit, lab.reference_range) for lab in extract([_scanned(lost_results)]).labs}
    assert labs == {("Ferritin", "41.5", "ng/mL", "13-150")}


def test_a_short_test_name_run_into_its_value_is_read_only_with_its_unit() -> None:
    text = "[경과]\n외래 채혈에서 GGT52 U/L, CEA3.1ng/mL로 확인됨. ALT40 정상, K21.0 역류성 식도염.\n"
    labs = {(lab.name, lab.value, lab.unit) for lab in extract([text_page("fax", text)]).labs}
    assert labs == {("GGT", "52", "U/L"), ("CEA", "3.1", "ng/mL")}  # no ALT of 40 without a unit, no potassium


def test_a_result_with_a_unit_of_another_kind_than_its_test_is_not_taken() -> None:
    text = "[검사 결과]\nALP 5.3 ng/mL\nCEA 12 U/L\nAST 31 IU/L\nPSA 0.8 ng/mL\n"
    labs = {(lab.name, lab.value) for lab in extract([text_page("fax", text)]).labs}
    assert labs == {("AST", "31"), ("PSA", "0.8")}  # an enzyme in ng/mL, a tumour marker in U/L: a misreading


def test_a_drug_row_the_scan_ran_into_one_cell_is_split_under_its_headings_and_smudges_are_not_drugs() -> None:
    rows = [
        [("약품코드", 50, 95.0), ("약품명", 250, 95.0), ("1회투여량", 600, 95.0), ("용법", 900, 95.0)],
        # the code and the name with its strength a word apart: OCR's boxes make them one cell across two headings
        [("655501230", 50, 90.0), ("리피토정20mg", 195, 88.0), ("1정", 600, 92.0), ("저녁식후", 900, 92.0)],
        [("641100120", 50, 90.0), ("xq", 250, 35.0), ("Ing", 300, 30.0), ("1정", 600, 92.0), ("아침식후", 900, 92.0)],
    ]
    found = {(m.name, m.dose) for m in extract([_scanned(rows)]).medications}
    assert found == {("리피토정", "20mg")}  # the smudged name read unsurely ("xq Ing") is not a drug


def test_a_drug_row_read_unsurely_is_taken_when_it_has_a_drug_s_shape_a_dosage_form_and_a_strength() -> None:
    rows = [
        [("약품명", 250, 95.0), ("용량", 600, 95.0), ("용법", 900, 95.0)],
        # a product the vocabularies do not know, its syllables spaced by the fax, read unsurely
        [
            ("가나", 50, 70.0),
            ("다", 120, 70.0),
            ("정", 160, 70.0),
            ("5mg", 200, 70.0),
            ("ar", 600, 60.0),
            ("bid", 900, 95.0),
        ],  # fmt: skip
        [("xq", 50, 35.0), ("정", 120, 40.0), ("zz", 600, 30.0), ("qd", 900, 95.0)],  # a smudge: no strength
    ]
    found = {(m.name, m.dose) for m in extract([_scanned(rows)]).medications}
    assert found == {("가나 다 정", "5mg")}


def test_a_biopsy_result_given_in_passing_or_under_a_labelled_diagnosis_keeps_specimen_and_grade() -> None:
    course = "[경과]\n직장 생검:Mucinousadenocarcinoma, poorly differentiated 확인되어 의뢰드립니다.\n"
    (finding,) = extract([text_page("fax", course)]).pathology  # the scan lost a space inside the histology
    assert (finding.specimen, finding.grade) == ("직장 생검", "poorly differentiated")
    assert finding.diagnosis.startswith("Mucinousadenocarcinoma")
    report = "병리 판독\n진단(직장 생검): Tubular adenocarcinoma, poorly differentiated\n"
    (finding,) = extract([text_page("fax", report)]).pathology
    assert (finding.specimen, finding.diagnosis, finding.grade) == (
        "직장 생검",
        "Tubular adenocarcinoma, poorly differentiated",
        "poorly differentiated",
    )


def test_a_biopsy_result_whose_sampling_word_a_scan_garbled_is_still_read_by_the_shape_of_its_label() -> None:
    course = ("[경과]\n직장QX:adenocarcinoma, poorly differentiated 확인되어 의뢰드립니다.\n"
              "Colon, EMP: Tubular adenoma with low grade dysplasia\n")  # fmt: skip
    found = {(f.specimen, f.grade) for f in extract([text_page("fax", course)]).pathology}
    assert found == {("직장QX", "poorly differentiated"), ("Colon, EMP", None)}
    not_results = ("[경과]\n가족력: adenocarcinoma (부친)\n진단: adenocarcinoma of rectum\n간: metastasis 의심\n"
                   "폐 CT: malignancy 의심\n위험인자: malignancy\nSmoking, alcohol: adenoma 없음\n")  # fmt: skip
    assert extract([text_page("fax", not_results)]).pathology == []


def test_a_code_whose_point_a_scan_read_as_a_comma_is_still_that_code_and_its_digits_stay() -> None:
    text = "[진단명]\n- 만성 신장병 3기 (N18,3)\n- 통풍 (M10.9)\n"
    problems = {(p.code, p.evidence[0].quote) for p in extract([text_page("fax", text)]).problems}
    assert problems == {("N18.3", "만성 신장병 3기 (N18,3)"), ("M10.9", "통풍 (M10.9)")}


def test_a_code_whose_letter_a_scan_read_as_a_digit_is_taken_only_where_the_line_names_its_diagnosis() -> None:
    text = (
        "[진단명]\n1. 만성 신장병 3기 (N18.3)\n2. 심부전 (150.9)\n3. 급성 심근경 색증 121.9)\n4. 제2형 당뇨병 (E11.9)\n"
    )
    problems = {(p.name, p.code, p.evidence[0].quote) for p in extract([text_page("fax", text)]).problems}
    assert any("(150.9)" in quote for _, code, quote in problems if code == "I50.9")  # the page as printed
    assert {(n, c) for n, c, _ in problems} == {
        ("만성 신장병 3기", "N18.3"), ("심부전", "I50.9"), ("급성 심근경 색증", "I21.9"), ("제2형 당뇨병", "E11.9")
    }  # fmt: skip
    uncorroborated = "[진단명]\n- XQZ 증후군 (150.9)\n- 심부전, HR 150\n- 혈압 110/70, 본태성 고혈압\n"
    assert {p.code for p in extract([text_page("fax", uncorroborated)]).problems} <= {None}
    table = [  # the same in a diagnosis table's code column, a speck after the code
        [("상병분류기호", 50, 95.0), ("상병명", 400, 95.0)],
        [("150.9 .", 50, 80.0), ("심부전", 400, 92.0)],
        [("121.9", 50, 80.0), ("불안정 협심증", 400, 92.0)],  # I21.9 is a myocardial infarction: no code
    ]
    coded = {(p.name, p.code) for p in extract([_scanned(table)]).problems}
    assert coded == {("심부전", "I50.9"), ("불안정 협심증", None)}


def test_a_study_timed_on_the_day_of_an_emergency_visit_is_a_study_of_that_time() -> None:
    text = "[응급실 경과]\nECG (13:05): atrial fibrillation, rate 128\nChest X-ray (13:20): 폐부종 소견\n"
    studies = {(s.modality, s.date, s.finding) for s in extract([text_page("fax", text)]).imaging}
    assert studies == {("ECG", "13:05", "atrial fibrillation, rate 128"), ("X-ray", "13:20", "폐부종 소견")}


def test_a_room_number_or_a_hyphenated_test_name_read_as_a_code_is_no_diagnosis() -> None:
    text = ("[입원 정보]\n입원일: 2027.02.01 병실: I02 병동 7층\n[진단명]\n- 류마티스 관절염 (M06.9)\n"
            "[경과]\n외래 채혈에서 HDL-C48 mg/dL, LDL-C91 mg/dL 확인됨.\n")  # fmt: skip
    codes = {p.code for p in extract([text_page("fax", text)]).problems}
    assert codes == {"M06.9"}  # no rheumatic chorea from room 102, no cancer from a cholesterol result


def test_a_number_running_into_a_korean_word_under_a_results_heading_is_no_result() -> None:
    text = "[검사 결과]\nrq 240투여량 용법 비고\nHb 12.8 g/dL\n"  # a garbled table heading, then a result
    labs = {(lab.name, lab.value) for lab in extract([text_page("fax", text)]).labs}
    assert labs == {("Hb", "12.8")}


def test_a_turned_tables_units_row_a_scan_garbled_in_part_gives_the_units_it_still_shows() -> None:
    rows = [
        [("Hb", 100, 95.0), ("PLT", 300, 95.0), ("Glucose", 500, 95.0), ("Cr", 700, 95.0), ("HbA1c", 900, 95.0)],
        [("12.8", 100, 92.0), ("233", 300, 92.0), ("142", 500, 92.0), ("0.91", 700, 92.0), ("6.8", 900, 92.0)],
        # g/dL and x10^3/uL garbled ("^" read as "9": a digit is never taken for a caret), "~" a speck
        [("9/0L", 100, 40.0), ("x1093/uL", 300, 50.0), ("~", 420, 20.0), ("mg/dL", 500, 90.0), ("mg/dL", 700, 90.0),
         ("%", 900, 90.0)],
    ]  # fmt: skip
    labs = {(lab.name, lab.value, lab.unit) for lab in extract([_scanned(rows)]).labs}
    assert labs == {("Hb", "12.8", None), ("PLT", "233", None), ("Glucose", "142", "mg/dL"), ("Cr", "0.91", "mg/dL"),
                    ("HbA1c", "6.8", "%")}  # fmt: skip


def test_a_long_unit_with_two_letters_misread_and_a_unit_or_name_beside_a_speck_are_read_no_magnitude_guessed() -> None:
    rows = [
        [("검사명", 50, 95.0), ("결과", 400, 95.0), ("단위", 700, 95.0), ("참고치", 1000, 95.0)],
        # "L" read as "l" and the square as an apostrophe: only eGFR's unit fits
        [("eGFR", 50, 95.0), ("58", 400, 92.0), ("ml/min/1.73m'", 700, 70.0), (">60", 1000, 92.0)],
        [("Albumin", 50, 95.0), ("4.1", 400, 92.0), ("g/dL", 700, 91.0), ("7'", 790, 30.0), ("3.5-5.2", 1000, 92.0)],
        [("Eosinophil", 50, 95.0), ("190", 400, 92.0), ("3", 660, 30.0), ("/uL", 700, 91.0), ("<500", 1000, 92.0)],
        # a speck before the name read as a quote mark, which made the name unsure
        [("“Ferritin", 50, 45.0), ("88", 400, 92.0), ("ng/mL", 700, 91.0), ("13-150", 1000, 92.0)],
    ]
    labs = {lab.name: (lab.value, lab.unit) for lab in extract([_scanned(rows)]).labs}
    assert labs["eGFR"] == ("58", "mL/min/1.73m²") and labs["Albumin"] == ("4.1", "g/dL")
    assert labs["Ferritin"] == ("88", "ng/mL")
    assert labs["Eosinophil"][1] != "/uL"  # a digit before "/uL" may be its magnitude: not dropped as a speck
    short = "[검사 결과]\nCr 1.2 mt/dt\n"  # two letters wrong in a short unit: no unit is guessed
    assert [lab.unit for lab in extract([text_page("fax", short)]).labs] in ([None], [])


def test_a_request_heading_after_a_speck_spaced_out_by_the_scan_ends_the_allergy_section() -> None:
    text = ("- 로수바스타틴 10mg 1일 1회\n을 알레르기\nCefuroxime: 두드러기 (2020년)\n을 의 뢰 내용\n"
            "척추 MRI 판독 부탁드립니다.\n")  # fmt: skip
    allergies = [(a.substance, a.reaction) for a in extract([text_page("fax", text)]).allergies]
    assert allergies == [("Cefuroxime", "두드러기 (2020년)")]  # the request is no allergen


def test_no_known_allergies_said_in_passing_in_a_history_section_is_read() -> None:
    text = "[현병력]\n흉통으로 내원. 음주 가끔 / 약물 부작용 없음 (보호자 확인)\n"
    summary = extract([text_page("fax", text)])
    assert [s.evidence[0].quote for s in summary.no_known_allergies] == ["음주 가끔 / 약물 부작용 없음 (보호자 확인)"]
    assert summary.allergies == []


def test_a_procedure_whose_syllables_a_scan_spaced_is_read_but_an_operation_to_come_is_not() -> None:
    text = ("[경과]\n2027.01.05 관상동맥중재 술 시행, 좌주간부 협착\n복부 CT에서 발견된 종괴, 수술위해 전원\n"
            "시술 목적 입원\n")  # fmt: skip
    found = [(p.name, p.date) for p in extract([text_page("fax", text)]).procedures]
    assert found == [("관상동맥중재 술", "2027.01.05")]


def test_a_procedure_s_acronym_run_into_its_date_and_the_word_after_it_is_read() -> None:
    text = "[경과]\n귀원에서 의뢰하신 병변에 대해 2027.01.09EMR시행하였습니다.\n수술실 입실 2027.01.10\n"
    found = [(p.name, p.date) for p in extract([text_page("fax", text)]).procedures]
    assert found == [("EMR", "2027.01.09")]  # 수술실 (the operating room) is still no operation


def test_specks_beside_a_lab_name_or_between_a_value_and_its_unit_in_a_table_are_read_through() -> None:
    rows = [
        [("검사명", 50, 90.0), ("결과", 400, 95.0), ("단위", 700, 95.0), ("참고치", 1000, 90.0)],
        # a quote and a mark around the name; a syllable speck after it; a tilde joining value and unit in one cell
        [("“PT(INR)=", 50, 3.0), ("1.04", 400, 96.0), ("0.8-1.2", 1000, 84.0)],
        [
            ("Creatinine", 50, 95.0),
            ("호", 215, 7.0),
            ("0.93", 400, 96.0),
            ("mg/dL", 700, 83.0),
            ("0.7-1.2", 1000, 80.0),
        ],  # fmt: skip
        [("Na", 50, 97.0), ("141", 400, 90.0), ("~", 450, 24.0), ("mmol/L", 470, 88.0), ("135-145", 1000, 87.0)],
        # a syllable after a name the vocabulary does not know is no speck: that row stays unread
        [("Qzx", 50, 40.0), ("호", 125, 7.0), ("12", 400, 96.0), ("mg/dL", 700, 83.0)],
    ]
    labs = {(lab.name, lab.value, lab.unit) for lab in extract([_scanned(rows)]).labs}
    assert labs == {("PT(INR)", "1.04", None), ("Creatinine", "0.93", "mg/dL"), ("Na", "141", "mmol/L")}


def test_a_unit_the_scan_ran_into_a_value_s_cell_is_the_unit_of_the_other_values_of_its_row() -> None:
    rows = [
        [("검사명", 50, 90.0), ("2027-01-02", 400, 95.0), ("2027-01-09", 700, 95.0), ("2027-01-16", 1000, 95.0),
         ("단위", 1300, 90.0)],
        [("Ferritin", 50, 95.0), ("210", 400, 95.0), ("180", 700, 60.0), ("oo", 760, 20.0), ("ng/mL", 800, 70.0)],
        # two units in one row (a misread, or a table that changed units): neither is given to the third value
        [("Glucose", 50, 95.0), ("98", 400, 95.0), ("101", 700, 95.0), ("mg/dL", 760, 90.0), ("5.6", 1000, 60.0),
         ("mmol/L", 1060, 70.0)],
    ]  # fmt: skip
    labs = {(lab.name, lab.value, lab.unit) for lab in extract([_scanned(rows)]).labs}
    assert {("Ferritin", "210", "ng/mL"), ("Ferritin", "180", "ng/mL")} <= labs
    assert ("Glucose", "98", None) in labs and ("Glucose", "101", "mg/dL") in labs
