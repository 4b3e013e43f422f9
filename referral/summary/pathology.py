"""A pathology report read as a structured report: one finding per specimen ("A. Breast, left, partial
mastectomy:", "1. Prostate, left, needle biopsy:"), its diagnosis (the first unlabelled line under it), and the
labelled fields of data/pathology_fields.yaml (grade, size, margins, nodes, stage), with the immunohistochemistry
table's markers and results. Sub-headings ([검체], [진단], 면역조직화학) say what the lines under them are."""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from referral.lexicon import load_data
from referral.summary.models import Evidence, PathologyFinding
from referral.summary.vocabulary import squeeze, vocabulary

_SPECIMEN = re.compile(r"^\s*(?:(?P<key>[A-Z]|\d{1,2}|#\d{1,2})[.)]\s+)?(?P<name>.+?)\s*:?\s*$")
_BULLET = re.compile(r"^\s*(?:[-•*·]|\d{1,2}[.)])\s*")
_SAMPLED = re.compile(r"[(（]([^)）]{2,30})[)）]")  # "진단(직장 생검)": how the specimen was taken, in the label
_FIELDS = ("specimen", "diagnosis", "grade", "size", "margins", "nodes", "stage", "ihc")


@cache
def _vocabulary() -> dict[str, object]:
    loaded: dict[str, object] = load_data("pathology_fields.yaml")
    return loaded


@cache
def _labels() -> dict[str, str]:
    fields: dict[str, list[str]] = _vocabulary()["fields"]  # type: ignore[assignment]
    return {squeeze(label): field for field, labels in fields.items() for label in labels}


@cache
def _terms(kind: str) -> re.Pattern[str]:
    """A term of eight letters or more may follow a word whose space a scan lost ("Mucinousadenocarcinoma")."""
    terms: list[str] = _vocabulary()[kind]  # type: ignore[assignment]
    return re.compile("|".join(re.escape(t) if len(t) >= 8 else rf"(?<![A-Za-z]){re.escape(t)}" for t in terms), re.I)


@cache
def _organ() -> re.Pattern[str]:
    """A specimen's label whose sampling word a scan garbled: an organ, then what is left of how it was taken —
    a few Latin letters after a Korean organ or after a space ("직장QX", "대장 샘겸"), a word after a Latin organ's
    comma ("Colon, EMP"). A Korean syllable run into the organ makes another word (위험, 간호): no specimen."""
    organs: list[str] = _vocabulary()["organs"]  # type: ignore[assignment]
    latin = "|".join(re.escape(o) for o in organs if o.isascii())
    korean = "|".join(re.escape(o) for o in sorted((o for o in organs if not o.isascii()), key=len, reverse=True))
    return re.compile(rf"(?:{latin}), ?[A-Za-z]{{2,12}}|(?:{korean})(?:[A-Za-z]{{1,4}}| [가-힣A-Za-z]{{1,4}})")


_DIFFERENTIATION = re.compile(r"\b(?:well|moderately|poorly|un)[- ]?differentiated\b|[고중저미]분화", re.I)


def is_histology(text: str) -> bool:
    return bool(_terms("histology").search(text))


def one_line(text: str) -> dict[str, str] | None:
    """A result written on one line of a letter: "직장 생검: adenocarcinoma, poorly differentiated",
    "FNA (2027/01/20, 외부): Bethesda V" — a label naming how the specimen was taken, a histologic value. A scan
    may garble how it was taken: an organ and what is left of it is a specimen still ("Colon, EMP:", "직장QX:")."""
    label, colon, value = text.partition(":")
    if not colon or len(label) > 40 or not is_histology(value):
        return None
    garbled = _organ().fullmatch(label.strip()) and not vocabulary().modality.search(label)  # "폐 CT:" is a study's
    if not (_terms("sampling").search(label) or garbled):
        return None
    grade = _DIFFERENTIATION.search(value)
    return {"specimen": label.strip(" →-"), "diagnosis": value.strip(), "grade": grade.group(0) if grade else ""}


def field_of(label: str) -> str | None:
    """The field a label fills: its whole name, or the longest known name it begins with."""
    bare = squeeze(re.sub(r"[\[\]【】<>]", "", re.sub(r"\s*[(（].*?[)）]", "", _BULLET.sub("", label))))
    # "Màrgins": an accent a scan put on a Latin letter
    bare = "".join(unicodedata.normalize("NFD", c)[0] if "À" <= c <= "ɏ" else c for c in bare)
    labels = _labels()
    if bare in labels:
        return labels[bare]
    starts = [known for known in labels if bare.startswith(known) and (len(known) >= 3 or known[0] >= "가")]
    return labels[max(starts, key=len)] if starts else None


