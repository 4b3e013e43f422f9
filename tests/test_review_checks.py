"""The image a reviewer checks numbers against: each flagged word's line cut from the page, the word boxed."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFont

from referral.ocr.models import Check
from referral.pdf import FONT_DIR
from review.checks import MAX_STRIPS, checks_image, data_uri


def _page() -> Image.Image:
    page = Image.new("L", (2480, 600), 255)
    ImageDraw.Draw(page).text((200, 200), "Creatinine 2.1 mg/dL", font=ImageFont.truetype(
        str(FONT_DIR / "NanumGothic.ttf"), 40), fill=0)  # fmt: skip
    return page


def test_each_check_is_a_strip_with_its_word_boxed_in_red() -> None:
    check = Check(text="21", box=(430, 205, 490, 245), line=0, confidence=41.0, why="readings_differ")
    png, shown = checks_image([("doc p.1", _page(), [check, check])])  # the same box twice: one strip
    image = Image.open(io.BytesIO(png)).convert("RGB")
    assert shown == 1 and image.width == 1100 and 60 < image.height < 400
    reds = sum(1 for r, g, b in image.getdata() if r > 180 and g < 60 and b < 60)
    assert reds > 200  # the box and the label
    assert data_uri(png).startswith("data:image/png;base64,")


def test_nothing_to_check_and_too_many_checks() -> None:
    empty, shown = checks_image([])
    assert shown == 0 and Image.open(io.BytesIO(empty)).height == 40
    many = [Check(text=str(i), box=(100 + i, 200, 160 + i, 240), line=0, confidence=10.0, why="low_confidence")
            for i in range(MAX_STRIPS + 5)]  # fmt: skip
    _, shown = checks_image([("doc p.1", _page(), many)])
    assert shown == MAX_STRIPS
