"""Precision and recall of the default summary backend (the deterministic clinical extractor) on Synthea notes:
the free-text notes (DocumentReference) against the same patients' structured Condition, MedicationRequest,
AllergyIntolerance and Procedure resources.

Gold per note: medications and procedures recorded at the note's encounter; conditions diagnosed at the note's
encounter plus conditions that began and ended before the note (Synthea's notes list past history, not every
active condition); allergies recorded before the note. A predicted item counts as correct when its quoted source
text names
one of that patient's resources of the same type (so precision asks "is it real?", recall "was it found?").

    .venv/bin/python bench/summary_eval.py [--data ../shared/data/fhir/synthea-bulk-10-patients] [--notes 1215]
"""

from __future__ import annotations

import argparse
import base64
import gzip
import json
import re
from collections import defaultdict
from pathlib import Path

from referral.summary.extractor import extract
from referral.summary.source import text_page

ROOT = Path(__file__).resolve().parents[1]


def _resources(folder: Path, kind: str) -> list[dict]:
    rows: list[dict] = []
    for path in sorted(folder.glob(f"{kind}.*.ndjson.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            rows += [json.loads(line) for line in f if line.strip()]
    return rows


def norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.lower()).strip(" .;,")


def _display(resource: dict, field: str) -> str:
    concept = resource.get(field, {})
    return norm(concept.get("text") or (concept.get("coding") or [{}])[0].get("display", ""))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared/data/fhir/synthea-bulk-10-patients")
    parser.add_argument("--notes", type=int, default=0, help="evaluate only the first N notes (0 = all)")
    args = parser.parse_args()

    by_patient: dict[str, dict[str, list[tuple[str, str, str, str]]]] = defaultdict(lambda: defaultdict(list))
    specs = {"conditions": ("Condition", "code", "onsetDateTime"),
             "medications": ("MedicationRequest", "medicationCodeableConcept", "authoredOn"),
             "allergies": ("AllergyIntolerance", "code", "recordedDate"),
             "procedures": ("Procedure", "code", "performedPeriod")}  # fmt: skip
    for kind, (resource_type, field, when) in specs.items():
        for r in _resources(args.data, resource_type):
            moment = r.get(when) or ""
            if isinstance(moment, dict):
                moment = moment.get("start", "")
            encounter = r.get("encounter", {}).get("reference", "")
            subject = (r.get("subject") or r.get("patient"))["reference"]
            by_patient[subject][kind].append((_display(r, field), moment, encounter, r.get("abatementDateTime", "")))

    counts = {k: {"tp_p": 0, "pred": 0, "tp_r": 0, "gold": 0} for k in [*specs, "allergies*"]}
    notes = _resources(args.data, "DocumentReference")
    if args.notes:
        notes = notes[: args.notes]
    for note in notes:
        text = base64.b64decode(note["content"][0]["attachment"]["data"]).decode("utf-8")
        when = note["context"]["period"]["start"]
        encounter = note["context"]["encounter"][0]["reference"]
        mine = by_patient[note["subject"]["reference"]]
        summary = extract([text_page(note["id"], text)])
        predicted = {
            "conditions": {norm(p.evidence[0].quote if not p.code else p.name) for p in summary.problems},
            "medications": {norm(m.evidence[0].quote) for m in summary.medications},
            "allergies": {norm(a.substance) for a in summary.allergies},
            "procedures": {norm(p.name) for p in summary.procedures},
        }
        gold = {
            "conditions": {d for d, _, enc, _ in mine["conditions"] if enc == encounter}
            | {d for d, at, _, ended in mine["conditions"] if at < when and ended and ended < when},
            "medications": {d for d, _, enc, _ in mine["medications"] if enc == encounter},
            "allergies": {d for d, at, _, _ in mine["allergies"] if at and at <= when},
            "procedures": {d for d, _, enc, _ in mine["procedures"] if enc == encounter},
        }
        # allergies*: only notes whose allergy section lists allergies (Synthea writes "No Known Allergies" in
        # 332 of the 358 note/allergy pairs even where the patient has one recorded)
        if not summary.no_known_allergies:
            predicted["allergies*"], gold["allergies*"] = predicted["allergies"], gold["allergies"]
        else:
            predicted["allergies*"], gold["allergies*"] = set(), set()
        for kind in counts:
            known = {d for d, _, _, _ in mine[kind.rstrip("*")]}
            counts[kind]["pred"] += len(predicted[kind])
            counts[kind]["tp_p"] += len(predicted[kind] & known)
            counts[kind]["gold"] += len(gold[kind])
            counts[kind]["tp_r"] += len(gold[kind] & predicted[kind])
    print(f"{len(notes)} Synthea notes")
    print(f"{'item type':<12} {'precision':>10} {'recall':>8} {'predicted':>10} {'gold':>6}")
    for kind, c in counts.items():
        precision = c["tp_p"] / c["pred"] if c["pred"] else float("nan")
        recall = c["tp_r"] / c["gold"] if c["gold"] else float("nan")
        print(f"{kind:<12} {precision:>10.4f} {recall:>8.4f} {c['pred']:>10} {c['gold']:>6}")


if __name__ == "__main__":
    main()
