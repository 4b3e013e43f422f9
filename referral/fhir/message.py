"""The referral as a FHIR message Bundle: MessageHeader, the BSeR referral Task (focus = ServiceRequest,
requester = referring, owner = receiving), ServiceRequest, Patient, Organizations, Practitioner, a document
Bundle (Composition) for the signed referral letter, and DocumentReference + Binary for every attachment.
Validated before it is returned: an invalid message never leaves the hospital."""

from __future__ import annotations

import base64
import hashlib
import html
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fhirclient.models.bundle import Bundle
from fhirclient.models.fhirabstractbase import FHIRValidationError

from flows.referral.io import TaskUpdate
from referral.fhir.kr_core import KR_CORE, organization, practitioner, practitioner_role
from referral.models import Clinician, ConsentBasis, Priority, Referral, Sex
from referral.network import Network
from referral.states import FHIR_TASK_STATUS, ReferralEvent, ReferralState

BSER = "http://hl7.org/fhir/us/bser/StructureDefinition/"
BSER_TASK_BUSINESS_STATUS = "http://hl7.org/fhir/us/bser/CodeSystem/TaskBusinessStatusCS"
# BSeR's code for a referral request document's section of supporting information (CodeSystem bser, BSeR.fsh)
LETTER_SECTION = {"system": "http://hl7.org/fhir/us/bser/CodeSystem/bser", "code": "RSRSI",
                  "display": "CompositionSectionReferralServiceRequestSupportingInformation"}  # fmt: skip
V2_0003 = "http://terminology.hl7.org/CodeSystem/v2-0003"
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
TASK_CODE = "http://hl7.org/fhir/CodeSystem/task-code"
REFERRAL_SYSTEM = "urn:referral-ax:referral"
SHA256_SYSTEM = "urn:referral-ax:sha256"
REFERRAL_CATEGORY = {"system": "http://snomed.info/sct", "code": "3457005", "display": "Patient referral"}
_PRIORITY = {Priority.ROUTINE: "routine", Priority.URGENT: "urgent", Priority.EMERGENCY: "stat"}
_GENDER = {Sex.MALE: "male", Sex.FEMALE: "female", Sex.OTHER: "other", Sex.UNKNOWN: "unknown"}


class InvalidFhir(ValueError):
    """A resource that does not validate; the message says where (no PHI values are quoted)."""


OUTSIDE_RECORD = "outside_record"  # an Attachment kind: the referring side's records, forwarded as they came


@dataclass(frozen=True)
class Attachment:
    """A document that travels with the message: a signed summary or letter PDF, a scan, a PDF record."""

    title: str
    kind: str
    media_type: str
    data: bytes


@dataclass(frozen=True)
class SignedLetter:
    title: str
    text: str
    signer_name: str
    signer_licence: str  # 보건복지부 의사 면허번호
    signed_at: datetime
    sha256: str
    signer_department: str = ""  # the signer's department (default: the referral's referring department)


def _uid(*parts: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "referral-ax:" + ":".join(parts)))


def patient(referral: Referral) -> dict[str, Any]:
    p = referral.patient
    resource: dict[str, Any] = {
        "resourceType": "Patient", "id": _uid(referral.referral_id, "patient"),
        "meta": {"profile": [KR_CORE + "krcore-patient"]},
        "identifier": [{"system": f"urn:referral-ax:{referral.referring.org}:patient", "value": p.identifier}],
        "name": [{"text": p.name}], "gender": _GENDER[p.sex], "birthDate": p.birth_date.isoformat(),
    }  # fmt: skip
    if p.contact:
        resource["telecom"] = [{"system": "phone", "value": p.contact}]
    return resource


def _ref(resource: dict[str, Any]) -> dict[str, str]:
    return {"reference": f"{resource['resourceType']}/{resource['id']}"}


def _entry(base: str, resource: dict[str, Any]) -> dict[str, Any]:
    return {"fullUrl": f"{base}/{resource['resourceType']}/{resource['id']}", "resource": resource}


def _task_status(state: ReferralState) -> tuple[str, dict[str, Any] | None]:
    status, business = FHIR_TASK_STATUS[state]
    coding = {"coding": [{"system": BSER_TASK_BUSINESS_STATUS, "code": business}], "text": state.value}
    return status, (coding if business else {"text": state.value})


