"""The people and places of a referral as KR Core 2.0 resources (../shared/data/fhir/kr-core-fsh): an institution
with its 요양기관기호 and HIRA institution type, a doctor with the licence number of 보건복지부, and the doctor's role
at the institution with a HIRA 진료과목. A profile is claimed only where its required elements are all there: a
doctor without a licence number on record is a plain Practitioner."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from referral.lexicon import load_data
from referral.network import Institution, Tier

KR_CORE = "http://www.hl7korea.or.kr/fhir/krcore/StructureDefinition/"
HIRA_INSTITUTION_SYSTEM = "http://www.hl7korea.or.kr/Identifier/hira-krnpi"  # 요양기관기호
HIRA_INSTITUTION_TYPES = "http://www.hl7korea.or.kr/CodeSystem/hira-healthcare-organization-types"
MD_LICENCE_SYSTEM = "http://www.hl7korea.or.kr/Identifier/mohw-md-license-id"  # KR Core MedicalDoctor qualification
PRACTITIONER_ROLE = "http://terminology.hl7.org/CodeSystem/practitioner-role"
INSTITUTION_SYSTEM = "urn:referral-ax:institution"
# HIRA institution type by tier, where the network file gives none: 상급종합병원, 종합병원, 의원
_TYPE_OF_TIER = {Tier.TERTIARY: "01", Tier.SECONDARY: "11", Tier.PRIMARY: "31"}
_TYPE_NAMES = {"01": "상급종합병원", "11": "종합병원", "21": "병원", "28": "요양병원", "31": "의원", "71": "보건소",
               "75": "보건의료원"}  # fmt: skip


@cache
def _departments() -> tuple[str, dict[str, str], dict[str, str]]:
    data = load_data("medical_departments.yaml")
    by_name = {name: code for code, name in data["codes"].items()}
    by_name |= {name: code for code, names in data["subspecialties"].items() for name in names}
    return data["system"], data["codes"], by_name


def hira_department(department: str) -> dict[str, str] | None:
    """The HIRA 진료과목 coding of a department as a hospital names it ("순환기내과" → 01 내과), or None."""
    system, codes, by_name = _departments()
    name = re.sub(r"\s+", "", department)
    code = by_name.get(name)
    if code is None:  # "소화기내과(상부위장관)", "내과 외래": the first known department named in it
        code = next((by_name[n] for n in sorted(by_name, key=len, reverse=True) if n in name), None)
    return {"system": system, "code": code, "display": codes[code]} if code else None


def organization(institution: Institution) -> dict[str, Any]:
    """KR Core HealthcareOrganization when the network file gives its 요양기관기호, else a plain Organization."""
    code = institution.hira_type or _TYPE_OF_TIER[institution.tier]
    name = _TYPE_NAMES.get(code, code)
    resource: dict[str, Any] = {
        "resourceType": "Organization", "id": institution.code,
        "identifier": [{"system": INSTITUTION_SYSTEM, "value": institution.code}], "active": True,
        "type": [{"coding": [{"system": HIRA_INSTITUTION_TYPES, "code": code, "display": name}]}],
        "name": institution.name,
    }  # fmt: skip
    if institution.hira_code:
        resource["meta"] = {"profile": [KR_CORE + "krcore-healthcare-organization"]}
        resource["identifier"].insert(0, {"system": HIRA_INSTITUTION_SYSTEM, "value": institution.hira_code})
    return resource


def practitioner(resource_id: str, name: str, licence: str | None) -> dict[str, Any]:
    """KR Core MedicalDoctor with the licence number, or a plain Practitioner without one."""
    resource: dict[str, Any] = {"resourceType": "Practitioner", "id": resource_id, "name": [{"text": name}]}
    if licence:
        resource["meta"] = {"profile": [KR_CORE + "krcore-medical-doctor"]}
        resource["qualification"] = [{"identifier": [{"system": MD_LICENCE_SYSTEM, "value": licence}],
                                      "code": {"text": "의사 (medical doctor)"}}]  # fmt: skip
    return resource


def practitioner_role(
    resource_id: str, doctor: dict[str, Any] | None, organization_id: str, department: str
) -> dict[str, Any]:
    """The doctor at the institution, in the department (no doctor: whoever of that department takes the referral):
    KR Core's role profile when the doctor is a KR Core MedicalDoctor and the department has a HIRA code."""
    specialty = hira_department(department)
    resource: dict[str, Any] = {
        "resourceType": "PractitionerRole", "id": resource_id, "active": True,
        **({"practitioner": {"reference": f"Practitioner/{doctor['id']}"}} if doctor else {}),
        "organization": {"reference": f"Organization/{organization_id}"},
        "code": [{"coding": [{"system": PRACTITIONER_ROLE, "code": "doctor", "display": "Doctor"}]}],
        "specialty": [{"coding": [specialty], "text": department} if specialty else {"text": department}],
    }  # fmt: skip
    if specialty and doctor and "meta" in doctor:
        resource["meta"] = {"profile": [KR_CORE + "krcore-medical-doctor-role"]}
    return resource
