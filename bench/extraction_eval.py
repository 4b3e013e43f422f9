"""Extraction on the independent Korean record corpus (../shared/data/korean-records): precision and recall per
item type against each record's facts, for the text-layer PDFs (no OCR error involved) and for the fax scans.

Matching (whitespace ignored, case folded):
- diagnoses: the code when the record prints one, else the name (one contains the other);
- medications: name (one contains the other, or the product's ingredient is the item's) and dose when printed;
- allergies: substance; "no known allergies" when the record says so;
- labs: name (one contains the other), value, and unit when printed;
- imaging: modality (normalised: CXR/흉부 X선 → X-ray, 심초음파 → Echocardiography ...) and date when printed;
- procedures: name (one contains the other) and date when printed;
- pathology: each printed field value found in the extracted pathology items;
- repeats: the record's planned orders (duplicate_check) checked against what was extracted on its date, the
  flagged orders compared with expected_repeats; medication status compared for the medications found.
A predicted item is correct when it matches a fact of its type; every item's evidence must be an exact span.

    .venv/bin/python bench/extraction_eval.py [--sets text_layer fax] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpus import Record, records  # noqa: E402
from referral.ocr import LANG  # noqa: E402
from referral.ocr.engine import ocr_pages  # noqa: E402
from referral.summary.extractor import extract  # noqa: E402
from referral.summary.guard import PlannedOrder, check_orders  # noqa: E402
from referral.summary.models import ClinicalSummary  # noqa: E402
from referral.summary.source import SourcePage  # noqa: E402
from referral.summary.vocabulary import ingredient  # noqa: E402

_MODALITY = {"cxr": "x-ray", "흉부x선": "x-ray", "x선": "x-ray", "chestx-ray": "x-ray", "심초음파": "echocardiography",
             "echo": "echocardiography", "초음파": "us", "ultrasound": "us", "내시경": "egd", "위내시경": "egd",
             "대장내시경": "colonoscopy", "심전도": "ecg", "ekg": "ecg"}  # fmt: skip


def _sq(text: Any) -> str:
    return re.sub(r"\s+", "", str(text or "")).casefold()


def _overlap(a: Any, b: Any) -> bool:
    a, b = _sq(a), _sq(b)
    return bool(a) and bool(b) and (a in b or b in a)


def _modality(text: Any) -> str:
    key = _sq(text)
    return _MODALITY.get(key, key)


def _pages(record: Record, page_set: str) -> list[SourcePage]:
    inputs = ([(record.text_layer_pdf.read_bytes(), "application/pdf")] if page_set == "text_layer"
              else [(p.read_bytes(), "image/png") for p in record.fax_pages])  # fmt: skip
    pages: list[SourcePage] = []
    for number, (data, media_type) in enumerate(inputs):
        for page in ocr_pages(data, media_type, LANG):
            pages.append(SourcePage(f"{record.name}:{number}", page.page, page.text, tuple(page.words)))
    return pages


def _same_drug(name: Any, found: str | None) -> bool:
    """A product and the generic it was merged under are one medication: 노바스크정 and amlodipine."""
    return bool(found) and ingredient(str(name)) == found


def _quotes(item: Any) -> str:
    return "".join(_sq(e.quote) for e in item.evidence)


Matcher = Callable[[dict[str, Any], Any], bool]
_MATCHERS: dict[str, tuple[str, Matcher]] = {
    "diagnoses": ("problems", lambda f, p: _sq(f["code"]) == _sq(p.code) if f.get("code")
                  else _overlap(f["name"], p.name)),
    "medications": ("medications", lambda f, p: (_overlap(f["name"], p.name) or _same_drug(f["name"], p.ingredient))
                    and (not f.get("dose") or _sq(f["dose"]) in _sq(p.dose) + _quotes(p))),
    "allergies": ("allergies", lambda f, p: _overlap(f["substance"], p.substance)),
    "labs": ("labs", lambda f, p: _overlap(f["name"], p.name) and _sq(f["value"]) == _sq(p.value)
             and (not f.get("unit") or _sq(f["unit"]) == _sq(p.unit))),
    "imaging": ("imaging", lambda f, p: _modality(f["modality"]) == _modality(p.modality)
                and (not f.get("date") or _sq(f["date"]) == _sq(p.date))),
    "procedures": ("procedures", lambda f, p: _overlap(f["name"], p.name)
                   and (not f.get("date") or _sq(f["date"]) in _sq(p.date) + _sq(p.name))),
}  # fmt: skip


def score(record: Record, summary: ClinicalSummary) -> Counter[str]:
    counts: Counter[str] = Counter()
    facts = record.facts_json
    for kind, (attribute, matches) in _MATCHERS.items():
        gold, predicted = facts.get(kind) or [], getattr(summary, attribute)
        counts[f"{kind}:gold"] += len(gold)
        counts[f"{kind}:found"] += sum(any(matches(f, p) for p in predicted) for f in gold)
        counts[f"{kind}:predicted"] += len(predicted)
        counts[f"{kind}:correct"] += sum(any(matches(f, p) for f in gold) for p in predicted)
    if facts.get("no_known_allergies"):
        counts["allergies:gold"] += 1
        counts["allergies:found"] += bool(summary.no_known_allergies)
    counts["allergies:predicted"] += bool(summary.no_known_allergies)
    counts["allergies:correct"] += bool(summary.no_known_allergies) and bool(facts.get("no_known_allergies"))
    fields = [str(v) for p in facts.get("pathology") or [] for k, v in p.items() if v and k != "ihc"]
    fields += [str(v) for p in facts.get("pathology") or [] for v in (p.get("ihc") or {}).values()]
    text = " ".join(_sq(" ".join(str(x or "") for x in (p.specimen, p.diagnosis, p.grade, p.size, p.margins, p.nodes,
                                                          p.stage, p.ihc)))
                    for p in summary.pathology)  # fmt: skip
    counts["pathology:gold"] += len(fields)
    counts["pathology:found"] += sum(_sq(f) in text for f in fields)
    return counts


_STATUS = {"current": None, "discharge": None, "new": "new", "changed": "changed", "held": "held", "stopped": "stopped"}


def statuses(record: Record, summary: ClinicalSummary) -> Counter[str]:
    """Of the medications found, those whose status (held, stopped, new, changed, or none) is the record's."""
    counts: Counter[str] = Counter()
    matches = _MATCHERS["medications"][1]
    for fact in record.facts_json.get("medications") or []:
        found = next((m for m in summary.medications if matches(fact, m)), None)
        if found is not None:
            counts["status:found"] += 1
            counts["status:right"] += _STATUS.get(fact.get("status") or "current") == found.status
    return counts


