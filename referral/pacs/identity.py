"""Is a PACS study this patient's? Identifier, birth date and name must all agree. Names come as DICOM person
names, possibly in three component groups (alphabetic=ideographic=phonetic, e.g. Hong^Gildong=洪^吉洞=홍^길동);
a Korean name matches any group, family-first or given-first, ignoring spaces and carets."""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import Any

from referral.models import Patient

PATIENT_NAME, PATIENT_ID, BIRTH_DATE = "00100010", "00100020", "00100030"


def value(dataset: dict[str, Any], tag: str) -> Any:
    values = dataset.get(tag, {}).get("Value") or []
    return values[0] if values else None


def _compact(text: str) -> str:
    return "".join(unicodedata.normalize("NFC", text).casefold().replace("^", " ").split())


def name_forms(person_name: Any) -> set[str]:
    """Every comparable spelling of a DICOM JSON person name."""
    groups = [person_name] if isinstance(person_name, str) else list((person_name or {}).values())
    forms = set()
    for group in groups:
        parts = [p for p in str(group).split("^") if p.strip()]
        if not parts:
            continue
        forms.add(_compact("".join(parts)))
        if len(parts) >= 2:  # given name first, as Western order writes it
            forms.add(_compact("".join([parts[1], parts[0], *parts[2:]])))
    return {f for f in forms if f}


def parse_da(text: Any) -> date | None:
    raw = str(text or "").strip()
    if len(raw) != 8 or not raw.isdigit():
        return None
    try:
        return date(int(raw[:4]), int(raw[4:6]), int(raw[6:]))
    except ValueError:
        return None


def mismatch(patient: Patient, dataset: dict[str, Any]) -> str | None:
    """None when the study is this patient's; else the reason it is not (never quoting the other patient)."""
    if str(value(dataset, PATIENT_ID) or "").strip() != patient.identifier.strip():
        return "other_identifier"
    born = parse_da(value(dataset, BIRTH_DATE))
    if born is None:
        return "missing_birth_date"
    if born != patient.birth_date:
        return "birth_date_mismatch"
    names = name_forms(value(dataset, PATIENT_NAME))
    if not names:
        return "missing_name"
    if _compact(patient.name) not in names:
        return "name_mismatch"
    return None
