"""Synthetic imaging studies for the local demo stack: a small CT or X-ray DICOM instance for a fictional patient
(UTF-8 character set, so Korean names travel as they are), made with pydicom. UIDs derive from the patient and
study, so loading them again on a restart stores nothing twice."""

from __future__ import annotations

import io
from datetime import date

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import CTImageStorage, DigitalXRayImageStorageForPresentation, ExplicitVRLittleEndian, generate_uid

from referral.models import Patient

_SOP_CLASS = {"CT": CTImageStorage, "DX": DigitalXRayImageStorageForPresentation}


def demo_study(patient: Patient, study_date: date, modality: str, description: str) -> bytes:
    seed = f"{patient.identifier}|{study_date}|{modality}|{description}"
    study_uid, series_uid, instance_uid = (generate_uid(entropy_srcs=[seed, part]) for part in ("st", "se", "in"))
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = _SOP_CLASS[modality]
    meta.MediaStorageSOPInstanceUID = instance_uid
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.SOPClassUID, ds.SOPInstanceUID = _SOP_CLASS[modality], instance_uid
    ds.StudyInstanceUID, ds.SeriesInstanceUID = study_uid, series_uid
    ds.PatientName = "^".join([patient.name[:1], patient.name[1:]])  # family^given, as Korean PACS store it
    ds.PatientID, ds.PatientBirthDate = patient.identifier, f"{patient.birth_date:%Y%m%d}"
    ds.PatientSex = {"male": "M", "female": "F"}.get(patient.sex.value, "O")
    ds.StudyDate = ds.SeriesDate = f"{study_date:%Y%m%d}"
    ds.StudyTime, ds.Modality, ds.StudyDescription = "090000", modality, description
    ds.AccessionNumber, ds.StudyID, ds.SeriesNumber, ds.InstanceNumber = "DEMO", "1", 1, 1
    pixels = (np.indices((64, 64)).sum(axis=0) % 32 * 64).astype(np.uint16)
    ds.Rows, ds.Columns, ds.SamplesPerPixel, ds.PhotometricInterpretation = 64, 64, 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.PixelData = pixels.tobytes()
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True)
    return out.getvalue()
