"""The review plan of the network file: which drafts each side makes at which point, and which department signs
a kind. The defaults are the pilot's two halves; a deployment's file may change them, and a wrong one is refused
when it is loaded."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from referral.models import Side
from referral.network import load_network, write_network
from referral.review_plan import ROUND_SIDE, DraftKind, PlannedOperation, ReviewRoundName, in_department
from referral.summary.drafts import INTAKE_DRAFTS, render
from referral.summary.extractor import extract
from referral.summary.source import text_page
from tests.test_summary import _referral


def test_by_default_each_side_signs_only_its_own_documents() -> None:
    plan = load_network().review_plan
    referring = [k for name, r in plan.rounds.items() if ROUND_SIDE[name] == Side.REFERRING for k in r.drafts]
    assert referring == [DraftKind.REFERRAL_LETTER]  # the referring physician signs nothing of the receiving side's
    assert plan.round(ReviewRoundName.RECEIPT).drafts == [DraftKind.OUTSIDE_RECORD_SUMMARY]
    assert plan.round(ReviewRoundName.OPERATION).drafts == [DraftKind.PRE_ANESTHESIA]
    assert plan.round(ReviewRoundName.REFERRAL).with_pathology == []  # pathology is reviewed by the receiving side
    assert in_department("마취통증의학과", plan.departments(DraftKind.PRE_ANESTHESIA))
    assert not in_department("외과", plan.departments(DraftKind.PRE_ANESTHESIA))
    assert in_department(" pathology ", plan.departments("pathology_review"))
    assert plan.departments(DraftKind.RETURN_LETTER) == []  # any clinician of the side's roster
    assert set(INTAKE_DRAFTS) <= {k for r in plan.rounds.values() for k in r.drafts}


def test_a_deployment_changes_the_plan_in_its_network_file_and_a_wrong_plan_is_refused(tmp_path: Path) -> None:
    target = write_network(tmp_path / "network.yaml", {})
    raw = yaml.safe_load(target.read_text(encoding="utf-8"))
    raw["review_plan"]["rounds"]["receipt"] = {"drafts": []}  # this hospital makes no summary at receipt
    raw["review_plan"]["signing_departments"]["return_letter"] = ["내과"]
    target.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    plan = load_network(target).review_plan
    assert plan.round(ReviewRoundName.RECEIPT).drafts == [] and plan.departments("return_letter") == ["내과"]
    for wrong in ({"rounds": {"admission": {"drafts": ["referral_letter"]}}},
                  {"rounds": {"receipt": {"drafts": ["consent_form"]}}},
                  {"signing_departments": {"referral_letter": "내과"}}):  # fmt: skip
        raw["review_plan"] = wrong
        target.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
        with pytest.raises(ValidationError):
            load_network(target)


def test_the_pre_anesthesia_draft_names_the_planned_operation_and_only_that_draft_does() -> None:
    summary = extract([text_page("r", "[진단]\n고혈압 (I10)\n[투약]\nAmlodipine 5 mg qd\n")])
    operation = PlannedOperation(org="knuh", actor="dr-lee", procedure="복강경 담낭절제술",
                                 planned_on=date(2026, 12, 10), department="외과")  # fmt: skip
    draft = render(DraftKind.PRE_ANESTHESIA, _referral(), summary, load_network(), operation=operation)
    assert "예정 수술: 2026-12-10 복강경 담낭절제술 외과" in draft.text
    letter = render(DraftKind.REFERRAL_LETTER, _referral(), summary, load_network(), operation=operation)
    assert "복강경" not in letter.text
    assert "정보 제공 동의: 환자 본인 동의, 2026-11-28T10:00+00:00, 진료협력센터 김협력" in letter.text
    with pytest.raises(ValidationError):
        PlannedOperation(org="knuh", actor="dr-lee", procedure="", planned_on=date(2026, 12, 10))
