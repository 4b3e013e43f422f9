"""Bundle.signature for the FHIR messages institutions exchange: a detached JWS (RFC 7515 appendix F; FHIR R4
Signature with sigFormat application/jose) by the sending institution's key, over the Bundle's canonical JSON
without its `signature` (keys sorted, no insignificant whitespace, UTF-8), its certificate in the `x5c` header.
The receiving gateway checks the signature, that the certificate chains to the network's trust root, and that
it was issued to the institution that sent the message."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwcrypto import jwk, jws

from referral.fhir.message import OUTSIDE_RECORD
from referral.pades import SignatureInvalid, verify_pdf
from referral.signing_keys import Credential, subject_org

# ASTM E1762-95 signature types (the value set FHIR R4 binds Signature.type to): the message's source signs
SOURCE_SIGNATURE = {"system": "urn:iso-astm:E1762-95:2013", "code": "1.2.840.10065.1.12.1.14",
                    "display": "Source Signature"}  # fmt: skip


class BundleSignatureInvalid(ValueError):
    """The message's signature is absent, broken, or not by the institution that sent it; says which."""


def canonical(bundle: dict[str, Any]) -> bytes:
    unsigned = {key: value for key, value in bundle.items() if key != "signature"}
    return json.dumps(unsigned, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def sign_bundle(bundle: dict[str, Any], credential: Credential, who: dict[str, str], when: datetime) -> None:
    """Add Bundle.signature (in place): `who` is the reference to the sender (its Organization or role)."""
    key = jwk.JWK.from_pem(credential.pem()[0])
    x5c = [base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode()
           for c in [credential.certificate, *credential.chain]]  # fmt: skip
    token = jws.JWS(canonical(bundle))
    token.add_signature(key, alg="ES256", protected=json.dumps({"alg": "ES256", "x5c": x5c}))
    token.detach_payload()
    compact = token.serialize(compact=True)
    data = base64.b64encode(compact.encode()).decode()
    bundle["signature"] = {"type": [SOURCE_SIGNATURE], "when": when.isoformat(), "who": who,
                           "sigFormat": "application/jose", "data": data}  # fmt: skip


def verify_bundle(bundle: dict[str, Any], trust_root: x509.Certificate) -> str:
    """The institution code the message's signature belongs to, if it is intact and chains to `trust_root`."""
    signature = bundle.get("signature")
    if not isinstance(signature, dict) or not signature.get("data"):
        raise BundleSignatureInvalid("the message carries no signature (Bundle.signature)")
    if signature.get("sigFormat") != "application/jose":
        raise BundleSignatureInvalid("Bundle.signature is not a JWS (sigFormat application/jose)")
    try:
        compact = base64.b64decode(signature["data"], validate=True).decode("ascii")
        token = jws.JWS()
        token.deserialize(compact)
        header = token.jose_header
        certificate = x509.load_der_x509_certificate(base64.b64decode(header["x5c"][0]))
    except Exception as err:  # noqa: BLE001 - any malformation is the same answer to the sender
        raise BundleSignatureInvalid(f"Bundle.signature is not a readable JWS ({type(err).__name__})") from None
    if header.get("alg") != "ES256":
        raise BundleSignatureInvalid("Bundle.signature must use ES256")
    try:
        certificate.verify_directly_issued_by(trust_root)
    except (ValueError, TypeError, InvalidSignature):
        raise BundleSignatureInvalid("the message was not signed with a certificate the network trusts") from None
    now = datetime.now(certificate.not_valid_after_utc.tzinfo)
    if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
        raise BundleSignatureInvalid("the message's signing certificate is not valid now")
    public = certificate.public_key()
    if not isinstance(public, ec.EllipticCurvePublicKey):
        raise BundleSignatureInvalid("the message's signing certificate holds no EC key")
    pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    key = jwk.JWK.from_pem(pem)
    try:
        token.verify(key, alg="ES256", detached_payload=canonical(bundle))
    except Exception:  # noqa: BLE001 - jwcrypto raises InvalidJWSSignature for every mismatch
        raise BundleSignatureInvalid("the message was changed after it was signed") from None
    org = subject_org(certificate)
    if org is None:
        raise BundleSignatureInvalid("the message's signing certificate names no institution")
    return org


def _binary(bundle: dict[str, Any], url: str) -> dict[str, Any] | None:
    ident = url.rsplit("/", 1)[-1]
    for entry in bundle.get("entry", []):
        resource = entry.get("resource", {})
        if resource.get("resourceType") == "Binary" and resource.get("id") == ident:
            return dict(resource)
    return None


def check_signatures(bundle: dict[str, Any], sender: str, trust_root: x509.Certificate) -> None:
    """What a gateway accepts: a message signed by the institution that sent it, and every clinical document in it
    (any DocumentReference but the outside records it forwards as they came) a PDF signed by a clinician of that
    institution, unchanged since. BundleSignatureInvalid says what is wrong."""
    signed_by = verify_bundle(bundle, trust_root)
    if signed_by != sender:
        raise BundleSignatureInvalid(f"the message is signed by {signed_by}, not by the sending institution")
    for entry in bundle.get("entry", []):
        document = entry.get("resource", {})
        if document.get("resourceType") != "DocumentReference":
            continue
        kind = str(document.get("type", {}).get("text", ""))
        if kind == OUTSIDE_RECORD:  # forwarded as they came: nobody here signed them
            continue
        for content in document.get("content", []):
            attachment = content.get("attachment", {})
            binary = _binary(bundle, str(attachment.get("url", "")))
            if binary is None or binary.get("contentType") != "application/pdf":
                raise BundleSignatureInvalid(f"the clinical document {kind} is not a signed PDF in the message")
            try:
                signer = verify_pdf(base64.b64decode(binary.get("data", ""), validate=True), trust_root)
            except (SignatureInvalid, ValueError) as err:
                raise BundleSignatureInvalid(f"the clinical document {kind}: {err}") from None
            if signer.organisation != sender:
                raise BundleSignatureInvalid(f"the clinical document {kind} is not signed by a clinician of {sender}")