def composition_bundle(referral: Referral, letter: SignedLetter, base: str, referring: dict[str, Any],
                       the_patient: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    """The signed letter as a document: its author and legal attester the signing clinician in their role at the
    referring institution (BSeR: author a PractitionerRole), the one section coded as BSeR's referral supporting
    information."""
    signer = practitioner(_uid(referral.referral_id, "signer", letter.signer_licence), letter.signer_name,
                          letter.signer_licence)  # fmt: skip
    role = practitioner_role(_uid(referral.referral_id, "signer-role", letter.signer_licence), signer,
                             referring["id"], letter.signer_department or referral.referring.department)  # fmt: skip
    narrative = '<div xmlns="http://www.w3.org/1999/xhtml"><pre>' + html.escape(letter.text) + "</pre></div>"
    composition = {
        "resourceType": "Composition", "id": _uid(referral.referral_id, "letter", letter.sha256),
        "identifier": {"system": SHA256_SYSTEM, "value": letter.sha256}, "status": "final",
        "type": {"coding": [{"system": "http://loinc.org", "code": "57133-1", "display": "Referral note"}],
                 "text": "진료의뢰서"},
        "subject": {"reference": f"Patient/{the_patient['id']}"}, "date": letter.signed_at.isoformat(),
        "author": [_ref(role)], "title": letter.title,
        "attester": [{"mode": "legal", "time": letter.signed_at.isoformat(), "party": _ref(role)}],
        "custodian": {"reference": f"Organization/{referring['id']}"},
        "section": [{"title": letter.title, "code": {"coding": [LETTER_SECTION], "text": "진료의뢰서"},
                     "text": {"status": "additional", "div": narrative}}],
    }  # fmt: skip
    entries = [_entry(base, r) for r in (composition, the_patient, referring, signer, role)]
    return {"resourceType": "Bundle", "id": _uid(referral.referral_id, "letter-bundle", letter.sha256),
            "identifier": {"system": SHA256_SYSTEM, "value": letter.sha256}, "type": "document",
            "timestamp": letter.signed_at.isoformat(), "entry": entries}  # fmt: skip


CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
CONSENT_POLICY = "의료법 제21조의2 (진료기록의 송부) — Medical Service Act, Art. 21-2: sending medical records"


def consent_resources(
    referral: Referral, the_patient: dict[str, Any], referring: dict[str, Any]
) -> list[dict[str, Any]]:
    """The patient's consent to this exchange in the shape of BSeR's PatientConsent (status, scope, category,
    patient, dateTime, performer, provision), with the representative as a RelatedPerson when one consented.
    None for an emergency transfer without consent: the ServiceRequest's note says so."""
    consent = referral.consent
    if consent is None or consent.basis == ConsentBasis.EMERGENCY:
        return []
    performer: dict[str, Any] = the_patient
    resources: list[dict[str, Any]] = []
    if consent.basis == ConsentBasis.REPRESENTATIVE:
        performer = {"resourceType": "RelatedPerson", "id": _uid(referral.referral_id, "consent-representative"),
                     "patient": _ref(the_patient), "name": [{"text": consent.representative}],
                     "relationship": [{"text": consent.relationship}]}  # fmt: skip
        resources.append(performer)
    resources.append({
        "resourceType": "Consent", "id": _uid(referral.referral_id, "consent"), "status": "active",
        "scope": {"coding": [{"system": CONSENT_SCOPE, "code": "patient-privacy"}]},
        "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0", "display": "Patient Consent"}]}],
        "patient": _ref(the_patient), "dateTime": consent.given_at.isoformat(), "performer": [_ref(performer)],
        "organization": [_ref(referring)], "policyRule": {"text": CONSENT_POLICY},
        "provision": {"type": "permit", "purpose": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason",
                                                      "code": "TREAT", "display": "treatment"}]},
    })  # fmt: skip
    return resources


_APPOINTMENT_STATUS = {ReferralEvent.NO_SHOW: "noshow", ReferralEvent.CANCEL_APPOINTMENT: "cancelled"}


