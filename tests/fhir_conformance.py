"""Every FHIR message bundle the tests make is checked by a validator nobody here wrote: Medplum's FHIR R4
validator (scripts/fhir-validator, installed by scripts/setup.sh from the npm registry). Bundles are collected as
`referral_message` makes them (at its own validation step), written under tests/artifacts/fhir-bundles, and
validated once at the end of the session, with the BSeR and KR Core rules read from their FSH sources
(tests/fsh_rules.py); one error fails the run, and the report names the file and the element.

To keep the folder small, a Binary's base64 beyond its first 64 KiB is cut (at a multiple of 4 characters, so it
is still base64) before it is written; the bundle is otherwise as sent."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import referral.fhir.message as message
from tests.fsh_rules import broken_rules

ROOT = Path(__file__).resolve().parents[1]
VALIDATOR = ROOT / "scripts" / "fhir-validator"
BUNDLES = ROOT / "tests" / "artifacts" / "fhir-bundles"
FSH_SOURCES = Path(os.environ.get("REFERRAL_SHARED_DATA", ROOT.parent / "shared" / "data")) / "fhir"
KEEP_BASE64 = 64 * 1024


def validator_ready() -> bool:
    return shutil.which("node") is not None and (VALIDATOR / "node_modules" / "@medplum" / "core").is_dir()


def validate_files(files: list[Path]) -> dict[str, list[dict[str, Any]]]:
    """The validator's issues per file (errors, warnings)."""
    out = subprocess.run(["node", str(VALIDATOR / "validate.mjs"), *map(str, files)], capture_output=True,
                         text=True, timeout=600, check=False)  # fmt: skip
    if out.returncode not in (0, 1):
        raise RuntimeError(f"FHIR validator failed to run: {out.stderr[-2000:]}")
    report: dict[str, list[dict[str, Any]]] = json.loads(out.stdout)
    return report


def errors_in(report: dict[str, list[dict[str, Any]]]) -> list[str]:
    return [f"{Path(file).name}: {', '.join(i.get('expression') or ['?'])}: {i.get('details', {}).get('text')}"
            for file, issues in report.items() for i in issues if i.get("severity") in ("error", "fatal")]  # fmt: skip


def _shortened(bundle: dict[str, Any]) -> dict[str, Any]:
    copy = json.loads(json.dumps(bundle))
    for entry in copy.get("entry", []):
        resource = entry.get("resource", {})
        if resource.get("resourceType") == "Binary" and len(resource.get("data", "")) > KEEP_BASE64:
            resource["data"] = resource["data"][:KEEP_BASE64]
    return copy


@pytest.fixture(scope="session", autouse=True)
def collect_fhir_bundles() -> Iterator[None]:
    """Writes each bundle `referral_message` makes (the API, the workers and the CLI all build them there), at the
    step where it validates its own bundle before returning it."""
    if BUNDLES.exists():
        shutil.rmtree(BUNDLES)
    BUNDLES.mkdir(parents=True)
    check = message.validate

    def recorded(bundle: dict[str, Any]) -> Any:
        result = check(bundle)
        text = json.dumps(_shortened(bundle), ensure_ascii=False, sort_keys=True)
        (BUNDLES / f"{hashlib.sha256(text.encode()).hexdigest()[:20]}.json").write_text(text, encoding="utf-8")
        return result

    message.validate = recorded  # type: ignore[assignment]
    try:
        yield
    finally:
        message.validate = check  # type: ignore[assignment]


def check_collected_bundles(session: pytest.Session) -> None:
    """At the end of the session: validate every collected bundle; any error fails the run."""
    files = sorted(BUNDLES.glob("*.json")) if BUNDLES.exists() else []
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    write = reporter.write_line if reporter else print
    if not files:
        return
    if not validator_ready():
        write(f"FHIR conformance: {len(files)} bundles NOT validated: run scripts/setup.sh (npm ci in {VALIDATOR})")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        return
    errors = errors_in(validate_files(files))
    write(f"FHIR conformance (Medplum R4 validator): {len(files)} bundles, {len(errors)} errors")
    checked = 0
    for file in files:
        count, broken = broken_rules(FSH_SOURCES, json.loads(file.read_text(encoding="utf-8")))
        checked += count
        errors += [f"{file.name}: {rule}" for rule in broken]
    write(f"BSeR / KR Core rules read from their FSH sources: {checked} checked, {len(errors)} errors in all")
    for line in errors[:50]:
        write(f"  {line}")
    if errors:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
