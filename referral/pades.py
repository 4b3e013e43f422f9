"""PAdES signatures on the signed PDFs (pyHanko): the reviewer's key signs the document as the clinician approved
it (PAdES B-B, SHA-256, the certificate embedded), and a receiver verifies integrity and the certificate's chain
to the network's trust root. Knows nothing of Temporal."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from referral.signing_keys import Credential

FIELD = "ReferralAXSignature"
T = TypeVar("T")


def _blocking(work: Callable[[], Awaitable[T]]) -> T:
    """pyHanko's async API, callable from plain code and from inside an event loop (a request handler, a test)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(work())  # type: ignore[arg-type]
    with ThreadPoolExecutor(1) as pool:  # this thread runs a loop: run pyHanko's on another
        return pool.submit(lambda: asyncio.run(work())).result()  # type: ignore[arg-type]


class SignatureInvalid(ValueError):
    """A signature that is absent, broken, or not from a certificate the network trusts; says which."""


@dataclass(frozen=True)
class PdfSigner:
    common_name: str
    organisation: str | None
    licence: str | None


def _asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def sign_pdf(pdf: bytes, credential: Credential, reason: str, location: str) -> bytes:
    """The PDF with the reviewer's PAdES signature added as an incremental update (the pages are unchanged)."""
    der_key = credential.key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption())  # fmt: skip
    signer = signers.SimpleSigner(
        signing_cert=_asn1(credential.certificate),
        signing_key=asn1_keys.PrivateKeyInfo.load(der_key),
        cert_registry=SimpleCertificateStore.from_certs([_asn1(c) for c in credential.chain]),
    )
    meta = signers.PdfSignatureMetadata(field_name=FIELD, reason=reason, location=location,
                                        subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256")  # fmt: skip
    out = io.BytesIO()
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    _blocking(lambda: signers.PdfSigner(meta, signer=signer).async_sign_pdf(writer, output=out))
    return out.getvalue()


def verify_pdf(pdf: bytes, trust_root: x509.Certificate) -> PdfSigner:
    """The signer of a signed PDF, if its one signature is intact, covers the whole file, and chains to
    `trust_root`; else SignatureInvalid."""
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        signatures = reader.embedded_signatures
    except Exception as err:  # a file pyHanko cannot parse is no signed PDF
        raise SignatureInvalid(f"not a readable PDF ({type(err).__name__})") from None
    if not signatures:
        raise SignatureInvalid("the PDF carries no signature")
    if len(signatures) != 1:
        raise SignatureInvalid(f"the PDF carries {len(signatures)} signatures, one expected")
    context = ValidationContext(trust_roots=[_asn1(trust_root)], allow_fetching=False)
    try:
        status = _blocking(lambda: async_validate_pdf_signature(signatures[0], context))
    except Exception as err:
        raise SignatureInvalid(f"the PDF signature cannot be validated ({type(err).__name__})") from None
    if not status.intact or not status.valid:
        raise SignatureInvalid("the PDF was changed after it was signed, or its signature is broken")
    if not status.trusted:
        raise SignatureInvalid("the PDF was not signed with a certificate the network trusts")
    if status.modification_level is None or status.coverage is None or status.coverage.name != "ENTIRE_FILE":
        raise SignatureInvalid("content was added to the PDF after it was signed")
    subject = status.signing_cert.subject.native
    return PdfSigner(subject.get("common_name", ""), subject.get("organization_name"), subject.get("serial_number"))
