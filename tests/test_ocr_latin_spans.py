"""A Latin term the page's reading broke into jamo and marks ("ㄷ AG" for CAG, "×- ㅠ 3" for X-ray) is read again
by the English model as one word, only where that reading is a term the vocabularies name
(referral/ocr/latin_spans.py); a run that reads as no term, a lone jamo with no Latin piece beside it, words a
space apart, a bullet before the term and the Korean syllables glued after it are left as read."""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw, ImageFont

from referral.ocr.latin_spans import read_latin_spans
from referral.ocr.models import OcrWord
from referral.pdf import FONT_DIR

FACES = ["NanumGothic.ttf", "NanumMyeongjo.ttf", "NanumBarunGothic.ttf"]

# a printed word, and how the page's reading split it: (the piece's characters in the word, what was read)
Split = list[tuple[int, int, str]]


def _line(printed: list[tuple[str, Split]], face: str) -> tuple[Image.Image, list[OcrWord]]:
    """One printed line of these words (a space apart), and the pieces each was read as, with their boxes."""
    font = ImageFont.truetype(str(FONT_DIR / face), 40)
    image = Image.new("L", (1400, 120), 255)
    draw = ImageDraw.Draw(image)
    pieces, left = [], 30
    for text, split in printed:
        draw.text((left, 30), text, font=font, fill=0)
        _, top, right, bottom = draw.textbbox((left, 30), text, font=font)
        for start, end, read in split or [(0, len(text), text)]:
            box = (left + round(font.getlength(text[:start])), top, left + round(font.getlength(text[:end])), bottom)
            pieces.append(OcrWord(text=read, box=box, confidence=60.0, line=0))
        left = right + 30
    return image, pieces


@pytest.mark.parametrize("face", FACES)
def test_a_procedure_whose_c_was_read_as_a_jamo_is_read_as_the_term(face: str) -> None:
    image, words = _line([("외래", []), ("CAG상", [(0, 1, "ㄷ"), (1, 3, "AG"), (3, 4, "상")]), ("2VD", [])], face)
    out, rereads, checks = read_latin_spans(image, words)
    assert [w.text for w in out] == ["외래", "CAG", "상", "2VD"]
    assert [(r.reason, r.before, r.after) for r in rereads] == [("latin_span", "ㄷ AG", "CAG")]
    assert out[1].box == (words[1].box[0], min(words[1].box[1], words[2].box[1]), words[2].box[2],
                          max(words[1].box[3], words[2].box[3]))  # fmt: skip
    assert checks == []  # no digit among the pieces


@pytest.mark.parametrize("face", FACES)
def test_a_modality_read_as_marks_a_jamo_and_a_digit_is_read_again_and_checked(face: str) -> None:
    split = [(0, 2, "×-"), (2, 3, "ㅠ"), (3, 5, "3"), (5, 6, "상")]
    image, words = _line([("복부", []), ("X-ray상", split), ("장폐색", [])], face)
    out, rereads, checks = read_latin_spans(image, words)
    assert [w.text for w in out] == ["복부", "X-ray", "상", "장폐색"]
    assert [(r.before, r.after) for r in rereads] == [("×- ㅠ 3", "X-ray")]
    # the pieces held a digit the reading does not: the reviewer compares the word with the page
    assert [(c.text, c.why) for c in checks] == [("×- ㅠ 3", "readings_differ")]


def test_a_run_that_reads_as_no_term_is_left_as_read() -> None:
    image, words = _line([("외래", []), ("QZB상", [(0, 1, "ㄷ"), (1, 3, "ZB"), (3, 4, "상")])], FACES[0])
    assert read_latin_spans(image, words) == (words, [], [])


def test_a_lone_jamo_with_no_latin_piece_or_a_space_apart_is_never_read_again() -> None:
    image, words = _line([("복용", []), ("|", [(0, 1, "ㅣ")]), ("80mg", [])], FACES[0])  # a table's bar, a dose
    assert read_latin_spans(image, words) == (words, [], [])
    image, words = _line([("ㄷ", []), ("AG", [])], FACES[0])  # a space apart: two printed words, not one
    assert read_latin_spans(image, words) == (words, [], [])


def test_a_bullet_before_the_term_stays_as_read() -> None:
    image, words = _line([("-", [(0, 1, "|")]), ("CAG", [(0, 1, "ㄷ"), (1, 3, "AG")])], FACES[0])
    words[1] = words[1].model_copy(update={"box": (words[0].box[2] + 8, *words[1].box[1:])})  # the bullet glued on
    out, rereads, _ = read_latin_spans(image, words)
    assert [w.text for w in out] == ["|", "CAG"]
