"""Pages a reviewer removed as another patient's never leave the hospital: the document is sent without them
(a PDF keeps its text layer, a TIFF its other frames), and a document with no page left is not sent."""

from __future__ import annotations

import io

from PIL import Image
from pypdf import PdfReader, PdfWriter

from flows.referral.io import PageRef
from referral.page_removal import removed_pages, without_pages
from referral.synthetic import text_pdf


def pdf_of_pages(*pages: list[str]) -> bytes:
    writer = PdfWriter()
    for lines in pages:
        writer.add_page(PdfReader(io.BytesIO(text_pdf(lines))).pages[0])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def page_texts(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def test_a_pdf_loses_only_the_removed_pages_and_keeps_its_text() -> None:
    data = pdf_of_pages(["첫째 쪽 환자 A"], ["둘째 쪽 환자 B"], ["셋째 쪽 환자 A"])
    kept = without_pages(data, "application/pdf", {2})
    assert kept is not None
    texts = page_texts(kept)
    assert len(texts) == 2 and "첫째" in texts[0] and "셋째" in texts[1] and "환자 B" not in "".join(texts)
    assert without_pages(data, "application/pdf", {1, 2, 3}) is None
    assert without_pages(data, "application/pdf", set()) == data


def test_a_tiff_keeps_its_other_frames_and_a_one_page_image_goes_whole() -> None:
    frames = [Image.new("L", (40, 30), shade) for shade in (0, 128, 255)]
    out = io.BytesIO()
    frames[0].save(out, format="TIFF", save_all=True, append_images=frames[1:])
    kept = without_pages(out.getvalue(), "image/tiff", {1})
    assert kept is not None
    with Image.open(io.BytesIO(kept)) as image:
        shades = []
        for frame in range(image.n_frames):
            image.seek(frame)
            shades.append(image.getpixel((0, 0)))
    assert shades == [128, 255]
    png = io.BytesIO()
    frames[0].save(png, format="PNG")
    assert without_pages(png.getvalue(), "image/png", {1}) is None
    assert without_pages(png.getvalue(), "image/png", {2}) == png.getvalue()


def test_removed_pages_of_a_document() -> None:
    excluded = [PageRef(document_key="a", page=2), PageRef(document_key="a", page=3), PageRef(document_key="b")]
    assert removed_pages("a", excluded) == {2, 3}
    assert removed_pages("b", excluded) is None  # the whole document
    assert removed_pages("c", excluded) == set()
