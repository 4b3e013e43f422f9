"""The image a reviewer checks numbers against: each flagged word's line cut from the page, the word boxed; and
every change the OCR made to what it read, shown the same way."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFont

from referral.ocr.models import Check, Correction, OcrPage, Reread
from referral.pdf import FONT_DIR
from review.checks import MAX_STRIPS, Mark, checks_image, data_uri, marks_of


def _page() -> Image.Image:
    page = Image.new("L", (2480, 600), 255)
    ImageDraw.Draw(page).text((200, 200), "Creatinine 2.1 mg/dL", font=ImageFont.truetype(
        str(FONT_DIR / "NanumGothic.ttf"), 40), fill=0)  # fmt: skip
    return page


def test_each_check_is_a_strip_with_its_word_boxed_in_red() -> None:
    check = Check(text="21", box=(430, 205, 490, 245), line=0, confidence=41.0, why="readings_differ")
    marks = marks_of(OcrPage(page=1, method="tesseract", text="", raw_text="", words=[], mean_confidence=90.0,
                             width=2480, height=600, dpi=300, checks=[check, check]))  # fmt: skip
    png, shown = checks_image([("doc p.1", _page(), marks)])  # the same check twice: one strip
    image = Image.open(io.BytesIO(png)).convert("RGB")
    assert shown == 1 and image.width == 1100 and 60 < image.height < 400
    reds = sum(1 for r, g, b in image.get_flattened_data() if r > 180 and g < 60 and b < 60)
    assert reds > 200  # the box and the label
    assert data_uri(png).startswith("data:image/png;base64,")


def test_nothing_to_check_and_too_many_checks() -> None:
    empty, shown = checks_image([])
    assert shown == 0 and Image.open(io.BytesIO(empty)).height == 40
    many = [Mark((100 + i, 200, 160 + i, 240), f"“{i}”") for i in range(MAX_STRIPS + 5)]
    _, shown = checks_image([("doc p.1", _page(), many)])
    assert shown == MAX_STRIPS


def test_what_the_ocr_changed_is_shown_beside_the_checks_but_a_model_s_second_reading_is_not() -> None:
    page = OcrPage(
        page=1, method="tesseract", text="", raw_text="", words=[], mean_confidence=90.0, width=2480, height=600,
        dpi=300,
        checks=[Check(text="21", box=(430, 205, 490, 245), line=0, confidence=41.0, why="low_confidence")],
        corrections=[Correction(kind="unit", before="mg/dl", after="mg/dL", line=0, box=(200, 200, 700, 250)),
                     Correction(kind="lab", before="Creatinlne", after="Creatinine", line=0)],  # no box: not shown
        rereads=[Reread(reason="caret", before="x1043/uL", after="x10^3/uL", box=(500, 205, 690, 245),
                        confidence_before=70.0, confidence_after=70.0),
                 Reread(reason="latin_model", before="2.l", after="2.1", box=(430, 205, 490, 245),
                        confidence_before=60.0, confidence_after=95.0)],
    )  # fmt: skip
    notes = [m.note for m in marks_of(page)]
    assert notes == [
        "“21” 낮은 신뢰도 (low confidence)",
        "“x1043/uL” → “x10^3/uL” 글자 모양으로 판독 (read from the glyph)",
        "“mg/dl” → “mg/dL” 자동 교정 (corrected)",
    ]
    _, shown = checks_image([("doc p.1", _page(), marks_of(page))])
    assert shown == 3
