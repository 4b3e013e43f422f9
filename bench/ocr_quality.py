"""OCR quality on rendered Korean clinical pages with known facts: our pipeline (clean-up + Tesseract kor+eng +
clinical post-correction) against plain Tesseract kor+eng on the same pages, same process.

    .venv/bin/python bench/ocr_quality.py [--seeds 30]
"""

from __future__ import annotations

import argparse
from collections import Counter

from referral.ocr import LANG  # noqa: E402
from referral.ocr.engine import ocr_image
from referral.ocr.metrics import character_error_rate, missing_facts
from referral.ocr.tesseract import _run
from referral.synthetic import clinical_record, render_page

DAMAGE = (0.0, 0.6, 1.0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--first-seed", type=int, default=1000)
    args = parser.parse_args()
    totals = {name: Counter() for name in ("plain", "ours")}
    lost: Counter[str] = Counter()
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        record = clinical_record(seed)
        truth = "\n".join(record.lines)
        for damage in DAMAGE:
            page = render_page(record.lines, damage=damage, seed=seed)
            texts = {"plain": _run(page, ["-l", "kor+eng"]), "ours": ocr_image(page, 1, LANG).text}
            for name, text in texts.items():
                missing = missing_facts(record.facts, text)
                totals[name]["facts"] += len(record.facts)
                totals[name]["kept"] += len(record.facts) - len(missing)
                totals[name][f"cer_{damage}"] += character_error_rate(truth, text)
                if name == "ours":
                    lost.update("code" if f[1:3].isdigit() else "value" if any(c.isdigit() for c in f) else "name"
                                for f in missing)  # fmt: skip
    pages = args.seeds * len(DAMAGE)
    print(f"{pages} pages ({args.seeds} records x damage {DAMAGE})")
    for name, t in totals.items():
        cer = {d: t[f"cer_{d}"] / args.seeds for d in DAMAGE}
        print(f"{name:>5}: fact survival {t['kept'] / t['facts']:.4f} ({t['kept']}/{t['facts']}); "
              + "CER " + ", ".join(f"damage {d}: {c:.4f}" for d, c in cer.items())
              + f"; mean {sum(cer.values()) / len(cer):.4f}")  # fmt: skip
    print(f"facts our pipeline still loses, by kind: {dict(lost)}")


if __name__ == "__main__":
    main()
