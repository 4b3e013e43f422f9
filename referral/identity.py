"""Patient identity on every page: the name, birth date and registration number a document prints, compared
with the referral's patient, so a page of another patient in the packet is found before anyone signs.

A document is one patient's: each page is checked, and a continuation page that prints no identifier belongs to
the document whose other pages do. A document printing none at all is a finding, as is any page whose name or
birth date differs. Registration numbers are per institution, so a different number is expected from another
hospital; a near miss (a digit or two changed or swapped) is the sign of a misfiled page and is a finding, unless
the page's name and birth date both agree (then it is an OCR slip)."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Literal

from pydantic import BaseModel
from rapidfuzz.distance import DamerauLevenshtein

from referral.hangul import one_letter_apart
from referral.models import Patient
from referral.romanise import spells

FindingKind = Literal[
    "name_mismatch", "name_misread", "birth_date_mismatch", "registration_no_near_miss", "no_identifier"
]

# between a label and its value: spaces, colons, table rules, and the dots and specks OCR reads there; never a
# line break (a heading is not a label)
_SEPARATOR = r"[ \t:：;.,|ㆍ·•_'\"“”`~-]"
_GAP = rf"{_SEPARATOR}*"
# a label read with junk after it ("등록번호. oo 12345678"): up to two short Latin specks before the value
_SPECKS = rf"(?:[a-z]{{1,2}}{_SEPARATOR}+){{0,2}}"
_NAME = re.compile(
    rf"(?<![가-힣])(?:환\s*자\s*(?:성\s*)?명|환\s*자\s*정\s*보|환\s*자(?=\s*[:：])|(?:수\s*진\s*자\s*)?성\s*명|이\s*름"
    rf"|Patient(?:\s*name)?|Name){_GAP}"
    r"(?P<value>[가-힣](?:[ \t]?[가-힣]){1,5}"
    r"|[A-Z][A-Za-z]+(?:(?:,? |-)(?!(?:DOB|Sex|Age|ID|MRN|Birth|Date)\b)[A-Z][A-Za-z]+(?:-[a-z]+)?){1,2})",
)
# a name labelled 성명 after these words is a clinician's or a guardian's, not the patient's
_NOT_PATIENT = re.compile(r"(?:의사|전문의|담당|작성|처방|주치|판독|보호자|검사자|확인)\s*$")
_HANGUL_START = re.compile(r"[가-힣]")
# 생년월일 with its last syllable misread by OCR (another syllable in its place) still names the birth date
_BIRTH_LABEL = r"(?:생\s*년\s*월\s*[가-힣]?|생\s*일|DOB|D\.O\.B\.?|Date\s+of\s+birth|Birth\s*date)"
_DATE = (
    r"(?P<y>(?:19|20)\d{2}|\d{2})\s*(?:[-./]\s*|년\s*)(?P<m>\d{1,2})\s*(?:[-./]\s*|월\s*)(?P<d>\d{1,2})\s*일?"
    r"|(?P<compact>\d{6}|\d{8})(?!\d)"
)
_BIRTH = re.compile(rf"{_BIRTH_LABEL}{_GAP}(?:{_DATE})")
_RESIDENT_NO = re.compile(rf"(?:주\s*민\s*(?:등\s*록\s*)?번\s*호){_GAP}(?P<compact>\d{{6}})\s*-\s*[1-8*]")
_REGISTRATION = re.compile(
    rf"(?<!주민)(?:등\s*록\s*번\s*호|환\s*자\s*번\s*호|병\s*록\s*번\s*호|차\s*트\s*번\s*호|MRN|Chart\s*No\.?|Patient\s*ID){_GAP}"
    rf"{_SPECKS}(?P<value>[A-Z]{{0,2}}-?\d{{5,12}})"
)


class PageIdentity(BaseModel):
    """What one page prints about whose it is."""

    document_key: str
    page: int
    names: list[str] = []
    latin_names: list[str] = []
    birth_dates: list[date] = []
    registration_nos: list[str] = []

    @property
    def printed(self) -> bool:
        return bool(self.names or self.latin_names or self.birth_dates or self.registration_nos)


class IdentityFinding(BaseModel):
    """A page that may not be this patient's. It names what differs, never the other patient's values."""

    document_key: str
    page: int | None
    kind: FindingKind
    message: str


_MESSAGES: dict[FindingKind, str] = {
    "name_mismatch": "환자 성명이 의뢰 환자와 다릅니다 / the printed name is not the referral's patient",
    "name_misread": "성명 한 글자의 자모 하나가 다르게 판독되었습니다 — 원본에서 확인하십시오 / "
    "one letter of one syllable of the printed name reads otherwise: check it on the page",
    "birth_date_mismatch": "생년월일이 의뢰 환자와 다릅니다 / the printed birth date differs",
    "registration_no_near_miss": "등록번호가 의뢰 환자 번호와 한두 자리만 다릅니다 / a near-miss registration number",
    "no_identifier": "환자 식별 정보를 찾지 못했습니다 (인쇄 누락 또는 판독 불가) / no identifier printed or legible",
}


def _compact(text: str) -> str:
    return "".join(unicodedata.normalize("NFC", text).casefold().split()).replace("-", "")


def _date(y: str, m: str, d: str) -> date | None:
    year = int(y)
    if len(y) == 2:  # a two-digit year: the latest century that does not put the birth in the future
        year += 2000 if year <= date.today().year % 100 else 1900
    try:
        return date(year, int(m), int(d))
    except ValueError:
        return None


def _compact_date(digits: str) -> date | None:
    if len(digits) == 8:
        return _date(digits[:4], digits[4:6], digits[6:])
    return _date(digits[:2], digits[2:4], digits[4:])


_NEXT_LABEL = re.compile(r"(?:생년|생일|성별|나이|등록|주민|진료|병실|병동|환자|주소|연락|전화|과명|보험|남자|여자)")


def _trim(name: str) -> str:
    """A run of syllables that went on into the next label ("홍길동생년월일") is cut before it; a name is 2-4."""
    cut = _NEXT_LABEL.search(name, 2)
    name = name[: cut.start()] if cut else name
    return name if len(name) <= 4 else name[:3]


def _romanised(name: str) -> bool:
    """A name printed in Latin letters as names are: every part capitalised (Gildong Hong, Hong Gil-dong), every
    part in capitals (HONG GILDONG), or the surname alone in capitals (HONG Gildong). Capitals after a capitalised
    word are a garbled label beside a misread name ("Kim BANC"), not a given name."""
    parts = re.split(r",? |-(?=[A-Z])", name)
    capitalised = [p[0].isupper() and (len(p) == 1 or p[1:].islower()) for p in parts]
    return all(capitalised) or all(p.isupper() for p in parts) or (parts[0].isupper() and all(capitalised[1:]))


def read_page(document_key: str, page: int, text: str) -> PageIdentity:
    births: list[date] = []
    for match in _BIRTH.finditer(text):
        born = _compact_date(match["compact"]) if match["compact"] else _date(match["y"], match["m"], match["d"])
        if born:
            births.append(born)
    for match in _RESIDENT_NO.finditer(text):
        born = _compact_date(match["compact"])
        if born:
            births.append(born)
    names = [m["value"] for m in _NAME.finditer(text) if not _NOT_PATIENT.search(text[: m.start()][-8:])]
    return PageIdentity(
        document_key=document_key,
        page=page,
        names=list(dict.fromkeys(_trim(_compact(v)) for v in names if _HANGUL_START.match(v))),
        latin_names=list(dict.fromkeys(v for v in names if not _HANGUL_START.match(v) and _romanised(v))),
        birth_dates=list(dict.fromkeys(births)),
        registration_nos=list(dict.fromkeys(m["value"] for m in _REGISTRATION.finditer(text))),
    )


def name_forms(name: str) -> set[str]:
    """A Korean name as written, and a romanised one in either order (Hong Gildong / Gildong Hong)."""
    parts = unicodedata.normalize("NFC", name).replace("^", " ").replace(",", " ").split()
    forms = {_compact(name)}
    if len(parts) >= 2:
        forms.add(_compact("".join([*parts[1:], parts[0]])))
    return forms


def _page_findings(patient: Patient, identity: PageIdentity) -> list[FindingKind]:
    kinds: list[FindingKind] = []
    expected = name_forms(patient.name)
    # a printed run of syllables may go on into the next word ("홍길동 성별"): a name is 2-4 syllables of it
    korean = any(n[:k] in expected for n in identity.names for k in (2, 3, 4))
    latin = any(_compact(n) in expected or spells(n, patient.name) for n in identity.latin_names)
    if (identity.names or identity.latin_names) and not (korean or latin):
        misread = patient.birth_date in identity.birth_dates and any(
            one_letter_apart(n[: len(e)], e) for n in identity.names for e in expected
        )  # the birth date agrees and the name is one letter (자모) away: still a finding the reviewer must resolve
        kinds.append("name_misread" if misread else "name_mismatch")
    if identity.birth_dates and patient.birth_date not in identity.birth_dates:
        kinds.append("birth_date_mismatch")
    ours = _compact(patient.identifier)
    if (korean or latin) and patient.birth_date in identity.birth_dates:
        return kinds  # name and birth date agree: a number one digit off is an OCR slip, not another patient
    near = [
        r for r in identity.registration_nos if r != ours and 0 < DamerauLevenshtein.distance(_compact(r), ours) <= 2
    ]
    if near and len(ours) >= 5 and ours not in [_compact(r) for r in identity.registration_nos]:
        kinds.append("registration_no_near_miss")
    return kinds


def check_documents(patient: Patient, pages: list[PageIdentity]) -> list[IdentityFinding]:
    """Findings for every page that prints another patient's identity, and every document printing none."""
    findings: list[IdentityFinding] = []
    documents: dict[str, list[PageIdentity]] = {}
    for identity in pages:
        documents.setdefault(identity.document_key, []).append(identity)
    for key, document in documents.items():
        if not any(p.printed for p in document):
            findings.append(IdentityFinding(document_key=key, page=None, kind="no_identifier",
                                            message=_MESSAGES["no_identifier"]))  # fmt: skip
            continue
        for identity in document:
            for kind in _page_findings(patient, identity):
                findings.append(IdentityFinding(document_key=key, page=identity.page, kind=kind,
                                                message=_MESSAGES[kind]))  # fmt: skip
    return findings
