"""A Korean word the page's reading turned into Latin letters is read again by the Korean model alone
(referral/ocr/hangul_reread.py); a word that is Latin, sure, clinical or part of a code is left as read."""

from __future__ import annotations

from PIL import Image, ImageDraw, ImageFont

from referral.ocr import LANG
from referral.ocr.hangul_reread import read_hangul_again
from referral.ocr.models import OcrWord
from referral.pdf import FONT_DIR


def _line(words: list[str]) -> tuple[Image.Image, list[OcrWord]]:
    """One printed line of these words, and each word's box as the page's reading would give it."""
    font = ImageFont.truetype(str(FONT_DIR / "NanumGothic.ttf"), 40)
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


def test_a_sure_latin_word_a_clinical_word_or_a_code_s_letter_is_left_as_read() -> None:
    image, words = _line(["처방", "내역", "확인", "CRP", "상승"])
    for index, text, confidence in ((1, "LHS", 91.0), (3, "CRP", 40.0)):  # sure; a clinical word, however unsure
        read = [_read_as(w, text, confidence) if i == index else w for i, w in enumerate(words)]
        assert read_hangul_again(image, read, LANG) == (read, [])
    image, words = _line(["진단", "내역", "05.9", "섬망"])  # before a number: may be a code's letters
    read = [words[0], _read_as(words[1], "LHS", 40.0), words[2], words[3]]
    assert read_hangul_again(image, read, LANG)[1] == []
