"""Plain text to PDF in NanumGothic (Korean), with reportlab: EMR-style prints and draft documents for delivery."""

from __future__ import annotations

import io
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

FONT_DIR = Path("/usr/share/fonts/truetype/nanum")
_FONT = "NanumGothic"


def text_pdf(lines: list[str], title: str | None = None, font_size: int = 11) -> bytes:
    """A PDF with a real text layer, one line of text per line, new pages as needed."""
    if _FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(_FONT, str(FONT_DIR / "NanumGothic.ttf")))
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4, invariant=1)
    if title:
        pdf.setTitle(title)
    width, height = A4
    max_chars = int((width - 112) / (font_size * 0.62))
    y = height - 60
    pdf.setFont(_FONT, font_size)
    for line in lines:
        for chunk in [line[i : i + max_chars] for i in range(0, len(line), max_chars)] or [""]:
            if y < 60:
                pdf.showPage()
                pdf.setFont(_FONT, font_size)
                y = height - 60
            pdf.drawString(56, y, chunk)
            y -= font_size * 1.6
    pdf.save()
    return out.getvalue()
