"""The headline OCR benchmark: the independent Korean record corpus (../shared/data/korean-records), per page set
(text-layer PDF, clean office scan, fax-degraded scan), this project's OCR against plain Tesseract kor+eng.

For each page set: fact survival (every printed fact string of the document found verbatim, whitespace
ignored), mean CER per document against the exact printed text, every fact lost, every correction or re-read
that changed a digit, and seconds per page as a ratio to plain Tesseract in the same run. Plain Tesseract is run
with --psm 4 and --psm 6; the better of the two per page set is the baseline (the corpus README's advice).

    .venv/bin/python bench/records_eval.py [--jobs 2] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpus import Record, available, records  # noqa: E402
from referral.ocr import LANG  # noqa: E402
from referral.ocr.correct import keeps_numbers  # noqa: E402
from referral.ocr.engine import iter_pages, ocr_pages  # noqa: E402
from referral.ocr.metrics import character_error_rate, missing_facts  # noqa: E402
from referral.ocr.tesseract import _run  # noqa: E402


def _inputs(record: Record, page_set: str) -> list[tuple[bytes, str]]:
    if page_set == "text_layer":
        return [(record.text_layer_pdf.read_bytes(), "application/pdf")]
    if page_set == "scan":
        return [(record.scan_pdf.read_bytes(), "application/pdf")]
    return [(p.read_bytes(), "image/png") for p in record.fax_pages]


def _plain(record: Record, page_set: str, psm: int) -> list[str]:
    """Plain Tesseract as a user runs it: on the fax PNG itself (its dpi tag intact), on the scan rendered at 300
    dpi (the scan's own resolution)."""
    args = ["-l", "kor+eng", "--psm", str(psm)]
    if page_set == "fax":
        return [_tesseract(path, args) for path in record.fax_pages]
    return [_run(s.image, args) for s in iter_pages(record.scan_pdf.read_bytes(), "application/pdf") if s.image]


def _tesseract(path: Path, args: list[str]) -> str:
    done = subprocess.run(["tesseract", str(path), "stdout", *args], capture_output=True, check=True,
                          env={**os.environ, "OMP_THREAD_LIMIT": "1"})  # fmt: skip
    return done.stdout.decode("utf-8", errors="replace")


def evaluate(record: Record, page_set: str, lang: str = LANG) -> dict[str, Any]:
    """One document in one page set: texts of ours (Tesseract models `lang`) and of plain Tesseract kor+eng."""
    truth = "\n".join(record.pages_truth)
    ours, seconds, changed, pages, checks = [], 0.0, [], 0, 0
    for data, media_type in _inputs(record, page_set):
        started = time.perf_counter()
        for page in ocr_pages(data, media_type, lang):
            ours.append(page.text)
            pages += 1
            checks += len(page.checks)
            changed += [c.model_dump() for c in page.corrections if not keeps_numbers(c.before, c.after)]
            # a glyph read by its shape (a code's I, a dose's 1 or IU, a caret, a μ, a decimal point ...) where the
            # page prints something else
            changed += [{"kind": r.reason, "before": r.before, "after": r.after}
                        for r in record.unprinted_glyph_readings(page.rereads)]  # fmt: skip
        seconds += time.perf_counter() - started
    result: dict[str, Any] = {"doc": record.name, "set": page_set, "pages": pages, "facts": len(record.facts)}
    text = "\n".join(ours)
    result["ours"] = {"lost": missing_facts(record.facts, text), "cer": character_error_rate(truth, text),
                      "seconds": seconds, "digit_changes": changed, "checks": checks}  # fmt: skip
    if page_set != "text_layer":
        for psm in (4, 6):
            started = time.perf_counter()
            text = "\n".join(_plain(record, page_set, psm))
            result[f"plain_psm{psm}"] = {"lost": missing_facts(record.facts, text),
                                         "cer": character_error_rate(truth, text),
                                         "seconds": time.perf_counter() - started}  # fmt: skip
    return result


def _figures(results: list[dict[str, Any]], name: str) -> tuple[float, float, float]:
    """Fact survival, mean CER per document and seconds per page of one pipeline."""
    facts = sum(r["facts"] for r in results)
    pages = sum(r["pages"] for r in results)
    kept = facts - sum(len(r[name]["lost"]) for r in results)
    cer = sum(r[name]["cer"] for r in results) / len(results)
    return kept / facts, cer, sum(r[name]["seconds"] for r in results) / pages


_LABELS = {"ours": "this project", "plain_psm4": "plain Tesseract --psm 4", "plain_psm6": "plain Tesseract --psm 6"}


def _table(results: list[dict[str, Any]]) -> str:
    rows = ["| page set | pipeline | fact survival | mean CER | s/page | time ratio to baseline |",
            "|---|---|---|---|---|---|"]  # fmt: skip
    for page_set in ("text_layer", "scan", "fax"):
        mine = [r for r in results if r["set"] == page_set]
        if not mine:
            continue
        facts = sum(r["facts"] for r in mine)
        pages = sum(r["pages"] for r in mine)
        names = ["ours"] + [n for n in ("plain_psm4", "plain_psm6") if n in mine[0]]
        scored = {n: _figures(mine, n) for n in names}
        baseline = max((n for n in names if n != "ours"), key=lambda n: scored[n][0], default=None)
        for name in names:
            survival, cer, per_page = scored[name]
            kept = round(survival * facts)
            ratio = f"{per_page / scored[baseline][2]:.2f}" if baseline else "–"
            label = _LABELS[name] + (" (baseline)" if name == baseline else "")
            rows.append(f"| {page_set} ({pages} pages) | {label} | {survival:.4f} ({kept}/{facts}) | {cer:.4f} "
                        f"| {per_page:.2f} | {ratio} |")  # fmt: skip
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--sets", nargs="+", default=["text_layer", "scan", "fax"])
    parser.add_argument("--docs", nargs="*", help="document names (default: all)")
    parser.add_argument("--json", type=Path, help="write every per-document result here")
    parser.add_argument("--lang", default=LANG, help="the Tesseract models this project's OCR reads with")
    args = parser.parse_args()
    if not available():
        sys.exit("the corpus is not there: ../shared/data/korean-records (or set REFERRAL_RECORDS_CORPUS)")
    chosen = [r for r in records() if not args.docs or r.name in args.docs]
    work = [(r, s) for s in args.sets for r in chosen]
    with ProcessPoolExecutor(args.jobs) as pool:
        results = list(pool.map(evaluate, *zip(*work, strict=True), [args.lang] * len(work)))
    print(_table(results))
    print("\nfacts lost by this project:")
    for r in results:
        if r["ours"]["lost"]:
            print(f"  {r['set']:<10} {r['doc']}: {r['ours']['lost']}")
    changed = [c for r in results for c in r["ours"]["digit_changes"]]
    print(f"\ncorrections that changed a digit, sign or number, and glyphs read by their shape that the record does"
          f" not print: {len(changed)}")  # fmt: skip
    for c in changed:
        print(f"  {c}")
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