def task_update(
    referral: Referral, update: TaskUpdate, task: dict[str, Any], service_request: dict[str, Any],
    the_patient: dict[str, Any],
) -> list[dict[str, Any]]:  # fmt: skip
    """The Task as the receiving side left it: its reason (coded, with the comment) and, for a booking, no-show
    or cancelled appointment, the Appointment as a Task output. Returns the resources to add."""
    if update.reason_code or update.reason:
        coding = [{"system": update.reason_system, "code": update.reason_code, "display": update.reason_display}]
        task["statusReason"] = {**({"coding": coding} if update.reason_code else {}),  # BSeR: text always
                                "text": update.reason or update.reason_display or update.reason_code}  # fmt: skip
    if update.appointment is None:
        return []
    booked = update.appointment
    end = booked.start + timedelta(minutes=booked.minutes)
    appointment = {
        "resourceType": "Appointment", "id": _uid(referral.referral_id, "appointment", booked.start.isoformat()),
        "status": _APPOINTMENT_STATUS.get(update.event, "booked"), "start": booked.start.isoformat(),
        "end": end.isoformat(), "basedOn": [_ref(service_request)],
        "description": " ".join(x for x in (booked.place, booked.department) if x),
        "participant": [{"actor": _ref(the_patient), "status": "accepted"},
                        {"actor": {"display": booked.place}, "status": "accepted"}],
    }  # fmt: skip
    task["output"] = [{"type": {"text": "appointment"}, "valueReference": _ref(appointment)}]
    return [appointment]