def repeats(record: Record, summary: ClinicalSummary) -> Counter[str]:
    """The duplicate-test check on the record's planned orders against its expected avoidable repeats."""
    plan = record.facts_json.get("duplicate_check")
    counts: Counter[str] = Counter()
    if not plan:
        return counts
    on = date.fromisoformat(plan["on_date"])
    report = check_orders(summary, [PlannedOrder(name=name, planned_on=on) for name in plan["planned"]])
    flagged = {r.planned for r in report.repeats}
    expected = set(plan["expected_repeats"])
    counts["repeats:gold"] += len(expected)
    counts["repeats:found"] += len(expected & flagged)
    counts["repeats:predicted"] += len(flagged)
    counts["repeats:correct"] += len(expected & flagged)
    return counts


def exact_evidence(summary: ClinicalSummary, pages: list[SourcePage]) -> int:
    texts = {(p.document_key, p.page): p.text for p in pages}
    bad = 0
    for item in summary.items():
        for e in item.evidence:
            bad += texts.get((e.document_key, e.page), "")[e.start : e.end] != e.quote
    return bad


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", nargs="+", default=["text_layer", "fax"])
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    out: dict[str, dict[str, float]] = {}
    for page_set in args.sets:
        total: Counter[str] = Counter()
        inexact = 0
        for record in records():
            pages = _pages(record, page_set)
            summary = extract(pages)
            total += score(record, summary) + statuses(record, summary) + repeats(record, summary)
            inexact += exact_evidence(summary, pages)
        print(f"\n{page_set}: items whose evidence is not an exact span: {inexact}")
        print("| item type | recall | precision |\n|---|---|---|")
        for kind in [*_MATCHERS, "pathology", "repeats"]:
            gold, found = total[f"{kind}:gold"], total[f"{kind}:found"]
            predicted, correct = total[f"{kind}:predicted"], total[f"{kind}:correct"]
            recall = f"{found / gold:.3f} ({found}/{gold})" if gold else "–"
            precision = f"{correct / predicted:.3f} ({correct}/{predicted})" if predicted else "–"
            print(f"| {kind} | {recall} | {precision} |")
            out[f"{page_set}:{kind}"] = {"gold": gold, "found": found, "predicted": predicted, "correct": correct}
        right, found = total["status:right"], total["status:found"]
        print(f"medication status (held/stopped/new/changed/none) right for {right}/{found} medications found")
        out[f"{page_set}:status"] = {"found": found, "right": right}
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
