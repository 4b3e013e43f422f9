"""A lab name's bar-shaped glyph read from its shape: the 1 of HbA1c read as l (a flag to the left is a 1), the I
of Troponin I read as | (a bar from the cap height to the baseline is an I). A plain bar, a serif I, a pipe and a
name the vocabulary does not know stay as read."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from referral.ocr.lab_names import read_lab_name_bars
from referral.ocr.models import OcrWord
from tests.test_ocr_carets import _faxed
from tests.test_ocr_safety import FACES

PLAIN = [f for f in FACES if f.stem in ("NanumGothic", "DejaVuSans")]  # faces whose I and l are plain bars


def _line(printed: list[str], face: Path, size: int = 42) -> tuple[Image.Image, list[OcrWord]]:
    """The words printed on one line, each with its box."""
    font = ImageFont.truetype(str(face), size)
    image = Image.new("L", (size * (4 + sum(len(w) for w in printed)), 3 * size), 255)
    draw, x, words = ImageDraw.Draw(image), 20, []
    for text in printed:
        draw.text((x, size), text, font=font, fill=0)
        box = draw.textbbox((x, size), text, font=font)
        words.append(OcrWord(text=text, box=(int(box[0]), int(box[1]), int(box[2]), int(box[3])), confidence=70.0,
                             line=0))  # fmt: skip
        x = int(box[2]) + size // 2
    return image, words


def _read(image: Image.Image, words: list[OcrWord], read: list[str]) -> tuple[list[str], list[str]]:
    as_read = [w.model_copy(update={"text": t}) for w, t in zip(words, read, strict=True)]
    found, rereads = read_lab_name_bars(image, as_read)
    return [w.text for w in found], [f"{r.reason}:{r.before}>{r.after}" for r in rereads]


@pytest.mark.parametrize("face", FACES, ids=lambda p: p.stem)
def test_the_one_of_a_lab_name_read_as_a_letter_is_read_from_its_flag(face: Path) -> None:
    for size in (30, 42):
        image, words = _line(["HbA1c", "6.8", "%"], face, size)
        assert _read(image, words, ["HbAlc", "6.8", "%"]) == (["HbA1c", "6.8", "%"], ["lab_name:HbAlc>HbA1c"])
        image, words = _line(["(HbA1c)"], face, size)
        assert _read(image, words, ["(HbAlc)"])[0] == ["(HbA1c)"], (face.stem, size)


@pytest.mark.parametrize("face", FACES, ids=lambda p: p.stem)
def test_a_bar_or_a_serif_i_where_a_lab_name_has_a_one_stays_as_read(face: Path) -> None:
    printed = ["HbAIc", "HbA|c"] + (["HbAlc"] if face in PLAIN else [])  # a serif or monospace l has a 1's flag
    for text in printed:
        image, words = _line([text], face)
        assert _read(image, words, [text]) == ([text], []), (face.stem, text)
    image, words = _line(["Alc"], face)  # no lab name the vocabulary knows: not read
    assert _read(image, words, ["Alc"]) == (["Alc"], [])


@pytest.mark.parametrize("face", PLAIN, ids=lambda p: p.stem)
def test_the_i_ending_a_lab_name_read_as_a_bar_is_read_from_its_height(face: Path) -> None:
    for size in (30, 42):
        image, words = _line(["Troponin", "I", "0.02"], face, size)
        assert _read(image, words, ["Troponin", "|", "0.02"]) == (["Troponin", "I", "0.02"], ["lab_name:|>I"])
        image, words = _line(["hs-Troponin", "I"], face, size)
        assert _read(image, words, ["hs-Troponin", "|"])[0] == ["hs-Troponin", "I"], (face.stem, size)
        left, top, right, bottom = words[0].box  # a fax's speck over one of the name's letters, in its box
        ImageDraw.Draw(image).rectangle((right - size, top - 12, right - size + 4, top - 8), fill=0)
        specked = [words[0].model_copy(update={"box": (left, top - 12, right, bottom)}), words[1]]
        assert _read(image, specked, ["hs-Troponin", "|"])[0] == ["hs-Troponin", "I"], (face.stem, size, "speck")


@pytest.mark.parametrize("face", FACES, ids=lambda p: p.stem)
def test_a_pipe_or_a_bar_after_another_word_stays_as_read(face: Path) -> None:
    for size in (30, 42):
        image, words = _line(["Troponin", "|", "0.02"], face, size)  # a pipe reaches below the baseline
        assert _read(image, words, ["Troponin", "|", "0.02"]) == (["Troponin", "|", "0.02"], []), (face.stem, size)
    image, words = _line(["Glucose", "I", "98"], face)  # a bar after a name that has no I
    assert _read(image, words, ["Glucose", "|", "98"]) == (["Glucose", "|", "98"], [])


@pytest.mark.parametrize("face", PLAIN, ids=lambda p: p.stem)
def test_the_i_ending_a_lab_name_read_glued_to_it_as_a_bar_is_read_and_a_glued_pipe_stays(face: Path) -> None:
    for size in (30, 42):
        image, words = _line(["hs-Troponin I", "0.02"], face, size)
        read = ["hs-Troponin|", "0.02"]
        assert _read(image, words, read) == (["hs-Troponin I", "0.02"], ["lab_name:hs-Troponin|>hs-Troponin I"])
        image, words = _line(["hs-Troponin |", "0.02"], face, size)  # a pipe reaches below the baseline
        assert _read(image, words, read) == (read, []), (face.stem, size)
    image, words = _line(["Glucose I", "98"], face)  # no name ends with that I
    assert _read(image, words, ["Glucose|", "98"]) == (["Glucose|", "98"], [])


@pytest.mark.parametrize("face", FACES, ids=lambda p: p.stem)
def test_the_i_of_a_lab_name_read_as_l_is_read_from_its_bar_and_an_l_stays(face: Path) -> None:
    for size in (30, 42):
        image, words = _line(["PIVKA-II", "25"], face, size)
        found = _read(image, words, ["PIVKA-IL", "25"])
        assert found in ((["PIVKA-II", "25"], ["lab_name:PIVKA-IL>PIVKA-II"]), (["PIVKA-IL", "25"], [])), face.stem
        # a plain-bar I apart from its neighbours is read; where letters run together ("VKA") the place cannot be told
        assert face.stem != "NanumGothic" or found[0][0] == "PIVKA-II", (face.stem, size)
        image, words = _line(["PIVKA-IL", "25"], face, size)  # printed so: the L's foot, a fax thickening it
        for page in (image, _faxed(image)):
            assert _read(page, words, ["PIVKA-IL", "25"]) == (["PIVKA-IL", "25"], []), (face.stem, size)
