"""Domain models shared by the API, the CLI, the workflow and the activities.

Everything here may carry PHI (patient identity, clinical text) and therefore only ever travels inside
encrypted workflow payloads, never in workflow ids, search attributes or error messages.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

SHA256_PATTERN = r"^[0-9a-f]{64}$"
MediaType = Literal["application/pdf", "image/png", "image/jpeg", "image/tiff"]
AudioMediaType = Literal["audio/wav", "audio/flac", "audio/mpeg", "audio/ogg", "audio/mp4", "audio/webm"]
DictationLanguage = Literal["ko", "en"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Priority(StrEnum):
    EMERGENCY = "emergency"
    URGENT = "urgent"
    ROUTINE = "routine"


class Side(StrEnum):
    REFERRING = "referring"
    RECEIVING = "receiving"


class Sex(StrEnum):
    MALE = "male"
    FEMALE = "female"
    OTHER = "other"
    UNKNOWN = "unknown"


class ReferralType(StrEnum):
    CONSULT = "consult"
    TRANSFER = "transfer"
    PROCEDURE = "procedure"


class Patient(Strict):
    name: str = Field(min_length=1, max_length=100)
    birth_date: date
    sex: Sex
    identifier: str = Field(min_length=1, max_length=64, description="registration number at the referring org")
    contact: str | None = Field(default=None, max_length=100)
    insurance: str | None = Field(default=None, max_length=100)


class Clinician(Strict):
    name: str = Field(min_length=1, max_length=100)
    license_no: str | None = Field(default=None, max_length=32)


class Party(Strict):
    """One end of a referral: an institution of the network, a department and (on the referring side) a clinician."""

    org: str = Field(min_length=1, max_length=64, description="institution code from the network config")
    department: str = Field(min_length=1, max_length=100)
    clinician: Clinician | None = None


class DocumentRef(Strict):
    """A stored document: the workflow carries this reference, never the content."""

    key: str
    sha256: str = Field(pattern=SHA256_PATTERN)
    media_type: MediaType
    page_count: int = Field(ge=1)
    size_bytes: int = Field(ge=1)
    filename: str


class DictationRef(Strict):
    """A stored voice dictation by the referring clinician (음성 의뢰): transcribed, then drafted into the letter."""

    key: str
    sha256: str = Field(pattern=SHA256_PATTERN)
    media_type: AudioMediaType
    duration_s: float = Field(gt=0)
    size_bytes: int = Field(ge=1)
    filename: str
    language: DictationLanguage = "ko"


class ConsentBasis(StrEnum):
    PATIENT = "patient"  # 환자 본인의 동의
    REPRESENTATIVE = "representative"  # 환자 보호자·법정대리인의 동의
    EMERGENCY = "emergency"  # 응급환자 이송: 동의 없이 송부하는 법정 예외 (의료법 제21조의2 제2항)


class ExchangeConsent(Strict):
    """The patient's consent to send the records to the receiving institution (의료법 제21조의2 진료기록의 송부),
    as the referring hospital records it at intake: who consented, when, recorded by whom; or the emergency
    exception, with why."""

    basis: ConsentBasis
    given_at: AwareDatetime
    recorded_by: str = Field(min_length=1, max_length=100, description="staff who took the consent")
    representative: str | None = Field(default=None, max_length=100, description="who consented for the patient")
    relationship: str | None = Field(default=None, max_length=50, description="the representative's to the patient")
    note: str | None = Field(default=None, max_length=500)

    @model_validator(mode="after")
    def _complete(self) -> ExchangeConsent:
        if self.basis == ConsentBasis.REPRESENTATIVE and not (self.representative and self.relationship):
            raise ValueError("a representative's consent names the representative and the relationship")
        if self.basis == ConsentBasis.EMERGENCY and not self.note:
            raise ValueError("an emergency transfer without consent says why in the note")
        return self


class ReferralRequest(Strict):
    """What a referring hospital submits, apart from the files."""

    patient: Patient
    consent: ExchangeConsent
    referring: Party
    receiving: Party
    priority: Priority
    reason: str = Field(min_length=1, max_length=4000, description="의뢰사유 / clinical question")
    referral_type: ReferralType = ReferralType.CONSULT
    previous_referral_id: str | None = Field(
        default=None, pattern=r"^ref-[0-9a-f]{24}$", description="a declined or cancelled referral this one replaces"
    )

    @model_validator(mode="after")
    def _consent_fits(self) -> ReferralRequest:
        if self.consent and self.consent.basis == ConsentBasis.EMERGENCY and self.priority != Priority.EMERGENCY:
            raise ValueError("records are sent without consent only for an emergency referral")
        return self

    def party(self, side: Side) -> Party:
        """The institution and clinician on `side` of the referral."""
        return self.referring if side == Side.REFERRING else self.receiving


class Referral(ReferralRequest):
    # every submission records consent (ReferralRequest); none only for drafts made locally, which go nowhere
    consent: ExchangeConsent | None = None  # type: ignore[assignment]
    referral_id: str
    documents: list[DocumentRef] = Field(default_factory=list)
    dictations: list[DictationRef] = Field(default_factory=list)
    submitted_at: datetime
    fingerprint: str = Field(pattern=SHA256_PATTERN)

    @model_validator(mode="after")
    def _has_content(self) -> Referral:
        if not self.documents and not self.dictations:
            raise ValueError("a referral needs at least one document or dictation")
        return self
