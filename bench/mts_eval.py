"""Precision and recall of the default summary backend on MTS-Dialog's MEDICATIONS and ALLERGY sections
(validation set + test set 1), against hand labels in bench/data/mts_dialog_labels.json.

A predicted item matches a labelled name when the name occurs in it (case-insensitive) with at most two extra
words ("Tylenol PM for insomnia" matches "Tylenol PM"); each label and each prediction counts once.

    .venv/bin/python bench/mts_eval.py
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from referral.summary.extractor import extract
from referral.summary.source import text_page

ROOT = Path(__file__).resolve().parents[1]
HEADINGS = {"MEDICATIONS": "Medications", "ALLERGY": "Allergies"}


def matches(predicted: str, label: str) -> bool:
    return label.lower() in predicted.lower() and len(predicted.split()) <= len(label.split()) + 2


def main() -> None:
    labels = json.loads((ROOT / "bench/data/mts_dialog_labels.json").read_text())["sections"]
    data = ROOT.parent / "shared/data/mts-dialog"
    rows = {}
    for name in {s["file"] for s in labels}:
        with (data / name).open(encoding="utf-8") as f:
            rows.update({(name, r["ID"]): r for r in csv.DictReader(f)})
    counts = {k: {"pred": 0, "tp_p": 0, "gold": 0, "tp_r": 0} for k in ("medications", "allergies", "none")}
    for section in labels:
        row = rows[(section["file"], section["id"])]
        text = f"{HEADINGS[row['section_header']]}:\n{row['section_text']}"
        summary = extract([text_page(section["id"], text)])
        predicted = {"medications": [m.name for m in summary.medications],
                     "allergies": [a.substance for a in summary.allergies]}  # fmt: skip
        for kind in ("medications", "allergies"):
            gold = section.get(kind, [])
            counts[kind]["pred"] += len(predicted[kind])
            counts[kind]["tp_p"] += sum(any(matches(p, g) for g in gold) for p in predicted[kind])
            counts[kind]["gold"] += len(gold)
            counts[kind]["tp_r"] += sum(any(matches(p, g) for p in predicted[kind]) for g in gold)
        if row["section_header"] == "ALLERGY":
            said_none = bool(summary.no_known_allergies)
            counts["none"]["pred"] += said_none
            counts["none"]["tp_p"] += said_none and bool(section.get("none"))
            counts["none"]["gold"] += bool(section.get("none"))
            counts["none"]["tp_r"] += said_none and bool(section.get("none"))
    print(f"{len(labels)} labelled MTS-Dialog sections")
    print(f"{'item type':<22} {'precision':>10} {'recall':>8} {'predicted':>10} {'gold':>6}")
    for kind, c in counts.items():
        precision = c["tp_p"] / c["pred"] if c["pred"] else float("nan")
        recall = c["tp_r"] / c["gold"] if c["gold"] else float("nan")
        label = "no known allergies" if kind == "none" else kind
        print(f"{label:<22} {precision:>10.4f} {recall:>8.4f} {c['pred']:>10} {c['gold']:>6}")


if __name__ == "__main__":
    main()
