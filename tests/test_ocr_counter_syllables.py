"""A counter's syllable the models read as digits ("1일 1회" as "14 13]", "4주" as "44") is read back by the Korean
models where its ink is as wide as a syllable (referral/ocr/counter_syllables.py); digits printed as digits, a
reading the Korean models do not give and a syllable the next word already holds are left as they are."""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw, ImageFont

from referral.ocr import LANG
from referral.ocr.counter_syllables import _rest_is_wide, read_counter_syllables
from referral.ocr.models import OcrWord
from referral.pdf import FONT_DIR
from tests.test_ocr_carets import _faxed

FACES = ["NanumGothic.ttf", "NanumMyeongjo.ttf", "NanumBarunGothic.ttf", "NanumSquareR.ttf"]


def _line(printed: list[str], read: list[str], face: str, size: int = 40) -> tuple[Image.Image, list[OcrWord]]:
    """One printed line of these words, each read as `read` says, with its box."""
    font = ImageFont.truetype(str(FONT_DIR / face), size)
    image = Image.new("L", (1400, 4 * size), 255)
    draw = ImageDraw.Draw(image)
    words, left = [], 30
    for text, as_read in zip(printed, read, strict=True):
        draw.text((left, size), text, font=font, fill=0)
        box = draw.textbbox((left, size), text, font=font)
        words.append(OcrWord(text=as_read, box=box, confidence=80.0, line=0))
        left = box[2] + size // 2
    return image, words


@pytest.mark.parametrize("face", FACES)
@pytest.mark.parametrize("size", [34, 44])
@pytest.mark.parametrize("faxed", [False, True])
def test_a_dose_frequency_read_as_digits_is_read_back(face: str, size: int, faxed: bool) -> None:
    image, words = _line(["5mg", "1정", "1일", "2회", "아침"], ["5mg", "1g", "14", "23]", "아침"], face, size)
    image = _faxed(image) if faxed else image
    out, rereads, checks = read_counter_syllables(image, words, LANG)
    narrow = (face, size, faxed) == ("NanumMyeongjo.ttf", 34, True)  # its 정: 0.89 of the 1's height, left as read
    assert [w.text for w in out] == ["5mg", "1g" if narrow else "1정", "1일", "2회", "아침"]
    assert {(r.reason, r.before, r.after) for r in rereads} == {
        ("counter_syllable", "1g", "1정"), ("counter_syllable", "14", "1일"), ("counter_syllable", "23]", "2회")
    } - ({("counter_syllable", "1g", "1정")} if narrow else set())  # fmt: skip
    assert sorted(c.text for c in checks) == sorted(["14", "23]"] + ([] if narrow else ["1g"]))  # each a check


@pytest.mark.parametrize("face", FACES)
def test_digits_printed_as_digits_stay(face: str) -> None:
    image, words = _line(["5mg", "14", "13", "129", "2026"], ["5mg", "14", "13", "129", "2026"], face)
    assert read_counter_syllables(image, words, LANG) == (words, [], [])
    assert read_counter_syllables(_faxed(image), words, LANG) == (words, [], [])


@pytest.mark.parametrize("face", FACES)
def test_only_ink_as_wide_as_a_syllable_is_read_as_one(face: str) -> None:
    # what the Korean models' reading alone would not tell: a digit is narrower than a syllable in every face
    image, words = _line(["14", "17", "10", "1일", "1회", "2주"], ["14", "17", "10", "14", "13]", "24"], face)
    for page in (image, _faxed(image)):
        assert [_rest_is_wide(page, word, 1) for word in words] == [False, False, False, True, True, True], face


@pytest.mark.parametrize("face", FACES)
def test_weeks_and_years_read_back_and_the_leading_digits_never_change(face: str) -> None:
    image, words = _line(["4주", "후", "2017년"], ["44", "후", "20174"], face)
    out, rereads, _ = read_counter_syllables(image, words, LANG)
    assert [w.text for w in out] == ["4주", "후", "2017년"]
    assert all(r.after[:-1] == r.before[: len(r.after) - 1] for r in rereads)


def test_a_syllable_the_next_word_holds_is_not_read_twice() -> None:
    image, words = _line(["1일", "1회"], ["12", "1회"], FACES[0])
    syllable = words[0].model_copy(update={"text": "일", "box": (words[0].box[0] + 15, *words[0].box[1:])})
    out, rereads, _ = read_counter_syllables(image, [words[0], syllable, words[1]], LANG)
    assert [w.text for w in out] == ["1", "일", "1회"]  # the readings merged over the same ink: 1일, once
    assert [(r.before, r.after) for r in rereads] == [("12", "1")]


def test_no_korean_model_reads_nothing_again() -> None:
    image, words = _line(["1일"], ["14"], FACES[0])
    assert read_counter_syllables(image, words, "eng") == (words, [], [])
