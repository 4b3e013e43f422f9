"""Content checks on uploaded documents (pure functions)."""

from __future__ import annotations

from pathlib import Path

import pytest

from referral.config import IntakeLimits
from referral.documents import DocumentRejected, inspect_document, sanitize_filename
from referral.synthetic import clinical_record, image_bytes, render_page, scanned_pdf, text_pdf
from tests import badfiles

LIMITS = IntakeLimits()


def test_accepts_real_documents(shared_data: Path) -> None:
    tif = inspect_document((shared_data / "ocr/tesseract-test/phototest.tif").read_bytes(), LIMITS)
    assert (tif.media_type, tif.page_count) == ("image/tiff", 1)
    page = render_page(clinical_record(1).lines, dpi=100)
    assert inspect_document(image_bytes(page), LIMITS).media_type == "image/png"
    assert inspect_document(image_bytes(page.convert("RGB"), "JPEG"), LIMITS).media_type == "image/jpeg"
    two = inspect_document(scanned_pdf([page, page]), LIMITS)
    assert (two.media_type, two.page_count) == ("application/pdf", 2)
    assert inspect_document(text_pdf(["한 줄"]), LIMITS).page_count == 1
    assert inspect_document(badfiles.page_link_pdf(), LIMITS).page_count == 1  # navigation is not active content


def test_active_content_is_named_in_the_refusal_without_quoting_the_file() -> None:
    with pytest.raises(DocumentRejected) as rejected:
        inspect_document(badfiles.launch_on_open_pdf(), LIMITS)
    assert "launch action" in str(rejected.value) and "cmd.exe" not in str(rejected.value)


@pytest.mark.parametrize(
    ("maker", "code"),
    [
        (lambda: b"", "empty"),
        (badfiles.truncated_pdf, "corrupt_pdf"),
        (badfiles.encrypted_pdf, "encrypted_pdf"),
        (badfiles.decompression_bomb_png, "image_too_large"),
        (badfiles.zip_renamed_pdf, "unsupported_type"),
        (lambda: b"%PDF-1.7\n garbage that is no pdf", "corrupt_pdf"),
        (lambda: image_bytes(render_page(["x"], dpi=50))[:300], "corrupt_image"),
        (badfiles.javascript_pdf, "active_pdf"),
        (badfiles.hex_escaped_javascript_pdf, "active_pdf"),
        (badfiles.launch_on_open_pdf, "active_pdf"),
        (badfiles.uri_link_pdf, "active_pdf"),
        (badfiles.embedded_file_pdf, "active_pdf"),
        (badfiles.html_polyglot_pdf, "polyglot_pdf"),
        (badfiles.pdf_with_trailing_html, "polyglot_pdf"),
    ],
    ids=[
        "empty",
        "truncated-pdf",
        "encrypted-pdf",
        "bomb",
        "zip-as-pdf",
        "fake-pdf",
        "truncated-png",
        "javascript",
        "hex-escaped-javascript",
        "launch-on-open",
        "uri-link",
        "embedded-file",
        "html-polyglot",
        "trailing-html",
    ],
)
def test_rejects_bad_documents(maker, code: str) -> None:
    with pytest.raises(DocumentRejected) as rejected:
        inspect_document(maker(), LIMITS)
    assert rejected.value.code == code


def test_size_and_page_limits() -> None:
    page = render_page(["x"], dpi=50)
    with pytest.raises(DocumentRejected) as too_big:
        inspect_document(image_bytes(page), IntakeLimits(max_bytes=100))
    assert too_big.value.code == "too_large"
    with pytest.raises(DocumentRejected) as too_many:
        inspect_document(scanned_pdf([page] * 3), IntakeLimits(max_pages=2))
    assert too_many.value.code == "too_many_pages"


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd.pdf",
        "a/b.pdf",
        "..\\x.pdf",
        "..",
        "",
        "bad\x00name.pdf",
        "invoice\u202efdp.exe",
        "report\u2066.pdf",
        ".hidden.pdf",
        " .profile.png",
    ],
)
def test_unsafe_filenames_are_refused(name: str) -> None:
    with pytest.raises(DocumentRejected) as rejected:
        sanitize_filename(name)
    assert rejected.value.code == "bad_filename"


def test_filenames_are_normalised() -> None:
    decomposed = "\u1112\u1161\u11ab.pdf"  # 한 in NFD, as macOS writes it
    assert sanitize_filename(f"  {decomposed} ") == "한.pdf"
