"""FHIR R4 referral messages (HL7 BSeR shape, KR Core profiles): built, validated, self-contained."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime
from typing import Any

import pytest

from referral.fhir.kr_core import MD_LICENCE_SYSTEM
from referral.fhir.message import Attachment, InvalidFhir, SignedLetter, referral_message, validate
from referral.gateway import institution_of
from referral.models import DocumentRef, Priority, Referral
from referral.network import Network
from referral.states import ReferralState
from tests.helpers import PATIENT_NAME, make_request

SENT = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)


def referral(priority: Priority = Priority.URGENT) -> Referral:
    document = DocumentRef(key="sha256/00/" + "0" * 64, sha256="0" * 64, media_type="image/png", page_count=1,
                           size_bytes=1, filename="scan.png")  # fmt: skip
    return Referral(**make_request(priority=priority).model_dump(), referral_id="ref-fhir-test", documents=[document],
                    submitted_at=SENT, fingerprint="0" * 64)  # fmt: skip


LETTER = SignedLetter("진료의뢰서", "진료의뢰서\n진단: 본태성 고혈압 (I10) <주의>", "김영월", "123456", SENT, "ab" * 32)
SCAN = Attachment("외부 진료기록 스캔", "outside_record", "image/png", b"\x89PNG fake bytes")


def by_type(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def references(node: object) -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "reference" and isinstance(value, str):
                found.append(value)
            elif key != "resource" or not isinstance(value, dict) or value.get("resourceType") != "Bundle":
                found += references(value)
    elif isinstance(node, list):
        for item in node:
            found += references(item)
    return found


def test_referral_message_is_valid_and_self_contained(network: Network) -> None:
    bundle = referral_message(referral(), network, ReferralState.DRAFT, SENT, LETTER, [SCAN])
    assert bundle["type"] == "message" and bundle["entry"][0]["resource"]["resourceType"] == "MessageHeader"
    header = bundle["entry"][0]["resource"]
    assert header["eventCoding"]["code"] == "I12" and header["id"] == bundle["id"]
    present = {f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in bundle["entry"]}
    assert set(references(bundle)) <= present  # every reference resolves inside the message
    [task], [request] = by_type(bundle, "Task"), by_type(bundle, "ServiceRequest")
    assert task["focus"]["reference"] == f"ServiceRequest/{request['id']}"
    initiator = next(r for r in by_type(bundle, "PractitionerRole") if "practitioner" in r)
    assert task["requester"]["reference"] == f"PractitionerRole/{initiator['id']}"
    assert task["owner"] == header["destination"][0]["receiver"]  # BSeR's owner: the recipient department's role
    assert institution_of(bundle, task["owner"]) == "knuh"
    assert (
        request["requester"] == task["requester"]
        and initiator["organization"]["reference"] == "Organization/yeongwol-mc"
    )
    assert task["status"] == "draft" and request["priority"] == "urgent"
    [patient] = by_type(bundle, "Patient")
    assert patient["name"][0]["text"] == PATIENT_NAME and patient["meta"]["profile"][0].endswith("krcore-patient")
    assert all(
        o["meta"]["profile"][0].endswith("krcore-healthcare-organization") for o in by_type(bundle, "Organization")
    )


def empty_places(node: object, path: str = "") -> list[str]:
    if isinstance(node, dict):
        return [p for key, value in node.items() for p in empty_places(value, f"{path}.{key}")] + (
            [path] if not node else [])  # fmt: skip
    if isinstance(node, list):
        return [p for i, item in enumerate(node) for p in empty_places(item, f"{path}[{i}]")] + (
            [path] if not node else []
        )
    return [path] if node in ("", None) else []


def test_the_message_claims_bser_and_kr_core_profiles_with_what_they_require(network: Network) -> None:
    """A BSeR recipient finds the referral by its profiles: the Task (code fulfill) and the ServiceRequest carry the
    placer's number (PLAC, assigned by the referring institution), the initiator is the referring doctor in their
    role, the signed letter is supporting information; institutions carry their 요양기관기호 and HIRA type, the doctor
    a licence and a HIRA 진료과목. No element is empty."""
    bundle = referral_message(referral(), network, ReferralState.DRAFT, SENT, LETTER, [SCAN])
    [task], [request] = by_type(bundle, "Task"), by_type(bundle, "ServiceRequest")
    assert task["meta"]["profile"] == ["http://hl7.org/fhir/us/bser/StructureDefinition/BSeR-ReferralTask"]
    assert request["meta"]["profile"] == ["http://hl7.org/fhir/us/bser/StructureDefinition/BSeR-ReferralServiceRequest"]
    assert task["code"]["coding"][0]["code"] == "fulfill" and task["intent"] == request["intent"] == "order"
    for resource in (task, request):
        [placer] = resource["identifier"]
        assert placer["type"]["coding"][0]["code"] == "PLAC" and placer["assigner"] == {
            "reference": "Organization/yeongwol-mc"
        }
    header = bundle["entry"][0]["resource"]
    assert header["meta"]["profile"] == ["http://hl7.org/fhir/us/bser/StructureDefinition/BSeR-ReferralMessageHeader"]
    roles = {r["id"]: r for r in by_type(bundle, "PractitionerRole")}
    initiator, recipient = (
        roles[ref["reference"].split("/")[1]] for ref in (header["sender"], header["destination"][0]["receiver"])
    )
    assert initiator["organization"]["reference"] == "Organization/yeongwol-mc" and "practitioner" in initiator
    assert recipient["organization"]["reference"] == "Organization/knuh" and "practitioner" not in recipient
    [letter_bundle] = by_type(bundle, "Bundle")
    assert request["supportingInfo"][0] == {"reference": f"Bundle/{letter_bundle['id']}"}
    for organization in by_type(bundle, "Organization"):
        hira = organization["identifier"][0]
        assert hira["system"] == "http://www.hl7korea.or.kr/Identifier/hira-krnpi" and hira["value"].startswith("DEMO")
    assert {o["id"]: o["type"][0]["coding"][0]["code"] for o in by_type(bundle, "Organization")} == {
        "yeongwol-mc": "11", "knuh": "01"}  # fmt: skip
    role = initiator
    assert role["meta"]["profile"][0].endswith("krcore-medical-doctor-role")
    assert role["code"][0]["coding"][0]["code"] == "doctor" and role["specialty"][0]["coding"][0]["code"] == "01"
    doctors = {d["id"]: d for d in by_type(bundle, "Practitioner")}
    assert doctors[role["practitioner"]["reference"].split("/")[1]]["qualification"][0]["identifier"][0] == {
        "system": MD_LICENCE_SYSTEM, "value": "12345"}  # fmt: skip
    assert empty_places(bundle) == []


def test_a_doctor_without_a_licence_or_an_institution_without_its_number_claims_no_kr_core_profile(
    network: Network,
) -> None:
    unlicensed = referral().model_copy(deep=True)
    assert unlicensed.referring.clinician is not None
    unlicensed.referring.clinician.license_no = None
    plain = network.model_copy(deep=True)
    for region in plain.regions:
        region.institutions = [i.model_copy(update={"hira_code": None}) for i in region.institutions]
    bundle = referral_message(unlicensed, plain, ReferralState.DRAFT, SENT)
    assert all("meta" not in r for kind in ("Organization", "PractitionerRole") for r in by_type(bundle, kind))
    [doctor] = by_type(bundle, "Practitioner")
    assert "meta" not in doctor and "qualification" not in doctor


def test_signed_letter_is_a_document_bundle_and_scans_travel_as_binaries(network: Network) -> None:
    bundle = referral_message(referral(), network, ReferralState.DRAFT, SENT, LETTER, [SCAN])
    [document_bundle] = by_type(bundle, "Bundle")
    composition = document_bundle["entry"][0]["resource"]
    assert document_bundle["type"] == "document" and composition["status"] == "final"
    assert composition["attester"][0]["mode"] == "legal" and composition["identifier"]["value"] == LETTER.sha256
    [signer], [role] = by_type(document_bundle, "Practitioner"), by_type(document_bundle, "PractitionerRole")
    assert (
        composition["attester"][0]["party"]
        == composition["author"][0]
        == {"reference": f"PractitionerRole/{role['id']}"}
    )
    assert role["practitioner"] == {"reference": f"Practitioner/{signer['id']}"}  # BSeR: author a PractitionerRole
    assert all(section["code"]["coding"][0]["code"] == "RSRSI" for section in composition["section"])  # coded
    assert signer["name"][0]["text"] == "김영월"
    assert signer["qualification"][0]["identifier"][0] == {"system": MD_LICENCE_SYSTEM, "value": "123456"}
    assert "&lt;주의&gt;" in composition["section"][0]["text"]["div"]  # the letter text is escaped, not markup
    [binary], [reference] = by_type(bundle, "Binary"), by_type(bundle, "DocumentReference")
    assert base64.b64decode(binary["data"]) == SCAN.data
    assert reference["identifier"][0]["value"] == hashlib.sha256(SCAN.data).hexdigest()
    binary_entry = next(e for e in bundle["entry"] if e["resource"] is binary or e["resource"] == binary)
    assert reference["content"][0]["attachment"]["url"] == binary_entry["fullUrl"]  # absolute, resolvable in it


@pytest.mark.parametrize(
    ("state", "status", "business"),
    [(ReferralState.RECEIVED, "received", "2.0"), (ReferralState.ACCEPTED, "accepted", "3.0"),
     (ReferralState.DECLINED, "rejected", "4.0"), (ReferralState.IN_CARE, "in-progress", "5.1.4"),
     (ReferralState.CANCELLED, "cancelled", "6.0"), (ReferralState.COMPLETED, "completed", "7.0")],
)  # fmt: skip
def test_task_states_follow_bser(network: Network, state: ReferralState, status: str, business: str) -> None:
    [task] = by_type(referral_message(referral(), network, state, SENT), "Task")
    assert task["status"] == status and task["businessStatus"]["coding"][0]["code"] == business


def test_message_ids_are_stable_per_content(network: Network) -> None:
    first = referral_message(referral(), network, ReferralState.DRAFT, SENT, LETTER, [SCAN])["id"]
    assert referral_message(referral(), network, ReferralState.DRAFT, SENT, LETTER, [SCAN])["id"] == first
    assert referral_message(referral(), network, ReferralState.RECEIVED, SENT, LETTER, [SCAN])["id"] != first
    emergency = referral_message(referral(Priority.EMERGENCY), network, ReferralState.DRAFT, SENT)
    assert by_type(emergency, "ServiceRequest")[0]["priority"] == "stat"


def test_invalid_bundles_are_refused_without_quoting_values(network: Network) -> None:
    bundle = referral_message(referral(), network, ReferralState.DRAFT, SENT)
    by_type(bundle, "Patient")[0]["birthDate"] = f"{PATIENT_NAME} is not a date"
    with pytest.raises(InvalidFhir) as refused:
        validate(bundle)
    assert PATIENT_NAME not in str(refused.value) and "Bundle" in str(refused.value)
    with pytest.raises(InvalidFhir):
        validate({"resourceType": "Bundle", "type": "message", "entry": [{"resource": {"resourceType": "Nope"}}]})


def test_bundles_are_checked_against_r4_not_a_later_release(network: Network) -> None:
    """BSeR and KR Core are R4 (4.0.1): what only R4B or R5 define is refused, and the message says where."""
    later = [{"resource": {"resourceType": "SubscriptionTopic", "status": "active", "url": "urn:uuid:x"}}]  # R4B
    with pytest.raises(InvalidFhir):
        validate({"resourceType": "Bundle", "type": "collection", "entry": later})
    bundle = referral_message(referral(), network, ReferralState.DRAFT, SENT)
    by_type(bundle, "Task")[0].pop("status")  # Task.status is 1..1
    with pytest.raises(InvalidFhir, match=r"\.status \(missing\)"):
        validate(bundle)
    by_type(bundle, "Patient")[0]["extraElement"] = True
    with pytest.raises(InvalidFhir, match=r"extraElement \(not an R4 element here\)"):
        validate(bundle)
    with pytest.raises(InvalidFhir, match="resourceType is not Bundle"):
        validate(by_type(bundle, "Patient")[0])


def _ends_are_roles(bundle: dict[str, Any], header: dict[str, Any], sender: str, receiver: str) -> None:
    """BSeR: a message goes from a PractitionerRole to a PractitionerRole, each of the named institution."""
    ends = (header["sender"], header["destination"][0]["receiver"])
    assert all(end["reference"].startswith("PractitionerRole/") for end in ends)
    assert (institution_of(bundle, ends[0]), institution_of(bundle, ends[1])) == (sender, receiver)


def test_return_referral_goes_back_as_its_own_task(network: Network) -> None:
    discharge = Attachment("퇴원요약 (서명본)", "discharge_summary", "application/pdf", b"%PDF-1.4 signed")
    bundle = referral_message(referral(), network, ReferralState.COMPLETED, SENT, None, [discharge], "return-referral")
    header = bundle["entry"][0]["resource"]
    _ends_are_roles(bundle, header, "knuh", "yeongwol-mc")
    tasks = {t["id"]: t for t in by_type(bundle, "Task")}
    returned = tasks[header["focus"][0]["reference"].split("/")[1]]
    assert returned["status"] == "completed" and returned["partOf"][0]["reference"].split("/")[1] in tasks
    assert returned["output"][0]["type"]["text"] == "discharge_summary"
    present = {f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in bundle["entry"]}
    assert set(references(bundle)) <= present


def test_a_return_letter_is_sent_by_the_attending_who_signed_it(network: Network) -> None:
    """BSeR: sender and requester a PractitionerRole — the attending, in their role at the receiving hospital."""
    from referral.models import Clinician

    letter = Attachment("회송서 (서명본)", "return_letter", "application/pdf", b"%PDF-1.4 signed")
    attending = (Clinician(name="박강원", license_no="100002"), "순환기내과")
    bundle = referral_message(referral(), network, ReferralState.COMPLETED, SENT, None, [letter], "return-referral",
                              attending=attending)  # fmt: skip
    header = bundle["entry"][0]["resource"]
    [role] = [r for r in by_type(bundle, "PractitionerRole") if header["sender"]["reference"].endswith(r["id"])]
    assert role["organization"] == {"reference": "Organization/knuh"}  # the gateway resolves it to knuh
    assert institution_of(bundle, header["sender"]) == "knuh"
    doctor = next(p for p in by_type(bundle, "Practitioner") if role["practitioner"]["reference"].endswith(p["id"]))
    assert doctor["qualification"][0]["identifier"][0]["value"] == "100002"
    returned = next(t for t in by_type(bundle, "Task") if header["focus"][0]["reference"].endswith(t["id"]))
    assert returned["requester"] == header["sender"]


def test_the_patients_consent_travels_in_the_shape_of_bser_patient_consent(network: Network) -> None:
    """Consent taken from the patient: a Consent (patient-privacy, permit, the Act's policy) that the ServiceRequest
    names; from a representative: a RelatedPerson performs it; an emergency sent without it: no Consent, a note."""
    from referral.models import ConsentBasis, ExchangeConsent

    bundle = referral_message(referral(), network, ReferralState.DRAFT, datetime.now(UTC))
    [consent] = by_type(bundle, "Consent")
    [patient] = by_type(bundle, "Patient")
    [request] = by_type(bundle, "ServiceRequest")
    assert consent["status"] == "active" and consent["provision"]["type"] == "permit"
    assert consent["scope"]["coding"][0]["code"] == "patient-privacy" and "제21조의2" in consent["policyRule"]["text"]
    assert consent["performer"] == [{"reference": f"Patient/{patient['id']}"}]
    assert {"reference": f"Consent/{consent['id']}"} in request["supportingInfo"]
    given = ExchangeConsent(basis=ConsentBasis.REPRESENTATIVE, given_at=datetime(2026, 11, 28, 1, 0, tzinfo=UTC),
                            recorded_by="진료협력센터", representative="홍아들", relationship="아들")  # fmt: skip
    by_son = referral().model_copy(update={"consent": given})
    bundle = referral_message(by_son, network, ReferralState.DRAFT, datetime.now(UTC))
    [son] = by_type(bundle, "RelatedPerson")
    assert son["relationship"][0]["text"] == "아들" and by_type(bundle, "Consent")[0]["performer"] == [
        {"reference": f"RelatedPerson/{son['id']}"}]  # fmt: skip
    unconscious = ExchangeConsent(basis=ConsentBasis.EMERGENCY, given_at=datetime(2026, 11, 28, 1, 0, tzinfo=UTC),
                                  recorded_by="응급실", note="의식 저하로 동의 불가")  # fmt: skip
    emergency = referral(Priority.EMERGENCY).model_copy(update={"consent": unconscious})
    bundle = referral_message(emergency, network, ReferralState.DRAFT, datetime.now(UTC))
    [request] = by_type(bundle, "ServiceRequest")
    assert by_type(bundle, "Consent") == [] and "의식 저하로 동의 불가" in request["note"][0]["text"]


def test_a_task_update_goes_from_the_receiving_side_with_its_reason_and_appointment(network: Network) -> None:
    from datetime import timedelta, timezone

    from flows.referral.io import Appointment, TaskUpdate
    from referral.states import ReferralEvent

    seoul = timezone(timedelta(hours=9))
    booked = Appointment(start=datetime(2026, 12, 10, 9, 30, tzinfo=seoul), minutes=20, place="본관 2층")
    update = TaskUpdate(seq=3, event=ReferralEvent.NO_SHOW, state=ReferralState.NO_SHOW, reason="연락 두절",
                        reason_code="did-not-attend", reason_display="미내원", reason_system="urn:referral-ax:reason",
                        appointment=booked)  # fmt: skip
    bundle = referral_message(referral(), network, ReferralState.NO_SHOW, datetime.now(UTC), event="task-update",
                              update=update)  # fmt: skip
    validate(bundle)
    header = bundle["entry"][0]["resource"]
    _ends_are_roles(bundle, header, "knuh", "yeongwol-mc")  # the receiving department to the referring doctor
    [task] = by_type(bundle, "Task")
    [appointment] = by_type(bundle, "Appointment")
    assert task["businessStatus"]["coding"][0]["code"] == "5.1.2"
    assert task["statusReason"]["coding"][0]["code"] == "did-not-attend" and task["statusReason"]["text"] == "연락 두절"
    assert appointment["status"] == "noshow" and appointment["end"] == "2026-12-10T09:50:00+09:00"
    assert task["output"][0]["valueReference"] == {"reference": f"Appointment/{appointment['id']}"}
    again = referral_message(referral(), network, ReferralState.NO_SHOW, datetime.now(UTC), event="task-update",
                             update=update.model_copy(update={"seq": 5, "reason": None}))  # fmt: skip
    validate(again)  # a coded reason without a comment: no empty text
    assert again["id"] != bundle["id"]  # a second no-show is a new message, not a duplicate of the first
