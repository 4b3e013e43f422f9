"""Real signatures: the network's keys (a development CA, or provisioned files without one), PAdES on the signed
PDFs and the JWS in Bundle.signature — each verified, and each kind of tampering refused."""

from __future__ import annotations

import base64
import copy
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from referral.fhir.signature import BundleSignatureInvalid, check_signatures, sign_bundle, verify_bundle
from referral.pades import PdfSigner, SignatureInvalid, sign_pdf, verify_pdf
from referral.pdf import text_pdf
from referral.signing_keys import NoSigningKey, SigningKeys

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def keys(tmp_path: Path) -> SigningKeys:
    return SigningKeys(tmp_path / "signing")


def letter_pdf() -> bytes:
    return text_pdf(["진료의뢰서", "Creatinine 2.1 mg/dL", "서명 (signed): 김의사"], title="진료의뢰서")


def test_a_development_ca_issues_each_key_once_and_keeps_it(keys: SigningKeys) -> None:
    first = keys.reviewer("knuh", "dr.park@knuh.example", "박의사", "100002")
    again = SigningKeys(keys.folder).reviewer("knuh", "dr.park@knuh.example", "박의사", "100002")
    assert first.certificate == again.certificate  # a second process reads it, issues nothing new
    other = keys.reviewer("yeongwol-mc", "dr.park@knuh.example", "박의사", "100002")
    assert other.certificate != first.certificate  # per institution: one signs for knuh only
    key_files = list((keys.folder / "reviewers").rglob("*.key"))
    assert len(key_files) == 2 and all(f.stat().st_mode & 0o077 == 0 for f in key_files)


def test_provisioned_keys_without_a_ca_issue_nothing(keys: SigningKeys, tmp_path: Path) -> None:
    """Production: the CA certificate and the provisioned keys, no CA key. An unprovisioned reviewer cannot sign."""
    provisioned = keys.institution("knuh", "강원대학교병원")
    production = tmp_path / "production"
    shutil.copytree(keys.folder, production, ignore=shutil.ignore_patterns("ca.key"))
    deployed = SigningKeys(production)
    assert deployed.institution("knuh", "강원대학교병원").certificate == provisioned.certificate
    with pytest.raises(NoSigningKey, match="no CA to issue"):
        deployed.reviewer("knuh", "dr.new@knuh.example", "신규의사", "100009")
    assert not (production / "reviewers").exists()


def test_a_signed_pdf_names_its_signer_and_refuses_every_change(keys: SigningKeys, tmp_path: Path) -> None:
    signed = sign_pdf(letter_pdf(), keys.reviewer("knuh", "dr.park@knuh.example", "박의사", "100002"), "approved",
                      "knuh")  # fmt: skip
    assert verify_pdf(signed, keys.trust_root()) == PdfSigner("박의사", "knuh", "100002")
    changed = {
        "unsigned": letter_pdf(),
        "a byte changed inside the signed range": signed.replace(b"/Title", b"/Titlf", 1),
        "content appended after signing": signed + b"\n1 0 obj\n<< >>\nendobj\n",
        "not a PDF": b"\x89PNG\r\n",
    }
    for what, data in changed.items():
        with pytest.raises(SignatureInvalid):
            verify_pdf(data, keys.trust_root())
        assert what  # every case refused
    with pytest.raises(SignatureInvalid, match="trusts"):
        verify_pdf(signed, SigningKeys(tmp_path / "another-network").trust_root())


def message(keys: SigningKeys, org: str = "yeongwol-mc", letter: bytes | None = None) -> dict:  # type: ignore[type-arg]
    entries: list[dict] = [{"resource": {"resourceType": "MessageHeader", "id": "m1",  # type: ignore[type-arg]
                                         "sender": {"reference": f"Organization/{org}"}}}]  # fmt: skip
    if letter is not None:
        entries += [
            {"resource": {"resourceType": "Binary", "id": "b1", "contentType": "application/pdf",
                          "data": base64.b64encode(letter).decode()}},
            {"resource": {"resourceType": "DocumentReference", "id": "d1", "type": {"text": "referral_letter"},
                          "content": [{"attachment": {"url": "https://gw.example/fhir/Binary/b1"}}]}},
        ]  # fmt: skip
    bundle = {"resourceType": "Bundle", "id": "msg-1", "type": "message", "entry": entries}
    sign_bundle(bundle, keys.institution(org, org), {"reference": f"Organization/{org}"}, NOW)
    return bundle


def test_bundle_signature_is_a_detached_jws_by_the_sending_institution(keys: SigningKeys) -> None:
    bundle = message(keys)
    signature = bundle["signature"]
    assert signature["sigFormat"] == "application/jose" and signature["type"][0]["code"] == "1.2.840.10065.1.12.1.14"
    header, payload, _ = base64.b64decode(signature["data"]).decode().split(".")
    assert payload == ""  # detached: the Bundle itself is the payload
    assert verify_bundle(bundle, keys.trust_root()) == "yeongwol-mc"
    changed = copy.deepcopy(bundle)
    changed["entry"][0]["resource"]["sender"]["reference"] = "Organization/knuh"
    with pytest.raises(BundleSignatureInvalid, match="changed after it was signed"):
        verify_bundle(changed, keys.trust_root())
    forged = copy.deepcopy(bundle)
    forged["signature"]["data"] = base64.b64encode(f"{header}..AAAA".encode()).decode()
    with pytest.raises(BundleSignatureInvalid):
        verify_bundle(forged, keys.trust_root())
    unsigned = {k: v for k, v in bundle.items() if k != "signature"}
    with pytest.raises(BundleSignatureInvalid, match="no signature"):
        verify_bundle(unsigned, keys.trust_root())


def test_a_gateway_takes_only_documents_signed_by_a_clinician_of_the_sender(keys: SigningKeys) -> None:
    ours = sign_pdf(letter_pdf(), keys.reviewer("yeongwol-mc", "dr.kim@yw.example", "김의사", "100001"), "ok", "yw")
    theirs = sign_pdf(letter_pdf(), keys.reviewer("knuh", "dr.park@knuh.example", "박의사", "100002"), "ok", "knuh")
    check_signatures(message(keys, letter=ours), "yeongwol-mc", keys.trust_root())
    with pytest.raises(BundleSignatureInvalid, match="not signed by a clinician of yeongwol-mc"):
        check_signatures(message(keys, letter=theirs), "yeongwol-mc", keys.trust_root())
    with pytest.raises(BundleSignatureInvalid, match="carries no signature"):
        check_signatures(message(keys, letter=letter_pdf()), "yeongwol-mc", keys.trust_root())
    with pytest.raises(BundleSignatureInvalid, match="signed by yeongwol-mc, not by the sending"):
        check_signatures(message(keys, letter=ours), "knuh", keys.trust_root())
