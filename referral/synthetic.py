"""Synthetic Korean clinical documents with known facts, rendered as scanned pages.

No openly licensed Korean clinical scans exist, so the examples of `referral dev`, the OCR tests and the
benchmarks render their own: fictional patients, facts drawn from the lexicon, Nanum fonts (Debian
fonts-nanum), and optional scan damage (skew, blur, speckle, low resolution).
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from referral.lexicon import clinical_lexicon
from referral.pdf import FONT_DIR
from referral.pdf import text_pdf as render_text_pdf

A4_INCHES = (8.27, 11.69)

_SURNAMES = "김이박최정강조윤장임한오서신권황안송류홍"
_GIVEN = ["하늘", "민준", "서연", "도윤", "지우", "예준", "하은", "시우", "수아", "지호", "윤서", "은우"]
_DOSES = {"default": ["5 mg", "10 mg", "20 mg", "25 mg", "50 mg", "100 mg", "500 mg", "1000 mg"]}
_FREQ = ["1일 1회", "1일 2회", "1일 3회", "취침 전"]
_LAB_VALUES = {
    "HbA1c": ("%", 5.5, 10.5),
    "Creatinine": ("mg/dL", 0.6, 3.2),
    "eGFR": ("mL/min/1.73m2", 15, 95),
    "LDL": ("mg/dL", 60, 190),
    "Hb": ("g/dL", 8.0, 16.0),
    "AST": ("U/L", 12, 120),
    "ALT": ("U/L", 10, 140),
    "K": ("mEq/L", 3.1, 5.8),
    "Na": ("mEq/L", 128, 146),
    "INR": ("", 0.9, 3.5),
    "CRP": ("mg/dL", 0.1, 12.0),
    "Glucose": ("mg/dL", 70, 320),
    "TSH": ("uIU/mL", 0.2, 9.0),
    "PLT": ("x10^3/uL", 90, 420),
}


@dataclass
class ClinicalDocument:
    """A rendered-to-be document: its lines and the facts (codes, drug names, values) it states."""

    title: str
    lines: list[str]
    facts: list[str] = field(default_factory=list)
    patient_name: str = ""
    birth_date: date | None = None
    registration_no: str = ""


def clinical_record(seed: int, *, pages_of_lines: int = 30) -> ClinicalDocument:
    """A Korean outside record / referral letter with diagnoses, medications, labs and imaging."""
    rng = random.Random(seed)
    lex = clinical_lexicon()
    name = rng.choice(_SURNAMES) + rng.choice(_GIVEN)
    codes = rng.sample(sorted(lex.codes), 3)
    drugs = rng.sample(list(lex.drugs), 4)
    labs = rng.sample(sorted(_LAB_VALUES), 5)
    facts: list[str] = []
    born = date(1900 + rng.randint(30, 89), rng.randint(1, 12), rng.randint(1, 28))
    number = str(rng.randint(10_000_000, 99_999_999))
    lines = [
        "진료의뢰서 (Referral Letter)",
        f"환자명: {name}   생년월일: {born.isoformat()}",
        f"등록번호: {number}   성별: {rng.choice(['남', '여'])}",
        "의뢰기관: 영월의료원 내과   수신: 강원대학교병원 순환기내과",
        "",
        "진단 (Diagnosis)",
    ]
    for code in codes:
        lines.append(f"- {lex.codes[code]} ({code})")
        facts.append(code)
    lines += ["", "투약 (Medications)"]
    for drug in drugs:
        dose = rng.choice(_DOSES["default"])
        lines.append(f"- {drug.capitalize()} {dose} {rng.choice(_FREQ)}")
        facts += [drug.capitalize(), dose]
    lines += ["", "검사 (Labs)"]
    for lab in labs:
        unit, low, high = _LAB_VALUES[lab]
        value = f"{rng.uniform(low, high):.1f}"
        lines.append(f"- {lab} {value} {unit}".rstrip())
        facts.append(f"{lab} {value}")
    lines += [
        "",
        "영상 (Imaging)",
        f"- 2026-{rng.randint(1, 10):02d}-{rng.randint(1, 28):02d} Chest CT: 우상엽 {rng.randint(4, 15)} mm 결절",
        "",
        "의뢰사유: 추가 검사 및 치료를 위해 의뢰드립니다.",
        "알레르기: 없음",
    ]
    return ClinicalDocument(title="진료의뢰서", lines=lines[:pages_of_lines], facts=facts, patient_name=name,
                            birth_date=born, registration_no=number)  # fmt: skip


def render_page(lines: list[str], *, dpi: int = 200, damage: float = 0.0, seed: int = 0) -> Image.Image:
    """Render lines on an A4 page at `dpi`. `damage` in [0, 1] adds skew, blur, speckle and resolution loss."""
    rng = random.Random(seed)
    width, height = int(A4_INCHES[0] * dpi), int(A4_INCHES[1] * dpi)
    page = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    size = int(dpi * 0.16)
    regular = ImageFont.truetype(str(FONT_DIR / "NanumGothic.ttf"), size)
    bold = ImageFont.truetype(str(FONT_DIR / "NanumGothicBold.ttf"), int(size * 1.25))
    y = int(dpi * 0.8)
    for index, line in enumerate(lines):
        font = bold if index == 0 else regular
        draw.text((int(dpi * 0.8), y), line, fill=0, font=font)
        y += int(size * 1.7)
    if damage <= 0:
        return page
    angle = rng.uniform(-3.0, 3.0) * damage
    page = page.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255, expand=False)
    if damage > 0.3:
        small = page.resize((int(width * (1 - 0.4 * damage)), int(height * (1 - 0.4 * damage))))
        page = small.resize((width, height))
    page = page.filter(ImageFilter.GaussianBlur(radius=0.8 * damage))
    pixels = np.array(page, dtype=np.int16)
    noise = np.random.default_rng(seed).random(pixels.shape)
    pixels[noise < 0.004 * damage] = 0
    pixels[noise > 1 - 0.004 * damage] = 255
    pixels = pixels + np.random.default_rng(seed + 1).normal(0, 18 * damage, pixels.shape).astype(np.int16)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "L")


def image_bytes(image: Image.Image, fmt: str = "PNG", dpi: int = 200) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, dpi=(dpi, dpi))
    return out.getvalue()


def scanned_pdf(pages: list[Image.Image], dpi: int = 200) -> bytes:
    """An image-only PDF, as a scanner produces it (no text layer)."""
    out = io.BytesIO()
    rgb = [p.convert("RGB") for p in pages]
    rgb[0].save(out, format="PDF", save_all=True, append_images=rgb[1:], resolution=float(dpi))
    return out.getvalue()


def text_pdf(lines: list[str]) -> bytes:
    """A PDF with a real text layer (as an EMR prints it), in NanumGothic."""
    return render_text_pdf(lines)