def referral_message(
    referral: Referral,
    network: Network,
    state: ReferralState,
    sent_at: datetime,
    letter: SignedLetter | None = None,
    attachments: list[Attachment] | None = None,
    event: str = "referral",
    update: TaskUpdate | None = None,
    attending: tuple[Clinician, str] | None = None,
) -> dict[str, Any]:
    """The message Bundle as JSON-ready data. Its id is deterministic per referral, event, state and content, so
    a re-sent message is recognisably the same message."""
    returning = event == "return-referral"  # 회송: from the receiving hospital back to the referring one
    from_receiving = returning or update is not None  # the 회송, or a Task update of the receiving side's
    referring_org, receiving_org = (
        network.institution(referral.referring.org),
        network.institution(referral.receiving.org),
    )
    sender_org, destination_org = (receiving_org, referring_org) if from_receiving else (referring_org, receiving_org)
    base = sender_org.gateway_url.rstrip("/") + "/fhir"
    referring, receiving, the_patient = organization(referring_org), organization(receiving_org), patient(referral)
    resources: list[dict[str, Any]] = [the_patient, referring, receiving]
    practitioner_id, initiator = None, referring  # BSeR's referral initiator: the referring doctor in their role
    if referral.referring.clinician:
        practitioner_id = _uid(referral.referral_id, "practitioner")
        doctor = practitioner(
            practitioner_id, referral.referring.clinician.name, referral.referring.clinician.license_no
        )
        initiator = practitioner_role(_uid(referral.referral_id, "initiator"), doctor, referring["id"],
                                      referral.referring.department)  # fmt: skip
        resources += [doctor, initiator]
    attending_role = None  # the 회송 is sent by the attending who signed it, in their role at the receiving side
    if returning and attending is not None:
        clinician, department = attending
        doctor = practitioner(_uid(referral.referral_id, "attending", clinician.license_no or clinician.name),
                              clinician.name, clinician.license_no)  # fmt: skip
        attending_role = practitioner_role(_uid(referral.referral_id, "attending-role", clinician.name), doctor,
                                           receiving["id"], department)  # fmt: skip
        resources += [doctor, attending_role]
    referring_role = initiator if initiator is not referring else None
    recipient = None  # BSeR's referral recipient: the receiving department, whoever of it takes the referral
    if referring_role is not None:
        recipient = practitioner_role(_uid(referral.referral_id, "recipient"), None, receiving["id"],
                                      referral.receiving.department)  # fmt: skip
        resources.append(recipient)

    documents: list[dict[str, Any]] = []
    for index, attachment in enumerate(attachments or []):
        digest = hashlib.sha256(attachment.data).hexdigest()
        binary = {"resourceType": "Binary", "id": _uid(referral.referral_id, "binary", digest),
                  "contentType": attachment.media_type, "data": base64.b64encode(attachment.data).decode()}  # fmt: skip
        document = {
            "resourceType": "DocumentReference", "id": _uid(referral.referral_id, "document", str(index), digest),
            "identifier": [{"system": SHA256_SYSTEM, "value": digest}], "status": "current",
            "type": {"text": attachment.kind}, "subject": {"reference": f"Patient/{the_patient['id']}"},
            "date": sent_at.isoformat(), "description": attachment.title,
            "content": [{"attachment": {"contentType": attachment.media_type, "url": f"{base}/Binary/{binary['id']}",
                                        "size": len(attachment.data), "title": attachment.title}}],
        }  # fmt: skip
        resources += [binary, document]
        documents.append(document)

    consents = consent_resources(referral, the_patient, referring)
    resources += consents
    letter_bundle = None
    if letter is not None:
        letter_bundle = composition_bundle(referral, letter, base, referring, the_patient)
    placer = [
        {
            "type": {"coding": [{"system": V2_0203, "code": "PLAC"}]},
            "system": REFERRAL_SYSTEM,
            "value": referral.referral_id,
            "assigner": _ref(referring),
        }
    ]  # the referring side's number for it
    service_request = {
        "resourceType": "ServiceRequest", "id": _uid(referral.referral_id, "servicerequest"),
        "meta": {"profile": [BSER + "BSeR-ReferralServiceRequest"]}, "identifier": placer,
        "status": "active", "intent": "order", "priority": _PRIORITY[referral.priority],
        "category": [{"coding": [REFERRAL_CATEGORY]}],
        "code": {"text": f"{referral.referral_type} — {referral.receiving.department}"},
        "subject": {"reference": f"Patient/{the_patient['id']}"}, "authoredOn": referral.submitted_at.isoformat(),
        "requester": _ref(initiator),
        "performer": [{"reference": f"Organization/{receiving['id']}"}],
        "reasonCode": [{"text": referral.reason}],
        "supportingInfo": [_ref(d) for d in [*([letter_bundle] if letter_bundle else []), *documents]]
                          + [_ref(c) for c in consents if c["resourceType"] == "Consent"],
    }  # fmt: skip
    if referral.consent is not None and referral.consent.basis == ConsentBasis.EMERGENCY:
        service_request["note"] = [{"text": f"응급 이송 — 동의 없이 송부 (emergency transfer without consent): "
                                            f"{referral.consent.note}"}]  # fmt: skip
    if referral.previous_referral_id:  # a re-referral names the declined referral it replaces
        service_request["replaces"] = [
            {"identifier": {"system": REFERRAL_SYSTEM, "value": referral.previous_referral_id}}
        ]
    status, business = _task_status(state)
    task: dict[str, Any] = {
        "resourceType": "Task", "id": _uid(referral.referral_id, "task"),
        "meta": {"profile": [BSER + "BSeR-ReferralTask"]}, "identifier": placer,
        "status": status, "businessStatus": business, "intent": "order",
        "code": {"coding": [{"system": TASK_CODE, "code": "fulfill"}]},
        "focus": {"reference": f"ServiceRequest/{service_request['id']}"},
        "for": {"reference": f"Patient/{the_patient['id']}"}, "authoredOn": referral.submitted_at.isoformat(),
        "lastModified": sent_at.isoformat(),
        "requester": _ref(initiator),
        "owner": _ref(recipient) if recipient else {"reference": f"Organization/{receiving['id']}"},
    }  # fmt: skip
    resources += [service_request, task]
    if update is not None:
        resources += task_update(referral, update, task, service_request, the_patient)
    focus = task
    if returning:
        focus = {
            "resourceType": "Task", "id": _uid(referral.referral_id, "return-task"),
            "identifier": [{"system": REFERRAL_SYSTEM + ":return", "value": referral.referral_id}],
            "status": "completed", "intent": "order", "partOf": [{"reference": f"Task/{task['id']}"}],
            "for": {"reference": f"Patient/{the_patient['id']}"}, "authoredOn": sent_at.isoformat(),
            "requester": _ref(attending_role) if attending_role else {"reference": f"Organization/{receiving['id']}"},
            "owner": {"reference": f"Organization/{referring['id']}"},
            "output": [{"type": {"text": d["type"]["text"]}, "valueReference": _ref(d)}
                       for d in documents],
        }  # fmt: skip
        resources.append(focus)
    if letter_bundle is not None:
        resources.append(letter_bundle)
        task["input"] = [{"type": {"text": "진료의뢰서 (signed referral letter)"},
                          "valueReference": {"reference": f"Bundle/{letter_bundle['id']}"}}]  # fmt: skip

    sequence = update.seq if update else 0  # each update its own message, though two may leave the same state
    content = hashlib.sha256(repr((event, state.value, sequence, [r["id"] for r in resources])).encode()).hexdigest()
    content = content[:16]
    message_id = _uid(referral.referral_id, "message", event, state.value, content)
    # BSeR: each end of a message is a PractitionerRole (the initiator, the recipient department, the attending
    # who signed the 회송), its institution where the referring doctor is not known
    sender_role, receiver_role = (
        (attending_role or recipient, referring_role) if from_receiving else (referring_role, recipient)
    )
    sender = _ref(sender_role) if sender_role else {"reference": f"Organization/{sender_org.code}"}
    receiver = _ref(receiver_role) if receiver_role else {"reference": f"Organization/{destination_org.code}"}
    header = {
        "resourceType": "MessageHeader", "id": message_id,
        **({"meta": {"profile": [BSER + "BSeR-ReferralMessageHeader"]}} if event == "referral" and recipient else {}),
        "eventCoding": {"system": V2_0003, "code": "I12", "display": "REF/RRI - Patient referral"}
        if event == "referral" else {"system": "urn:referral-ax:event", "code": event},
        "destination": [{"endpoint": destination_org.gateway_url, "receiver": receiver}],
        "sender": sender,
        "source": {"name": "Referral AX", "software": "referral-ax", "endpoint": sender_org.gateway_url},
        "focus": [{"reference": f"Task/{focus['id']}"}],
    }  # fmt: skip
    bundle = {"resourceType": "Bundle", "id": message_id, "type": "message", "timestamp": sent_at.isoformat(),
              "entry": [_entry(base, header), *(_entry(base, r) for r in resources)]}  # fmt: skip
    validate(bundle)
    return bundle


