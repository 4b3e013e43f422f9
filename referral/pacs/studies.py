"""From QIDO-RS results to the referral's study references: only this patient's studies, and a count by reason
of those left out (never who they belong to)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from referral.models import Patient
from referral.pacs.identity import mismatch, parse_da, value
from referral.pacs.models import StudyRef, StudySearch

STUDY_UID, MODALITIES, STUDY_DATE, DESCRIPTION = "0020000D", "00080061", "00080020", "00081030"
SERIES_COUNT, INSTANCE_COUNT = "00201206", "00201208"


def _count(dataset: dict[str, Any], tag: str) -> int | None:
    raw = value(dataset, tag)
    try:
        return int(raw) if raw is not None else None
    except (TypeError, ValueError):
        return None


def to_study(dataset: dict[str, Any], source_org: str) -> StudyRef:
    modalities = (dataset.get(MODALITIES, {}).get("Value")) or []
    description = value(dataset, DESCRIPTION)
    return StudyRef(
        study_uid=str(value(dataset, STUDY_UID)), modalities=[str(m) for m in modalities],
        study_date=parse_da(value(dataset, STUDY_DATE)), description=str(description) if description else None,
        series=_count(dataset, SERIES_COUNT), instances=_count(dataset, INSTANCE_COUNT), source_org=source_org,
    )  # fmt: skip


def match_studies(patient: Patient, datasets: list[dict[str, Any]], source_org: str) -> StudySearch:
    kept: list[StudyRef] = []
    excluded: Counter[str] = Counter()
    for dataset in datasets:
        if not value(dataset, STUDY_UID):
            excluded["missing_study_uid"] += 1
            continue
        reason = mismatch(patient, dataset)
        if reason is not None:
            excluded[reason] += 1
            continue
        kept.append(to_study(dataset, source_org))
    kept.sort(key=lambda s: (s.study_date is None, s.study_date), reverse=False)
    return StudySearch(studies=kept, excluded=dict(excluded))
