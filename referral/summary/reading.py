"""Summary items from what the tables and the findings of a page read: each with its evidence (the exact span of
the page it was read from and the line's box), and a medication named once whatever name it is printed under."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from referral.summary.dates import DateContext, dates_or_partial_in
from referral.summary.findings import (
    DOSE,
    Found,
    done_in,
    labs_in,
    medications_in,
    procedures_in,
    studies_in,
)
from referral.summary.med_status import RESUMED, continued, line_statuses
from referral.summary.models import (
    ClinicalSummary,
    Evidence,
    ImagingResult,
    Item,
    LabResult,
    Medication,
    Problem,
    Procedure,
)
from referral.summary.pathology import PathologyReader
from referral.summary.plausible import plausible_lab
from referral.summary.source import SourcePage
from referral.summary.tables import TableItem
from referral.summary.vocabulary import ingredient, lab_as_named, squeeze

EvidenceOf = Callable[[SourcePage, int, int, int], list[Evidence]]


class Builder:
    """Collects items for one summary; an item seen again (same kind and key) gains evidence, not a twin. A
    medication seen again with a status (a stop, a change) takes that status, its stop date and a changed dose."""

    def __init__(self, summary: ClinicalSummary) -> None:
        self.summary = summary
        self._seen: dict[tuple[str, str], Item] = {}
        self.pathology = PathologyReader(summary.pathology)
        self.dates = DateContext("")  # the page being read

    def _marker(self, target: list[Any], key: str) -> tuple[str, str]:
        return str(id(target)), key.lower()

    def add(self, target: list[Any], key: str, item: Item) -> None:
        marker = self._marker(target, key)
        seen = self._seen.get(marker)
        if seen is None:
            self._seen[marker] = item
            target.append(item)
            return
        seen.evidence.extend(e for e in item.evidence if e not in seen.evidence)
        if isinstance(seen, Medication) and isinstance(item, Medication) and item.status == RESUMED:
            seen.status, seen.stop = None, None  # "(유지, 2027.04.02 재개)" after "시술 전 중단"
        elif isinstance(seen, Medication) and isinstance(item, Medication) and item.status:
            seen.status, seen.stop = item.status, item.stop or seen.stop
            if item.status == "changed" and item.dose:
                seen.dose = item.dose

    def medication(self, medication: Medication, *, starts_if_new: bool = False) -> None:
        """`starts_if_new`: named in a plan without a status, a drug the record has not named before is started."""
        if DOSE.fullmatch(medication.name.strip()):
            return  # "1정": a quantity a scan left in the name's cell names no drug
        key = medication.ingredient or squeeze(medication.name)
        named = self._marker(self.summary.medications, key) in self._seen
        if starts_if_new and medication.status is None and not named:
            medication.status = "new"  # "P) 요통: 쎄레브렉스캡슐 200mg 1C qd"
        self.add(self.summary.medications, key, medication)
        if medication.status == RESUMED:
            medication.status = None  # current; only an earlier stop needed to know it was resumed


def medication_of(fields: dict[str, str | None], evidence: list[Evidence]) -> Medication:
    """A medication from what a table row or a line read, its status among them."""
    name = fields["name"] or ""
    return Medication(name=name, ingredient=ingredient(name), dose=fields.get("dose"), route=fields.get("route"),
                      frequency=fields.get("frequency"), status=fields.get("status"), stop=fields.get("stop"),
                      evidence=evidence)  # fmt: skip


def lab_of(fields: dict[str, str | None], evidence: list[Evidence]) -> LabResult:
    name, unit = lab_as_named(fields["name"] or "", fields.get("unit"))  # "HbAlc … mg/dt" on a fax: HbA1c, mg/dL
    return LabResult(name=name, value=fields["value"] or "", unit=unit,
                     reference_range=fields.get("reference_range"), flag=fields.get("flag"), date=fields.get("date"),
                     evidence=evidence)  # fmt: skip


def _lab_key(lab: LabResult) -> str:
    return f"{squeeze(lab.name)}|{lab.value}|{lab.date or ''}"


def add_table_item(builder: Builder, page: SourcePage, item: TableItem, evidence_of: EvidenceOf) -> None:
    evidence = evidence_of(page, item.start, item.end, item.line)
    if item.kind == "lab":
        lab = lab_of(item.fields, evidence)
        if not plausible_lab(lab.name, lab.value, lab.unit):
            return
        lab.date = lab.date or builder.dates.before(item.header)  # "<검사결과> 2026.06.02" over the table
        builder.add(builder.summary.labs, _lab_key(lab), lab)
    elif item.kind == "medication":
        builder.medication(medication_of(item.fields, evidence))
    elif item.kind == "ihc":
        builder.pathology.marker(item.fields["marker"] or "", item.fields["result"] or "", evidence)
    elif item.kind == "problem":
        name, code = item.fields["name"] or "", item.fields.get("code")
        builder.add(builder.summary.problems, code or name, Problem(name=name, code=code, evidence=evidence))


def add_procedures(
    builder: Builder, page: SourcePage, start: int, text: str, number: int, evidence_of: EvidenceOf, *, need_date: bool
) -> bool:
    """The procedures named in `text` with their dates; one printed without a date takes the exam date printed
    near it when `need_date` is false ("수술명: ..." under "수술일: ...", a specimen under its 채취일)."""
    procedures = []
    for found in procedures_in(text, need_date=False):
        when = found.fields["date"]
        if when is None and not need_date:
            when = builder.dates.exam_near(number)
        elif when is None and done_in(text[found.end :]):  # "...2026. 05. 19. 본원에서 / 관상동맥조영술을 시행"
            when = builder.dates.in_sentence(number)
        if when is None and need_date and not found.fields.get("prior"):  # "s/p CNB" is done, its date not given
            continue
        procedures.append(found)
        evidence = evidence_of(page, start + found.start, start + found.end, number)
        procedure = Procedure(name=found.fields["name"] or "", date=when, evidence=evidence)
        builder.add(builder.summary.procedures, f"{squeeze(procedure.name)}|{procedure.date or ''}", procedure)
    return bool(procedures)


def merge_retold(summary: ClinicalSummary) -> None:
    """Items the record tells twice, once less fully, as one: an undated procedure, a result without its unit."""
    _merge_undated_procedures(summary)
    _merge_unitless_labs(summary)


def _merge_undated_procedures(summary: ClinicalSummary) -> None:
    """A procedure mentioned without a date ("협심증, s/p PCI") that the record also names with one ("2019.08 pRCA
    PCI (DES x1)") is that procedure: its evidence joins the dated one instead of standing as a second item."""
    dated = [p for p in summary.procedures if p.date]
    kept = []
    for procedure in summary.procedures:
        same = None if procedure.date else next((p for p in dated if squeeze(procedure.name) in squeeze(p.name)), None)
        if same is None:
            kept.append(procedure)
        else:
            same.evidence.extend(e for e in procedure.evidence if e not in same.evidence)
    summary.procedures[:] = kept


def _merge_unitless_labs(summary: ClinicalSummary) -> None:
    """A result told again in a sentence without its unit ("eGFR 28 로 감소") that a table also gives with one, of
    the same day, is that result: its evidence joins the one with the unit. The name is compared without its
    method in parentheses ("CRP (정량)")."""

    def bare(name: str) -> str:
        return squeeze(re.sub(r"\([^)]*\)", "", name))

    with_unit = [lab for lab in summary.labs if lab.unit]
    kept = []
    for lab in summary.labs:
        same = None if lab.unit else next((w for w in with_unit if bare(w.name) == bare(lab.name)
                                          and w.value == lab.value and lab.date in (None, w.date)), None)  # fmt: skip
        if same is None:
            kept.append(lab)
        else:
            same.evidence.extend(e for e in lab.evidence if e not in same.evidence)
    summary.labs[:] = kept


def add_findings(
    builder: Builder,
    page: SourcePage,
    start: int,
    text: str,
    number: int,
    evidence_of: EvidenceOf,
    *,
    require_dose: bool = True,
    need_date: bool = True,
    default_status: str | None = None,
    plan: bool = False,
) -> bool:
    """Labs, medications and studies written in `text` (which starts at `start` of the page); whether any. In a
    `plan`, a drug the record has not named before, printed without a status, is one the plan starts."""

    def evidence(found: Found) -> list[Evidence]:
        return evidence_of(page, start + found.start, start + found.end, number)

    labs = [
        f for f in labs_in(text) if plausible_lab(f.fields["name"] or "", f.fields["value"] or "", f.fields["unit"])
    ]
    for found in labs:
        lab = lab_of(found.fields, evidence(found))
        # "같은 날(2027.01.04) 시행한 검사에서 CA 19-9 41 U/mL", "dx 2024.03, ANA(+)": the date said before it
        earlier = dates_or_partial_in(text[: found.start])
        lab.date = lab.date or (earlier[-1][1] if earlier else builder.dates.before(number - 1))
        builder.add(builder.summary.labs, _lab_key(lab), lab)
    medications = medications_in(text, require_dose)
    spans = [(f.start, f.start + len(f.fields["name"] or ""), f.end) for f in medications]
    for found, (status, stop) in zip(medications, line_statuses(text, spans), strict=True):
        medication = medication_of({**found.fields, "status": status, "stop": stop}, evidence(found))
        medication.status = medication.status or default_status
        builder.medication(medication, starts_if_new=plan and not continued(text[found.start :]))
    procedures = add_procedures(builder, page, start, text, number, evidence_of, need_date=need_date)
    studies = []
    for found in studies_in(text, need_date=False):
        when = found.fields["date"] or builder.dates.exam_near(number)  # "검사명: CT ..." under "검사일시: ..."
        if when is None and need_date:
            continue
        studies.append(found)
        study = ImagingResult(modality=found.fields["modality"] or "", body_part=found.fields["body_part"],
                              date=when, finding=found.fields["finding"], evidence=evidence(found))  # fmt: skip
        builder.add(builder.summary.imaging, f"{study.modality}|{study.date or ''}|{found.start}", study)
    return bool(labs or medications or studies or procedures)
