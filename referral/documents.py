"""Intake checks on uploaded documents, by content: what a file really is, whether it decodes, and whether it
fits the limits. Pure functions; the API, the CLI and the intake activity all call them."""

from __future__ import annotations

import io
import re
import unicodedata
import warnings
from dataclasses import dataclass

import pypdfium2 as pdfium
from PIL import Image, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import PdfReadError

from referral.config import IntakeLimits
from referral.models import MediaType
from referral.pdf_active import active_content, polyglot
from referral.pdfium_lock import PDFIUM


class DocumentRejected(ValueError):
    """A file that intake refuses. `code` is stable for clients; the message never quotes file content."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class InspectedDocument:
    media_type: MediaType
    page_count: int


_MAGIC: list[tuple[bytes, MediaType]] = [
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
]
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f]")


def sanitize_filename(name: str) -> str:
    """A display name for the file. Path components, control characters and hidden names are refused."""
    cleaned = unicodedata.normalize("NFC", name).strip()
    if not cleaned:
        raise DocumentRejected("bad_filename", "file name is empty")
    if "/" in cleaned or "\\" in cleaned or cleaned in {".", ".."} or cleaned.startswith(".."):
        raise DocumentRejected("bad_filename", "file name must not contain a path")
    if _UNSAFE_NAME.search(cleaned):
        raise DocumentRejected("bad_filename", "file name contains control characters")
    if any(unicodedata.category(c) == "Cf" for c in cleaned):  # right-to-left override, isolates, zero-width
        raise DocumentRejected("bad_filename", "file name contains invisible formatting characters")
    if cleaned.startswith("."):
        raise DocumentRejected("bad_filename", "file name must not be hidden (start with a dot)")
    if len(cleaned.encode()) > 255:
        raise DocumentRejected("bad_filename", "file name is longer than 255 bytes")
    return cleaned


def sniff_media_type(data: bytes) -> MediaType:
    head = data[:1024]
    for magic, media_type in _MAGIC:
        if head.startswith(magic) or (media_type == "application/pdf" and magic in head):
            return media_type
    raise DocumentRejected("unsupported_type", "unsupported file type: only PDF, PNG, JPEG and TIFF are accepted")


def inspect_document(data: bytes, limits: IntakeLimits) -> InspectedDocument:
    """Identify and fully check one document, or raise DocumentRejected."""
    if not data:
        raise DocumentRejected("empty", "file is empty")
    if len(data) > limits.max_bytes:
        raise DocumentRejected("too_large", f"file is larger than the limit of {limits.max_bytes} bytes")
    media_type = sniff_media_type(data)
    if media_type == "application/pdf":
        pages = _inspect_pdf(data)
    else:
        pages = _inspect_image(data, limits)
    if pages > limits.max_pages:
        raise DocumentRejected("too_many_pages", f"document has {pages} pages; the limit is {limits.max_pages}")
    return InspectedDocument(media_type=media_type, page_count=pages)


def _inspect_pdf(data: bytes) -> int:
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        encrypted = reader.is_encrypted
    except (PdfReadError, ValueError, OSError) as err:
        raise DocumentRejected("corrupt_pdf", "PDF cannot be read (damaged or truncated)") from err
    if encrypted:
        raise DocumentRejected("encrypted_pdf", "PDF is encrypted: remove the password before sending")
    if b"%%EOF" not in data[-2048:]:
        raise DocumentRejected("corrupt_pdf", "PDF is truncated (no end-of-file marker)")
    if polyglot(data):
        raise DocumentRejected("polyglot_pdf", "file is a PDF and something else (content before its header or "
                                               "after its end): print it to PDF or scan it before sending")  # fmt: skip
    try:
        active = active_content(reader)
    except (PdfReadError, ValueError, OSError, RecursionError) as err:
        raise DocumentRejected("corrupt_pdf", "PDF cannot be read (damaged or truncated)") from err
    if active:
        raise DocumentRejected("active_pdf", f"PDF contains active content ({', '.join(active)}): print it to PDF "
                                             "or scan it before sending")  # fmt: skip
    with PDFIUM:
        try:
            document = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as err:
            raise DocumentRejected("corrupt_pdf", "PDF cannot be read (damaged or truncated)") from err
        try:
            pages = len(document)
            if pages == 0:
                raise DocumentRejected("corrupt_pdf", "PDF has no pages")
            for index in range(pages):
                width, height = document[index].get_size()
                if width <= 0 or height <= 0:
                    raise DocumentRejected("corrupt_pdf", f"PDF page {index + 1} has no size")
        finally:
            document.close()
    return pages


def _inspect_image(data: bytes, limits: IntakeLimits) -> int:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                frames = getattr(image, "n_frames", 1)
                for index in range(frames):
                    image.seek(index)
                    width, height = image.size
                    if width * height > limits.max_pixels:
                        raise DocumentRejected(
                            "image_too_large",
                            f"image page {index + 1} has {width}x{height} pixels; the limit is {limits.max_pixels}",
                        )
                    image.load()
    except DocumentRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        raise DocumentRejected("image_too_large", "image is too large to decode safely") from err
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as err:
        raise DocumentRejected("corrupt_image", "image cannot be decoded (damaged or truncated)") from err
    return frames
