"""The duplicate-test guard: a planned order (FHIR ServiceRequest code or name) that repeats a prior test still
within its validity window is flagged with the prior test's date and result and the cost it would avoid."""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from importlib import resources

import yaml
from pydantic import BaseModel, Field

from referral.summary.dates import as_date
from referral.summary.models import ClinicalSummary, Evidence, ImagingResult, LabResult, Procedure
from referral.summary.vocabulary import squeeze, study_type


class TestType(BaseModel):
    id: str
    name: str
    names: list[str] = Field(default_factory=list, description="what a planned order may call it")
    exclude: list[str] = Field(default_factory=list, description="words that make an order another test")
    modality: str | None = None
    body: list[str] = Field(default_factory=list)
    lab: list[str] = Field(default_factory=list)
    procedure: list[str] = Field(default_factory=list)
    codes: list[str] = Field(default_factory=list)
    window_days: int = Field(gt=0)
    example_cost_krw: int = Field(ge=0)


class ValidityTable(BaseModel):
    cost_note: str
    tests: list[TestType]


class PlannedOrder(BaseModel):
    """What the receiving side intends to order: a ServiceRequest's code and/or text."""

    code: str | None = None
    name: str | None = None
    planned_on: date


class AvoidableRepeat(BaseModel):
    test: str
    planned: str
    prior_date: date
    days_since: int
    window_days: int
    prior_result: str
    example_cost_krw: int
    evidence: list[Evidence]


class GuardReport(BaseModel):
    repeats: list[AvoidableRepeat]
    total_example_cost_krw: int
    cost_note: str


@cache
def default_table() -> ValidityTable:
    text = resources.files("referral").joinpath("data/test_validity.yaml").read_text("utf-8")
    return ValidityTable.model_validate(yaml.safe_load(text))


def _words(text: str) -> str:
    return re.sub(r"[^0-9a-z가-힣]+", " ", text.lower())


def classify_order(order: PlannedOrder, table: ValidityTable) -> TestType | None:
    """The test a planned order is: by code, else by the longest order name it contains, else by study type and
    body words."""
    for test in table.tests:
        if order.code and order.code in test.codes:
            return test
    text = " " + _words(" ".join(x for x in (order.name, order.code) if x)) + " "
    named: list[tuple[int, TestType]] = []
    for test in table.tests:
        if any(f" {_words(word).strip()} " in text for word in test.exclude):
            continue
        for name in [test.name, *test.names, *test.codes]:
            words = _words(name).strip()
            if words and f" {words} " in text:
                named.append((len(words), test))
    if named:
        return max(named, key=lambda pair: pair[0])[1]
    for test in table.tests:
        if (
            test.modality
            and f" {_words(test.modality).strip()} " in text
            and (not test.body or any(b in text for b in test.body))
        ):
            return test
    return None


Prior = ImagingResult | LabResult | Procedure


def _lab_name(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", re.sub(r"\(.*?\)", "", name.lower()))


def _prior_matches(test: TestType, summary: ClinicalSummary) -> list[Prior]:
    found: list[Prior] = []
    for study in summary.imaging:
        described = f"{study.modality} {study.body_part or ''} {study.finding or ''}".lower()
        if (
            test.modality
            and squeeze(study_type(test.modality)) == squeeze(study_type(study.modality))
            and (not test.body or any(b in described for b in test.body))
        ):
            found.append(study)
    for lab in summary.labs:
        name = _lab_name(lab.name)
        if name in test.lab or (name.endswith("c") and name[:-1] in test.lab):  # LDL-C is LDL
            found.append(lab)
    for procedure in summary.procedures:
        if any(term in procedure.name.lower() for term in test.procedure):
            found.append(procedure)
    return found


def _parse_date(text: str | None) -> date | None:
    """The day a prior test was done; a date printed to the month or year only ("2026.05") counts from its first
    day, the earliest it can be, so such a test is called still valid only if it is on any day of that month."""
    if not text:
        return None
    exact = as_date(text)
    if exact is not None:
        return exact
    partial = re.match(r"\s*((?:19|20)\d{2})(?:\s*년\s*(\d{1,2})\s*월|[./]\s*(\d{1,2}))?", text)
    if partial is None:
        return None
    month = int(partial.group(2) or partial.group(3) or 1)
    return date(int(partial.group(1)), month, 1) if 1 <= month <= 12 else None


def check_orders(
    summary: ClinicalSummary, orders: list[PlannedOrder], table: ValidityTable | None = None
) -> GuardReport:
    table = table or default_table()
    repeats: list[AvoidableRepeat] = []
    for order in orders:
        test = classify_order(order, table)
        if test is None:
            continue
        for prior in _prior_matches(test, summary):
            when = _parse_date(prior.date)
            if when is None:
                continue  # an undated prior test cannot prove it is still valid
            days = (order.planned_on - when).days
            if 0 <= days <= test.window_days:
                result = _described(prior)
                repeats.append(AvoidableRepeat(
                    test=test.name, planned=order.name or order.code or test.name, prior_date=when, days_since=days,
                    window_days=test.window_days, prior_result=result, example_cost_krw=test.example_cost_krw,
                    evidence=prior.evidence,
                ))  # fmt: skip
                break
    return GuardReport(
        repeats=repeats, total_example_cost_krw=sum(r.example_cost_krw for r in repeats), cost_note=table.cost_note
    )


def _described(prior: Prior) -> str:
    if isinstance(prior, ImagingResult):
        return f"{prior.modality} {prior.finding or ''}".strip()
    if isinstance(prior, LabResult):
        return f"{prior.name} {prior.value} {prior.unit or ''}".strip()
    return prior.name


def still_valid_priors(summary: ClinicalSummary, on: date, table: ValidityTable | None = None) -> GuardReport:
    """Every prior test in the records (or from the PACS) still inside its validity window on `on`: what the
    receiving side should not order again, whatever it plans."""
    table = table or default_table()
    return check_orders(summary, [PlannedOrder(name=test.name, planned_on=on) for test in table.tests], table)
