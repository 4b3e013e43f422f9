"""Patient identity against DICOM person names and dates: Korean names in any component group, family-first or
given-first; a namesake, another birth date or a missing birth date is never this patient."""

from __future__ import annotations

from datetime import date

from referral.models import Patient, Sex
from referral.pacs.identity import mismatch, name_forms, parse_da
from referral.pacs.studies import match_studies

HONG = Patient(name="홍길동", birth_date=date(1970, 1, 1), sex=Sex.MALE, identifier="I2EXAMPLE")


def dataset(name: object, patient_id: str = "I2EXAMPLE", birth: str | None = "19700101", uid: str = "1.2.3") -> dict:
    tags: dict[str, object] = {
        "00100010": {"vr": "PN", "Value": [name]} if name else {"vr": "PN"},
        "00100020": {"vr": "LO", "Value": [patient_id]},
        "0020000D": {"vr": "UI", "Value": [uid]},
        "00080061": {"vr": "CS", "Value": ["CT"]},
    }
    tags["00100030"] = {"vr": "DA", "Value": [birth]} if birth else {"vr": "DA"}
    return tags


def test_korean_name_matches_any_component_group() -> None:
    groups = {"Alphabetic": "Hong^Gildong", "Ideographic": "洪^吉洞", "Phonetic": "홍^길동"}
    assert (
        "홍길동" in name_forms(groups) and "honggildong" in name_forms(groups) and "gildonghong" in name_forms(groups)
    )
    assert mismatch(HONG, dataset(groups)) is None
    assert mismatch(HONG, dataset({"Alphabetic": "홍길동"})) is None
    assert mismatch(HONG.model_copy(update={"name": "Gildong Hong"}), dataset(groups)) is None


def test_reasons_a_study_is_not_this_patients() -> None:
    assert mismatch(HONG, dataset({"Alphabetic": "홍^길동"}, patient_id="OTHER")) == "other_identifier"
    assert mismatch(HONG, dataset({"Alphabetic": "홍^길동"}, birth="19700102")) == "birth_date_mismatch"
    assert mismatch(HONG, dataset({"Alphabetic": "홍^길동"}, birth=None)) == "missing_birth_date"
    assert mismatch(HONG, dataset({"Alphabetic": "홍^길동"}, birth="1970")) == "missing_birth_date"  # not a DA
    assert mismatch(HONG, dataset(None)) == "missing_name"
    assert mismatch(HONG, dataset({"Alphabetic": "김^길동"})) == "name_mismatch"
    assert parse_da("20250230") is None and parse_da("20250228") == date(2025, 2, 28)


def test_match_counts_what_it_leaves_out_without_naming_anyone() -> None:
    found = match_studies(
        HONG,
        [
            dataset({"Phonetic": "홍^길동"}, uid="1"),
            dataset({"Alphabetic": "홍^길동"}, birth="19991231", uid="2"),
            {"00100020": {"Value": ["I2EXAMPLE"]}},
        ],
        "yeongwol-mc",
    )
    assert [s.study_uid for s in found.studies] == ["1"] and found.studies[0].modalities == ["CT"]
    assert found.excluded == {"birth_date_mismatch": 1, "missing_study_uid": 1}
    assert "홍" not in str(found.model_dump())
