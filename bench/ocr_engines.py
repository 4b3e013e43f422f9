"""Other Korean OCR engines and models, measured on the independent corpus's clean scans against the Tesseract
model this project uses (Debian tesseract-ocr-kor), plain --psm 4 for all Tesseract models.

Candidates are the ones a package registry ships with their weights (nothing may be downloaded at run time):
- RapidOCR (PyPI `rapidocr`, PP-OCRv6 det/rec ONNX models inside the wheel; its Korean recognition model is
  downloaded at run time, so only the shipped Chinese/English one can run offline);
- Tesseract's other Korean models from npm `@tesseract.js-data/kor` and `/eng` (`4.0.0`: legacy + LSTM
  integer model; `4.0.0_best_int`): unpack `*.traineddata.gz` into a folder with `osd.traineddata`, pass it as
  `--tessdata-dir`.

    .venv/bin/pip install rapidocr onnxruntime    # bench-only, not a dependency of the system
    .venv/bin/python bench/ocr_engines.py [--tessdata-dir DIR ...] [--rapidocr]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pypdfium2 as pdfium  # noqa: E402

from bench.corpus import Record, records  # noqa: E402
from referral.ocr.metrics import character_error_rate, missing_facts  # noqa: E402


def _scan_pages(record: Record, folder: Path) -> list[Path]:
    document = pdfium.PdfDocument(str(record.scan_pdf))
    paths = []
    for index in range(len(document)):
        path = folder / f"{record.name}.p{index + 1}.png"
        document[index].render(scale=300 / 72, grayscale=True).to_pil().save(path, dpi=(300, 300))
        paths.append(path)
    return paths


def _tesseract(tessdata: str | None, lang: str = "kor+eng"):  # type: ignore[no-untyped-def]
    def read(path: Path) -> str:
        args = ["tesseract", str(path), "stdout", "-l", lang, "--psm", "4"]
        args += ["--tessdata-dir", tessdata] if tessdata else []
        env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
        return subprocess.run(args, capture_output=True, text=True, env=env, check=True).stdout

    return read


def _rapidocr():  # type: ignore[no-untyped-def]
    from rapidocr import RapidOCR  # type: ignore[import-not-found]

    engine = RapidOCR()
    return lambda path: "\n".join(engine(str(path)).txts or [])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tessdata-dir", action="append", default=[], help="another Tesseract model folder")
    parser.add_argument("--lang", action="append", default=[], help="another model set of the default folder")
    parser.add_argument("--rapidocr", action="store_true")
    parser.add_argument("--docs", nargs="*", help="record names (default: all)")
    args = parser.parse_args()
    engines = {"tesseract (Debian kor, fast)": _tesseract(None)}
    engines |= {f"tesseract ({d})": _tesseract(d) for d in args.tessdata_dir}
    engines |= {f"tesseract (-l {lang})": _tesseract(None, lang) for lang in args.lang}
    if args.rapidocr:
        engines["rapidocr (PP-OCRv6, shipped models)"] = _rapidocr()
    with tempfile.TemporaryDirectory() as tmp:
        pages = {r: _scan_pages(r, Path(tmp)) for r in records() if not args.docs or r.name in args.docs}
        print("| engine | fact survival | mean CER | Hangul characters read | s/page |\n|---|---|---|---|---|")
        for name, read in engines.items():
            facts = lost = hangul = 0
            cer, started = 0.0, time.perf_counter()
            for record, paths in pages.items():
                text = "\n".join(read(p) for p in paths)
                facts += len(record.facts)
                lost += len(missing_facts(record.facts, text))
                cer += character_error_rate("\n".join(record.pages_truth), text)
                hangul += sum("가" <= c <= "힣" for c in text)
            per_page = (time.perf_counter() - started) / sum(len(p) for p in pages.values())
            print(f"| {name} | {(facts - lost) / facts:.4f} ({facts - lost}/{facts}) | {cer / len(pages):.4f} "
                  f"| {hangul} | {per_page:.2f} |")  # fmt: skip


if __name__ == "__main__":
    main()
