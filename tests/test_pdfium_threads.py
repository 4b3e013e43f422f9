"""PDFium is not thread-safe; the intake checks and the OCR engine run in several activity threads of one process.

Without the process-wide lock this test reads valid PDFs as "corrupt" or crashes the interpreter (measured: a
valid PDF refused as corrupt_pdf within 3 s; the CI run of 317eade died of a segmentation fault in a worker thread).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from referral.config import IntakeLimits
from referral.documents import inspect_document
from referral.ocr.engine import iter_pages
from referral.synthetic import text_pdf

LINES = ["성명: 홍길동 생년월일: 1950-01-02", "진단: 고혈압 (I10)", "Creatinine 1.1 mg/dL"] * 10


def test_intake_and_ocr_read_the_same_pdf_from_many_threads_at_once() -> None:
    pdf = text_pdf(LINES)

    def read(_: int) -> set[tuple[int, int]]:
        seen = set()
        for _ in range(20):
            pages = list(iter_pages(pdf, "application/pdf"))
            checked = inspect_document(pdf, IntakeLimits())
            assert all(p.text_layer is not None for p in pages)
            seen.add((checked.page_count, sum(len(p.text_layer.text) for p in pages if p.text_layer)))
        return seen

    with ThreadPoolExecutor(8) as pool:
        results = set().union(*pool.map(read, range(16)))
    alone = {(inspect_document(pdf, IntakeLimits()).page_count,
               sum(len(p.text_layer.text) for p in iter_pages(pdf, "application/pdf") if p.text_layer))}  # fmt: skip
    assert results == alone
