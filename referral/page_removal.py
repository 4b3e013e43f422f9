"""A document without the pages a reviewer removed as another patient's: what is sent to another hospital holds
only this patient's pages. PDFs keep their text layer (pages are dropped, nothing is re-rendered); a multi-page
TIFF keeps its other frames; a one-page image whose page was removed is not sent at all."""

from __future__ import annotations

import io

from PIL import Image
from pypdf import PdfReader, PdfWriter

from flows.referral.io import PageRef


def removed_pages(document_key: str, excluded: list[PageRef]) -> set[int] | None:
    """The 1-based pages of `document_key` a reviewer removed; None when the whole document was removed."""
    mine = [p for p in excluded if p.document_key == document_key]
    if any(p.page is None for p in mine):
        return None
    return {p.page for p in mine if p.page is not None}


def without_pages(data: bytes, media_type: str, pages: set[int]) -> bytes | None:
    """`data` without `pages`; None when no page remains."""
    if not pages:
        return data
    if media_type == "application/pdf":
        reader = PdfReader(io.BytesIO(data))
        writer = PdfWriter()
        for number, page in enumerate(reader.pages, start=1):
            if number not in pages:
                writer.add_page(page)
        if not writer.pages:
            return None
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()
    if media_type == "image/tiff":
        with Image.open(io.BytesIO(data)) as image:
            frames = []
            for number in range(1, getattr(image, "n_frames", 1) + 1):
                image.seek(number - 1)
                if number not in pages:
                    frames.append(image.copy())
        if not frames:
            return None
        out = io.BytesIO()
        frames[0].save(out, format="TIFF", save_all=True, append_images=frames[1:], compression="tiff_lzw")
        return out.getvalue()
    return None if 1 in pages else data  # a one-page image
