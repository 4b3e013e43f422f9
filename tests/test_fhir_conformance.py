"""The independent FHIR R4 validator (Medplum's, from the npm registry) on a bundle made with no server, and on
the same bundle broken in the ways it must catch. Every bundle the other tests make is validated at the end of the
session (tests/fhir_conformance.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fhir_conformance import errors_in, validate_files, validator_ready

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