def validate(bundle: dict[str, Any]) -> None:
    """Parse the Bundle strictly with the FHIR R4 (4.0.1) models of `fhirclient` (SMART Health IT, generated from
    the R4 specification): an element R4 does not define, a wrong type, a list where one value belongs (or the
    reverse), a missing required element or an unknown resource type is refused, and the message names the places
    only (no PHI values are quoted)."""
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise InvalidFhir("invalid FHIR Bundle: resourceType is not Bundle")
    try:
        Bundle(bundle, strict=True)
    except FHIRValidationError as err:
        places = sorted(set(_places(err)))[:5]
        raise InvalidFhir(f"invalid FHIR Bundle at {', '.join(places)}") from None
    except (KeyError, TypeError, ValueError, AttributeError):
        raise InvalidFhir("invalid FHIR Bundle: unknown resource type or malformed structure") from None


def _places(err: FHIRValidationError, prefix: str = "") -> list[str]:
    here = ".".join(p for p in (prefix, err.path or "") if p)
    nested = [e for e in err.errors if isinstance(e, FHIRValidationError)]
    leaves = [_leaf(here, e) for e in err.errors if not isinstance(e, FHIRValidationError)]
    return leaves + [place for e in nested for place in _places(e, here)]


def _leaf(here: str, error: Exception) -> str:
    """The place, and what is wrong there as the models say it (an element's name, never a value)."""
    text, here = str(error), here or "Bundle"
    named = re.search(r'(?:property|entry) "(\w+)"', text)
    if text.startswith("Wrong type"):
        return f"{here} (wrong type)"
    if named is None:
        return f"{here} (malformed)"
    return f"{here}.{named.group(1)} ({'missing' if 'is missing' in text else 'not an R4 element here'})"
