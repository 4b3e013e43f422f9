"""What the reviewer must compare with the page: every number or code whose OCR confidence is low or whose two
readings differ, and every change the OCR made to what it read (a post-correction, a glyph read by its shape), cut
from the page image as recognised (its line, the word boxed in red), one strip under the other, as one PNG for the
review task."""

from __future__ import annotations

import base64
import io
from functools import cache
from typing import NamedTuple, get_args

from PIL import Image, ImageDraw, ImageFont

from referral.ocr.models import OcrPage
from referral.ocr.reread import GlyphReason
from referral.pdf import FONT_DIR

MAX_STRIPS = 40
WIDTH = 1100  # pixels of the composed image: readable beside the draft in Label Studio
_WHY = {"low_confidence": "낮은 신뢰도 (low confidence)", "readings_differ": "판독 불일치 (readings differ)"}
_BY_SHAPE = frozenset(get_args(GlyphReason))  # a model's second reading is a check where it matters


class Mark(NamedTuple):
    """A box on the page and what the reviewer is told of it."""

    box: tuple[int, int, int, int]
    note: str


def marks_of(page: OcrPage) -> list[Mark]:
    """The page's checks, then what its OCR changed: glyphs read by their shape, post-corrections (each once)."""
    marks = [Mark(c.box, f"“{c.text}” {_WHY[c.why]}") for c in page.checks]
    marks += [Mark(r.box, f"“{r.before}” → “{r.after}” 글자 모양으로 판독 (read from the glyph)")
              for r in page.rereads if r.reason in _BY_SHAPE]  # fmt: skip
    marks += [Mark(c.box, f"“{c.before}” → “{c.after}” 자동 교정 (corrected)") for c in page.corrections if c.box]
    return list(dict.fromkeys(marks))


@cache
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_DIR / "NanumGothic.ttf"), size)


def _strip(page: Image.Image, box: tuple[int, int, int, int], label: str) -> Image.Image:
    left, top, right, bottom = box
    height = bottom - top
    crop_box = (
        max(0, left - 500),
        max(0, top - height),
        min(page.width, right + 500),
        min(page.height, bottom + height),
    )
    crop = page.crop(crop_box).convert("RGB")
    ImageDraw.Draw(crop).rectangle((left - crop_box[0] - 4, top - crop_box[1] - 4, right - crop_box[0] + 4,
                                    bottom - crop_box[1] + 4), outline=(220, 0, 0), width=4)  # fmt: skip
    scale = min(1.0, WIDTH / crop.width)
    crop = crop.resize((int(crop.width * scale), max(1, int(crop.height * scale))))
    strip = Image.new("RGB", (WIDTH, crop.height + 34), "white")
    ImageDraw.Draw(strip).text((6, 4), label, font=_font(20), fill=(160, 0, 0))
    strip.paste(crop, (0, 30))
    return strip


def checks_image(pages: list[tuple[str, Image.Image, list[Mark]]]) -> tuple[bytes, int]:
    """(PNG, number of marks shown) for [(page label, page image, marks)]."""
    strips: list[Image.Image] = []
    total = sum(len(marks) for _, _, marks in pages)
    for label, image, marks in pages:
        for mark in marks[: MAX_STRIPS - len(strips)]:
            strips.append(_strip(image, mark.box, f"{label} — {mark.note}"))
    shown = len(strips)
    if not strips:
        note = Image.new("RGB", (WIDTH, 40), "white")
        ImageDraw.Draw(note).text((6, 8), "확인할 숫자·코드, 자동 교정 없음 (nothing to check)", font=_font(20),
                                  fill="black")  # fmt: skip
        strips = [note]
    elif total > shown:
        more = Image.new("RGB", (WIDTH, 34), "white")
        ImageDraw.Draw(more).text((6, 6), f"… 외 {total - shown}건 (more)", font=_font(20), fill="black")
        strips.append(more)
    composed = Image.new("RGB", (WIDTH, sum(s.height for s in strips)), "white")
    y = 0
    for strip in strips:
        composed.paste(strip, (0, y))
        y += strip.height
    out = io.BytesIO()
    composed.convert("P", palette=Image.Palette.ADAPTIVE, colors=8).save(out, "PNG", optimize=True)
    return out.getvalue(), shown


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()
