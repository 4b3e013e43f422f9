"""OCR of one document, page by page: a PDF's text layer where it has one, else Tesseract on the cleaned scan,
then clinical post-correction. Knows nothing of Temporal."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial

import pypdfium2 as pdfium
from PIL import Image

from referral.ocr.bracketed_i import read_bracketed_i
from referral.ocr.carets import read_carets
from referral.ocr.code_letters import read_code_letters
from referral.ocr.correct import correct_text
from referral.ocr.counter_syllables import read_counter_syllables
from referral.ocr.decimal_points import read_decimal_points
from referral.ocr.grams import read_grams
from referral.ocr.hangul_reread import read_hangul_again
from referral.ocr.international_units import read_international_units
from referral.ocr.lab_names import read_lab_name_bars
from referral.ocr.latin_spans import read_latin_spans
from referral.ocr.merge import merge_readings
from referral.ocr.micro import read_dropped_micro_signs, read_micro_signs
from referral.ocr.modality_letters import read_modality_letters
from referral.ocr.models import Check, OcrPage, OcrWord, Reread
from referral.ocr.preprocess import SPECKLED, TARGET_DPI, clear_rules_and_specks, deskew, normalise
from referral.ocr.reread import (
    low_confidence_numbers,
    read_boxes_again,
    read_dose_ones,
    read_latin_again,
)
from referral.ocr.stages import read_stage_zeros
from referral.ocr.tables import join_words, table_rows, union_box, word_lines
from referral.ocr.tesseract import detect_rotation, recognise_each
from referral.ocr.times_sign import read_times_signs
from referral.pdfium_lock import PDFIUM

MIN_TEXT_LAYER_CHARS = 20
ENGINE = "tesseract-5-hangul+two-readings+fax-cleanup+latin-reread+safe-correction-4"


@dataclass(frozen=True)
class PageSource:
    page: int
    image: Image.Image | None = None
    text_layer: OcrPage | None = None


def _words_text(words: list[OcrWord]) -> str:
    """Join words into lines, with a space only where the page has a gap (Tesseract splits Korean syllables)."""
    return "\n".join(join_words(line, max(w.box[3] - w.box[1] for w in line)) for line in word_lines(words))


def _text_layer(page: pdfium.PdfPage, number: int) -> OcrPage | None:
    textpage = page.get_textpage()
    try:
        text = textpage.get_text_range()
        if sum(not c.isspace() for c in text) < MIN_TEXT_LAYER_CHARS:
            return None
        width, height = page.get_size()
        scale = TARGET_DPI / 72
        words: list[OcrWord] = []
        line, start = 0, None
        for index in range(min(len(text), textpage.count_chars()) + 1):
            char = text[index] if index < len(text) else " "
            if char.isspace() or index == len(text):
                if start is not None:
                    boxes = [textpage.get_charbox(i) for i in range(start, index)]
                    left, right = min(b[0] for b in boxes), max(b[2] for b in boxes)
                    bottom, top = min(b[1] for b in boxes), max(b[3] for b in boxes)
                    box = (
                        int(left * scale),
                        int((height - top) * scale),
                        int(right * scale),
                        int((height - bottom) * scale),
                    )
                    words.append(OcrWord(text=text[start:index], box=box, confidence=100.0, line=line))
                    start = None
                if char == "\n":
                    line += 1
            elif start is None:
                start = index
    finally:
        textpage.close()
    clean = "\n".join(ln.rstrip() for ln in text.replace("\r\n", "\n").split("\n"))
    return OcrPage(
        page=number,
        method="text_layer",
        text=clean,
        raw_text=clean,
        words=words,
        rows=table_rows(words),
        mean_confidence=100.0,
        width=int(width * scale),
        height=int(height * scale),
        dpi=TARGET_DPI,
    )


def _page_source(document: pdfium.PdfDocument, index: int) -> PageSource:
    page = document[index]
    try:
        layer = _text_layer(page, index + 1)
        if layer is not None:
            return PageSource(page=index + 1, text_layer=layer)
        bitmap = page.render(scale=TARGET_DPI / 72, grayscale=True)
        image = bitmap.to_pil().copy()  # to_pil shares the bitmap's memory; the copy outlives it
        bitmap.close()
    finally:
        page.close()
    image.info["dpi"] = (TARGET_DPI, TARGET_DPI)
    return PageSource(page=index + 1, image=image)


def iter_pages(data: bytes, media_type: str) -> Iterator[PageSource]:
    if media_type == "application/pdf":
        with PDFIUM:
            document = pdfium.PdfDocument(data)
            count = len(document)
        try:
            for index in range(count):
                with PDFIUM:  # held per page, released while the caller reads the page it was given
                    source = _page_source(document, index)
                yield source
        finally:
            with PDFIUM:
                document.close()
        return
    with Image.open(io.BytesIO(data)) as image:
        for index in range(getattr(image, "n_frames", 1)):
            image.seek(index)
            frame = image.copy()
            frame.info["dpi"] = image.info.get("dpi")
            yield PageSource(page=index + 1, image=frame)


def _read_words(
    binary: Image.Image, gray: Image.Image, noise: float, lang: str
) -> tuple[Image.Image, list[OcrWord], list[Reread], list[Check]]:
    """The page as read (for the code letters' glyphs), its words, the re-reads kept and the checks. The page is
    read twice, black and white and grey, each with its Latin words read again, and the readings merged (a third
    reading of a word where they differ on a number); a Korean word read as Latin letters is read again by the
    Korean model alone, a Latin term broken into jamo and marks by the English model as one word, and a counter's
    syllable read as digits by the Korean models. A fax or a copy is read in black and white without its rules and
    specks (the page image keeps its rules)."""
    reading = clear_rules_and_specks(binary) if noise > SPECKLED else binary
    first = recognise_each([reading, gray], lang, 4)
    sharp, grey = read_latin_again(reading, first[0]), read_latin_again(gray, first[1])
    words, differ = merge_readings(sharp[0], grey[0], partial(read_boxes_again, gray, lang=lang))
    words, hangul = read_hangul_again(gray, words, lang)
    words, spans, span_checks = read_latin_spans(reading, words)
    words, counters, counter_checks = read_counter_syllables(reading, words, lang)
    kept = {(w.box, w.text) for w in words}
    boxes = {box for box, _ in kept}
    rereads = [r for r in sharp[1] + grey[1] if (r.box, r.after) in kept] + hangul + spans + counters
    later = span_checks + counter_checks
    checks = {c.box: c for c in differ} | {c.box: c for c in sharp[2] + grey[2] + later if c.box in boxes}
    return reading, words, rereads, list(checks.values())


# glyphs read from their shape on the page as read, in this order: a code's I or C, a dose's 1, IU and g, a count
# unit's caret, then its μ (read as u, or dropped) and x, a lab name's 1 or I, a stage's 0, a number's dropped
# point, an I and its closing bracket read as D, a modality's T (each leaves every other word as it is)
_BY_SHAPE: tuple[Callable[[Image.Image, list[OcrWord]], tuple[list[OcrWord], list[Reread]]], ...] = (
    read_code_letters, read_dose_ones, read_international_units, read_grams, read_carets, read_micro_signs,
    read_dropped_micro_signs, read_times_signs, read_lab_name_bars, read_stage_zeros, read_decimal_points,
    read_bracketed_i, read_modality_letters,
)  # fmt: skip


def ocr_image(image: Image.Image, page: int, lang: str) -> OcrPage:
    binary, gray, dpi, noise = normalise(image)
    rotation = detect_rotation(binary)
    if rotation:
        binary = binary.rotate(-rotation, expand=True, fillcolor=255)
        gray = gray.rotate(-rotation, expand=True, fillcolor=255)
    binary, gray, skew = deskew(binary, gray)
    reading, words, rereads, checks = _read_words(binary, gray, noise, lang)
    by_shape: list[Reread] = []
    for read_glyphs in _BY_SHAPE:
        words, found = read_glyphs(reading, words)
        by_shape += found
    raw = _words_text(words)
    text, corrections = correct_text(raw, [union_box(line) for line in word_lines(words)])
    confidences = [w.confidence for w in words]
    compared = {c.box for c in checks}  # a word whose readings differ is checked once
    return OcrPage(
        page=page,
        method="tesseract",
        text=text,
        raw_text=raw,
        words=words,
        mean_confidence=round(sum(confidences) / len(confidences), 2) if confidences else 0.0,
        width=binary.width,
        height=binary.height,
        dpi=dpi,
        rotation=rotation,
        skew_degrees=skew,
        corrections=corrections,
        rereads=rereads + by_shape,
        checks=checks + [c for c in low_confidence_numbers(words) if c.box not in compared],
        noise=noise,
        rows=table_rows(words),
        image=_png(binary),
    )


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.convert("1").save(out, "PNG", optimize=True)  # bilevel: a 300-dpi page is ~100 kB
    return out.getvalue()


def ocr_pages(data: bytes, media_type: str, lang: str, skip: frozenset[int] = frozenset()) -> Iterator[OcrPage]:
    """OCR every page not in `skip` (pages a previous attempt already finished)."""
    for source in iter_pages(data, media_type):
        if source.page in skip:
            continue
        if source.text_layer is not None:
            yield source.text_layer
        else:
            assert source.image is not None
            yield ocr_image(source.image, source.page, lang)
