"""Sources beyond scanned pages: dictation transcripts (evidence carries the time in the recording) and prior
studies from the referring PACS (imaging items a clinician can check in the PACS, and prior tests for the
duplicate-test guard)."""

from __future__ import annotations

from referral.asr.models import Transcript
from referral.pacs.models import StudyRef
from referral.summary.models import ClinicalSummary, Evidence, ImagingResult
from referral.summary.source import SourcePage, text_page

# DICOM modality codes → the words the duplicate-test guard and clinicians use
_MODALITY_WORDS = {"MR": "MRI", "CR": "X-ray", "DX": "X-ray", "US": "ultrasound", "PT": "PET-CT", "NM": "NM",
                   "MG": "mammography", "XA": "angiography"}  # fmt: skip


def transcript_page(transcript_key: str, transcript: Transcript) -> SourcePage:
    return text_page(transcript_key, transcript.text(), spoken=True)


def stamp_times(summary: ClinicalSummary, transcripts: dict[str, Transcript]) -> None:
    """Give every piece of evidence quoted from a dictation the time it was said."""
    for item in summary.items():
        for evidence in item.evidence:
            transcript = transcripts.get(evidence.document_key)
            if transcript is not None:
                evidence.seconds = transcript.time_at(evidence.start)


def study_key(study: StudyRef) -> str:
    return f"pacs:{study.source_org}:{study.study_uid}"


def study_items(studies: list[StudyRef]) -> list[ImagingResult]:
    items = []
    for study in studies:
        label = study.label()
        modality = " ".join(_MODALITY_WORDS.get(m, m) for m in study.modalities) or "imaging"
        items.append(ImagingResult(
            modality=modality, date=str(study.study_date) if study.study_date else None, finding=study.description,
            evidence=[Evidence(document_key=study_key(study), page=1, start=0, end=len(label), quote=label)],
        ))  # fmt: skip
    return items
