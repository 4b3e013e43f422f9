"""A Korean word the page's reading turned into Latin letters is read again by the Korean model alone
(referral/ocr/hangul_reread.py); a word printed in Latin letters, a clinical word or a code's letter is left as
read."""

from __future__ import annotations

from PIL import Image, ImageDraw, ImageFont

from referral.ocr import LANG
from referral.ocr.hangul_reread import read_hangul_again
from referral.ocr.models import OcrWord
from referral.pdf import FONT_DIR


def _line(words: list[str], face: str = "NanumGothic.ttf") -> tuple[Image.Image, list[OcrWord]]:
    """One printed line of these words, and each word's box as the page's reading would give it."""
    font = ImageFont.truetype(str(FONT_DIR / face), 40)
    image = Image.new("L", (1400, 120), 255)
    draw = ImageDraw.Draw(image)
    boxes, left = [], 30
    for text in words:
        draw.text((left, 30), text, font=font, fill=0)
        box = draw.textbbox((left, 30), text, font=font)
        boxes.append(OcrWord(text=text, box=box, confidence=95.0, line=0))
        left = box[2] + 30
    return image, boxes


def _read_as(word: OcrWord, text: str, confidence: float) -> OcrWord:
    return word.model_copy(update={"text": text, "confidence": confidence})


def test_a_korean_word_read_as_latin_letters_is_read_again_by_the_korean_model() -> None:
    image, words = _line(["처방", "내역", "확인", "요망"])
    read = [words[0], _read_as(words[1], "LHS", 52.0), words[2], words[3]]
    out, rereads = read_hangul_again(image, read, LANG)
    assert [w.text for w in out] == ["처방", "내역", "확인", "요망"]
    assert [(r.reason, r.before, r.after) for r in rereads] == [("hangul_model", "LHS", "내역")]
    assert read_hangul_again(image, read, "eng") == (read, [])  # no Korean model given: nothing read again


def test_a_word_read_surely_as_latin_is_read_again_and_the_surer_reading_stands() -> None:
    image, words = _line(["처방", "내역", "확인", "요망"])
    read = [words[0], _read_as(words[1], "LHS", 91.0), words[2], words[3]]
    assert [w.text for w in read_hangul_again(image, read, LANG)[0]] == ["처방", "내역", "확인", "요망"]
    image, words = _line(["처방", "Plan", "확인", "요망"])  # Latin print: the Korean model reads it unsurely
    assert read_hangul_again(image, words, LANG) == (words, [])


def test_a_product_name_before_its_strength_is_read_again_but_a_code_s_lone_letter_is_not() -> None:
    image, words = _line(["처방", "자누비아정", "100mg", "복용"])
    read = [words[0], _read_as(words[1], "LHASAS", 0.0), words[2], words[3]]
    assert [w.text for w in read_hangul_again(image, read, LANG)[0]][1] == "자누비아정"
    image, words = _line(["진단", "내", "05.9", "섬망"])
    read = [words[0], _read_as(words[1], "F.", 40.0), words[2], words[3]]
    assert read_hangul_again(image, read, LANG)[1] == []


def test_a_reading_the_script_model_is_unsure_of_stands_where_the_language_model_reads_the_same() -> None:
    # NanumSquareRoundR's 신병철: the Hangul script model reads it at 59, Tesseract's kor model at 93
    image, words = _line(["환자명", ":", "신병철", "등록번호"], "NanumSquareRoundR.ttf")
    read = [words[0], words[1], _read_as(words[2], "awe", 65.0), words[3]]
    rereads = read_hangul_again(image, read, LANG)[1]
    assert [(r.before, r.after) for r in rereads] == [("awe", "신병철")]
    assert rereads[0].confidence_after >= 85
    # NanumMyeongjo's: the script model reads 신병절, the language model 신병철; models that differ settle nothing
    image, words = _line(["환자명", ":", "신병철", "등록번호"], "NanumMyeongjo.ttf")
    read = [words[0], words[1], _read_as(words[2], "OSHA", 65.0), words[3]]
    assert read_hangul_again(image, read, LANG)[1] == []


def test_a_clinical_word_or_a_code_s_letter_is_left_as_read() -> None:
    image, words = _line(["처방", "내역", "확인", "CRP", "상승"])
    read = [_read_as(w, "CRP", 40.0) if i == 3 else w for i, w in enumerate(words)]  # a clinical word, unsure
    assert read_hangul_again(image, read, LANG) == (read, [])
    image, words = _line(["진단", "내역", "05.9", "섬망"])  # a lone letter before a number: a code's
    read = [words[0], _read_as(words[1], "F", 40.0), words[2], words[3]]
    assert read_hangul_again(image, read, LANG)[1] == []
