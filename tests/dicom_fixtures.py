"""DICOM test studies made from the shared pydicom test files (MIT, see ../shared/data/DATA.md): the Korean
character-set files as they are, and copies of CT/MR files given to a Korean patient, to a namesake with another
registration number, to a record with another birth date and to one missing its birth date. Every copy gets new
UIDs so each is its own study."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pydicom
from pydicom.uid import generate_uid

KOREAN = ["", "ISO 2022 IR 149"]


@dataclass(frozen=True)
class Study:
    label: str
    study_uid: str
    data: bytes


def _read(root: Path, relative: str) -> pydicom.Dataset:
    return pydicom.dcmread(root / "dicom" / "pydicom-test-files" / relative)


def _save(dataset: pydicom.Dataset) -> bytes:
    out = io.BytesIO()
    dataset.save_as(out, enforce_file_format=False)
    return out.getvalue()


def repatient(
    root: Path, source: str, *, name: str, patient_id: str, birth: str | None, study_date: date, description: str
) -> tuple[str, bytes]:
    dataset = _read(root, source)
    dataset.SpecificCharacterSet = KOREAN
    dataset.PatientName, dataset.PatientID = name, patient_id
    if birth is None:
        if "PatientBirthDate" in dataset:
            del dataset.PatientBirthDate
    else:
        dataset.PatientBirthDate = birth
    dataset.StudyDate, dataset.StudyDescription = f"{study_date:%Y%m%d}", description
    dataset.StudyInstanceUID, dataset.SeriesInstanceUID = generate_uid(), generate_uid()
    dataset.SOPInstanceUID = generate_uid()
    dataset.file_meta.MediaStorageSOPInstanceUID = dataset.SOPInstanceUID
    return str(dataset.StudyInstanceUID), _save(dataset)


def referring_pacs_studies(root: Path, today: date) -> dict[str, Study]:
    """김희중 (2008-3) and 홍길동 (I2EXAMPLE), with decoys. chrKoreanMulti.dcm says 김희중 was born 1800-01-01, which
    intake refuses as implausible: the fixtures give him 1940-01-01."""
    korean_cr = _read(root, "charset_files/chrKoreanMulti.dcm")
    korean_cr.PatientBirthDate = "19400101"
    hong = _read(root, "charset_files/chrI2.dcm")
    hong.PatientBirthDate = "19700101"
    hong.StudyDate = f"{today - timedelta(days=10):%Y%m%d}"
    studies = {
        "kim-cr": Study("kim-cr", str(korean_cr.StudyInstanceUID), _save(korean_cr)),
        "hong-ot": Study("hong-ot", str(hong.StudyInstanceUID), _save(hong)),
    }
    recent = today - timedelta(days=20)
    variants = {
        "kim-ct": ("test_files/CT_small.dcm", "김희중", "2008-3", "19400101", "CHEST CT 흉부"),
        "namesake-mr": ("test_files/MR_small.dcm", "김희중", "2011-7", "19400101", "BRAIN MRI"),
        "other-birth-ct": ("test_files/CT_small.dcm", "김희중", "2008-3", "19650505", "ABDOMEN CT"),
        "no-birth-mr": ("test_files/MR_small.dcm", "김희중", "2008-3", None, "BRAIN MRI"),
    }
    for label, (source, name, patient_id, birth, description) in variants.items():
        uid, data = repatient(
            root, source, name=name, patient_id=patient_id, birth=birth, study_date=recent, description=description
        )
        studies[label] = Study(label, uid, data)
    return studies