class PathologyReader:
    """Reads the lines of the pathology sections of one document, in order, into findings."""

    def __init__(self, findings: list[PathologyFinding]) -> None:
        self.findings = findings
        self._by_key: dict[str, PathologyFinding] = {}
        self._current: PathologyFinding | None = None
        self._mode: str | None = None  # what unlabelled lines are under the last sub-heading

    def read(self, text: str, evidence: list[Evidence]) -> None:
        text = text.strip()
        label, colon, value = text.partition(":")
        field = field_of(label) if colon and len(label) <= 40 else None
        if not value.strip() and (field or field_of(text)) and (colon or _is_heading(text)):
            self._mode = field or field_of(text)  # a sub-heading: "[검체]", "진단 (Diagnosis)", "진단:"
            return
        specimen = _SPECIMEN.match(text) if field is None and self._mode in ("specimen", "diagnosis") else None
        if specimen and (text.endswith(":") or self._mode == "specimen" and specimen["key"]):
            self._specimen(specimen["key"], specimen["name"], evidence)
        elif field in _FIELDS:
            if field == "specimen":
                self._specimen(None, value.strip(), evidence)
            elif field == "diagnosis" and (taken := _SAMPLED.search(label)) and _terms("sampling").search(taken[1]):
                self._specimen(None, taken[1].strip(), evidence)  # "진단(직장 생검): …": the specimen, its result
                self._diagnosis(value.strip(), evidence)
            else:  # "Size 1.4 x 1.1 cm, invasion depth: mucosa": a label with its own value keeps the whole line
                whole = re.search(r"\d", re.sub(r"\(.*?\)", "", label)) is not None
                self._set(field, text if whole else value.strip(), evidence)
        elif field is None and (found := one_line(text)):
            self._specimen(None, found["specimen"], evidence)
            self._diagnosis(found["diagnosis"], evidence)
        elif field is None and not colon and (self._mode == "diagnosis" or is_histology(text)
                                              or self._current and not self._current.diagnosis):  # fmt: skip
            self._set("diagnosis", _BULLET.sub("", text), evidence)
        elif self._current is not None:
            self._current.text += f"\n{text}"
            self._current.evidence.extend(evidence)

    def marker(self, name: str, result: str, evidence: list[Evidence]) -> None:
        """One row of the immunohistochemistry table, on the report's first specimen with a diagnosis."""
        target = next((f for f in self.findings if f.diagnosis), self._current)
        if target is None:
            target = self._new(evidence)
        target.ihc = f"{target.ihc}; {name}: {result}" if target.ihc else f"{name}: {result}"
        target.evidence.extend(evidence)

    def _specimen(self, key: str | None, name: str, evidence: list[Evidence]) -> None:
        known = self._by_key.get(key) if key else None
        if known is None:
            known = self._new(evidence)
            known.specimen = name
            if key:
                self._by_key[key] = known
        else:
            known.evidence.extend(evidence)
        self._current = known

    def _diagnosis(self, value: str, evidence: list[Evidence]) -> None:
        """A one-line result: its diagnosis, and the grade it names ("…, well differentiated")."""
        self._set("diagnosis", value, evidence)
        grade = _DIFFERENTIATION.search(value)
        if grade and self._current is not None and not self._current.grade:
            self._set("grade", grade.group(0), evidence)

    def _set(self, field: str, value: str, evidence: list[Evidence]) -> None:
        finding = self._current or self._new(evidence)
        previous = getattr(finding, field)
        setattr(finding, field, f"{previous}; {value}" if previous else value)
        if finding.evidence is not evidence:
            finding.evidence.extend(e for e in evidence if e not in finding.evidence)
        finding.text += f"\n{value}"

    def _new(self, evidence: list[Evidence]) -> PathologyFinding:
        finding = PathologyFinding(text="", evidence=list(evidence))
        self.findings.append(finding)
        self._current = finding
        return finding


def _is_heading(text: str) -> bool:
    return bool(re.match(r"^\s*[\[【<]", text)) or len(text) <= 30
