"""`referral extract`: the production path offline, as a real process (exit codes, stdout, stderr), on records
of the independent corpus (../shared/data/korean-records) and on bad input."""

from __future__ import annotations

import json
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import Image

from referral.config import IntakeLimits
from referral.extract import PatientClaim, extract
from referral.network import default_network
from referral.pdfium_lock import PDFIUM
from referral.synthetic import text_pdf
from tests import badfiles

ROOT = Path(__file__).resolve().parents[1]


def run_extract(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "referral.cli", "extract", *map(str, args)], cwd=cwd or ROOT,
                          capture_output=True, text=True, timeout=600, check=False)  # fmt: skip


@pytest.fixture(scope="module")
def records_dir(shared_data: Path) -> Path:
    return shared_data / "korean-records" / "rendered"


def test_pdf_png_and_tiff_give_one_json_document(records_dir: Path, tmp_path: Path) -> None:
    """Packet C of the corpus: two records of 김영숙 and a misfiled lab report of another patient (as a TIFF)."""
    tiff = tmp_path / "lab.tiff"
    Image.open(records_dir / "d13_lab_report_kimyoungsoon.fax.p1.png").save(tiff, dpi=(200, 200))
    done = run_extract(records_dir / "d07_opd_af_warfarin_kimyoungsook.pdf",
                       records_dir / "d25_medlist_kimyoungsook.fax.p1.png", tiff,
                       "--patient-name", "김영숙", "--birth-date", "1948-03-12", "--registration-no", "00123456",
                       "--planned", "Chest X-ray", "--on", "2026-06-12", "--json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["schema"] == "referral-extract/1"
    assert [f["media_type"] for f in result["files"]] == ["application/pdf", "image/png", "image/tiff"]
    assert [p["method"] for p in result["pages"]] == ["text_layer", "tesseract", "tesseract"]
    assert all({"text", "words", "corrections", "rereads", "checks", "rows"} <= set(p) for p in result["pages"])
    tiff_sha = result["files"][2]["sha256"]
    assert {f["document_key"] for f in result["identity"]["findings"]} == {tiff_sha}
    assert "name_mismatch" in {f["kind"] for f in result["identity"]["findings"]}
    assert result["identity"]["reference"] == "given"
    assert {d["kind"] for d in result["drafts"]} >= {"referral_letter", "outside_record_summary"}
    assert "⚠ 환자 확인 필요" in result["drafts"][0]["text"]
    for page in result["pages"]:  # numbers the OCR is unsure of are marked for the reviewer
        assert all(c["why"] in ("low_confidence", "readings_differ") for c in page["checks"])
    assert "page 1" in done.stderr  # progress on standard error, never mixed into the JSON


def test_readable_report(records_dir: Path) -> None:
    done = run_extract(records_dir / "d07_opd_af_warfarin_kimyoungsook.pdf", "--quiet")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("# referral extract")
    assert "환자 확인 / identity (reference: first_document)" in done.stdout and "이상 없음" in done.stdout
    assert "## 초안 / draft: 진료의뢰서" in done.stdout
    assert done.stderr == ""


@pytest.mark.parametrize(
    ("content", "code"),
    [(b"", "empty"), (b"PK\x03\x04 not a document", "unsupported_type"), (badfiles.truncated_pdf(), None)],
    ids=["empty", "foreign", "truncated-pdf"],
)
def test_bad_files_are_refused_and_nothing_is_written(tmp_path: Path, content: bytes, code: str | None) -> None:
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(content)
    good = tmp_path / "good.pdf"
    good.write_bytes(text_pdf(["성명: 홍길동 생년월일: 1950-01-02", "진단: 고혈압 (I10)"]))
    before = sorted(tmp_path.iterdir())
    done = run_extract(good, bad, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stdout == ""  # no partial report: the files are all checked before any OCR
    assert "bad.pdf" in done.stderr and (code is None or f"[{code}]" in done.stderr)
    assert "page" not in done.stderr
    assert sorted(tmp_path.iterdir()) == before


def test_missing_file_and_bad_date_are_usage_errors(tmp_path: Path) -> None:
    assert run_extract(tmp_path / "nowhere.pdf").returncode == 2
    good = tmp_path / "good.pdf"
    good.write_bytes(text_pdf(["성명: 홍길동"]))
    done = run_extract(good, "--on", "12/06/2026")
    assert done.returncode == 2 and "YYYY-MM-DD" in done.stderr


@pytest.mark.slow
def test_500_page_pdf_in_bounded_memory_with_progress(tmp_path: Path) -> None:
    with PDFIUM:
        page = pdfium.PdfDocument(text_pdf(["성명: 홍길동 생년월일: 1950-01-02", "진단: 고혈압 (I10)",
                                            "Amlodipine 5mg 1일 1회", "Creatinine 1.1 mg/dL"]))  # fmt: skip
        big = pdfium.PdfDocument.new()
        for _ in range(500):
            big.import_pages(page)
        path = tmp_path / "chart.pdf"
        big.save(path)
        big.close()
        page.close()
    messages: list[str] = []
    tracemalloc.start()
    result = extract([path], PatientClaim(), default_network(), referring_org="yeongwol-mc", receiving_org="knuh",
                     limits=IntakeLimits(), progress=messages.append)  # fmt: skip
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(result["pages"]) == 500 and len(messages) == 500 and "page 500" in messages[-1]
    assert result["identity"]["findings"] == []
    print(f"500 pages: Python allocation peak {peak / 2**20:.1f} MB")
    assert peak < 400 * 2**20
