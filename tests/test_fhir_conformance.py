"""The independent FHIR R4 validator (Medplum's, from the npm registry) on a bundle made with no server, and on
the same bundle broken in the ways it must catch. Every bundle the other tests make is validated at the end of the
session (tests/fhir_conformance.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fhir_conformance import FSH_SOURCES, errors_in, validate_files, validator_ready
from tests.fsh_rules import broken_rules

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(not validator_ready(), reason="FHIR validator not installed: run scripts/setup.sh")


@pytest.fixture(scope="module")
def example_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bundle") / "example.json"
    subprocess.run([sys.executable, "-m", "referral.cli", "bundle", "--example", "--out", str(out)], cwd=ROOT,
                   check=True, capture_output=True, timeout=300)  # fmt: skip
    return out


def test_the_example_referral_bundle_has_no_error(example_bundle: Path) -> None:
    assert errors_in(validate_files([example_bundle])) == []


def test_the_validator_names_each_broken_element(example_bundle: Path, tmp_path: Path) -> None:
    bundle = json.loads(example_bundle.read_text())
    kinds = {e["resource"]["resourceType"]: e["resource"] for e in bundle["entry"]}
    kinds["Task"].pop("status")
    kinds["Binary"]["data"] = "not base64!"
    kinds["ServiceRequest"]["subject"] = [kinds["ServiceRequest"]["subject"]]  # a list where one is allowed
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(bundle))
    errors = "\n".join(errors_in(validate_files([broken])))
    assert "resource.status: Missing required property" in errors
    assert "resource.data: Invalid base64Binary format" in errors
    assert "resource.subject" in errors


def test_the_bser_and_kr_core_rules_read_from_the_fsh_sources_hold_and_a_broken_one_is_named(
    example_bundle: Path,
) -> None:
    bundle = json.loads(example_bundle.read_text())
    checked, broken = broken_rules(FSH_SOURCES, bundle)
    assert checked >= 20 and broken == []
    kinds = {e["resource"]["resourceType"]: e["resource"] for e in bundle["entry"]}
    kinds["Task"]["code"] = {"coding": [{"system": "http://hl7.org/fhir/CodeSystem/task-code", "code": "approve"}]}
    kinds["Task"]["statusReason"] = {"coding": [{"code": "x"}]}  # a reason without its text
    kinds["ServiceRequest"].pop("requester")
    kinds["Patient"].pop("birthDate")
    _, broken = broken_rules(FSH_SOURCES, bundle)
    assert sorted(rule.split(": ", 1)[1] for rule in broken) == [
        "BSeR-ReferralServiceRequest: requester 1..",
        "BSeR-ReferralTask: code = http://hl7.org/fhir/CodeSystem/task-code#fulfill",
        "BSeR-ReferralTask: statusReason.text 1..",
        "krcore-patient: birthDate 1..",
    ]
