"""The worklist's forms read into the same requests the API takes: an event (with its coded reason and, for
`schedule`, the appointment) and a new referral. What is wrong comes back as FormRefused naming the field, in
Korean first, and nothing is sent."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time

from pydantic import ValidationError

from flows.referral.io import Appointment, EventRequest
from referral.models import (
    Clinician,
    ConsentBasis,
    ExchangeConsent,
    Party,
    Patient,
    Priority,
    ReferralRequest,
    ReferralType,
    Sex,
    Side,
)
from referral.states import ReferralEvent
from referral.web.worklist import KST


class FormRefused(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _text(form: Mapping[str, object], name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _optional(form: Mapping[str, object], name: str) -> str | None:
    return _text(form, name) or None


def _local_datetime(day: str, at: str, field: str) -> datetime:
    """A date and time typed on a hospital PC: Korea Standard Time."""
    try:
        return datetime.combine(date.fromisoformat(day), time.fromisoformat(at), tzinfo=KST)
    except ValueError:
        raise FormRefused(field, "날짜와 시간을 확인하십시오 (enter a valid date and time)") from None


def _validation_refused(err: ValidationError) -> FormRefused:
    first = err.errors(include_url=False, include_input=False)[0]
    where = ".".join(str(part) for part in first["loc"])
    return FormRefused(where, f"입력값을 확인하십시오: {where} (check this field: {first['msg']})")


def appointment_from(form: Mapping[str, object]) -> Appointment:
    start = _local_datetime(_text(form, "appointment_date"), _text(form, "appointment_time"), "appointment_date")
    try:
        return Appointment(
            start=start, minutes=int(_text(form, "appointment_minutes") or 30),
            place=_text(form, "appointment_place"), department=_text(form, "appointment_department"),
        )  # fmt: skip
    except ValueError as err:
        if isinstance(err, ValidationError):
            raise _validation_refused(err) from None
        raise FormRefused("appointment_minutes", "진료 시간(분)은 숫자입니다 (minutes must be a number)") from None


def event_request(form: Mapping[str, object], side: Side, org: str, actor: str) -> EventRequest:
    try:
        event = ReferralEvent(_text(form, "event"))
    except ValueError:
        raise FormRefused("event", "알 수 없는 처리입니다 (unknown action)") from None
    appointment = appointment_from(form) if event == ReferralEvent.SCHEDULE else None
    try:
        return EventRequest(
            event=event, side=side, org=org, actor=actor, reason=_optional(form, "reason"),
            reason_code=_optional(form, "reason_code"), appointment=appointment,
        )  # fmt: skip
    except ValidationError as err:
        raise _validation_refused(err) from None


def referral_request_from(form: Mapping[str, object], org: str, recorded_by: str, now: datetime) -> ReferralRequest:
    """A new referral as a coordinator types it; the consent is recorded by the signed-in member."""
    try:
        basis = ConsentBasis(_text(form, "consent_basis"))
    except ValueError:
        raise FormRefused("consent_basis", "진료기록 송부 동의를 선택하십시오 (choose the consent)") from None
    given_at = now
    if _text(form, "consent_date"):
        given_at = _local_datetime(_text(form, "consent_date"), _text(form, "consent_time") or "00:00",
                                   "consent_date")  # fmt: skip
    try:
        birth_date = date.fromisoformat(_text(form, "birth_date"))
    except ValueError:
        raise FormRefused("birth_date", "생년월일을 확인하십시오 (enter the birth date)") from None
    try:
        clinician = None
        if _text(form, "clinician_name"):
            clinician = Clinician(name=_text(form, "clinician_name"), license_no=_optional(form, "clinician_licence"))
        return ReferralRequest(
            patient=Patient(
                name=_text(form, "patient_name"), birth_date=birth_date, sex=Sex(_text(form, "sex") or "unknown"),
                identifier=_text(form, "registration_no"), contact=_optional(form, "contact"),
            ),
            consent=ExchangeConsent(
                basis=basis, given_at=given_at, recorded_by=recorded_by,
                representative=_optional(form, "representative"), relationship=_optional(form, "relationship"),
                note=_optional(form, "consent_note"),
            ),
            referring=Party(org=org, department=_text(form, "referring_department"), clinician=clinician),
            receiving=Party(org=_text(form, "receiving_org"), department=_text(form, "receiving_department")),
            priority=Priority(_text(form, "priority") or "routine"),
            referral_type=ReferralType(_text(form, "referral_type") or "consult"),
            reason=_text(form, "reason"),
        )  # fmt: skip
    except ValidationError as err:
        raise _validation_refused(err) from None
    except ValueError as err:
        raise FormRefused("form", f"입력값을 확인하십시오 (check the form): {err}") from None
