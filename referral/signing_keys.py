"""The network's signing keys: a certificate authority every gateway trusts, a key and certificate per
institution (it signs the messages it sends: Bundle.signature) and per reviewer (the clinician's signature on
the signed PDF, PAdES). Keys are EC P-256, files PEM, keys 0600.

Development (`referral dev`, the tests): a local CA is made on first use under data/secrets/signing and issues
what is missing when it is first needed. Production: the folder is provisioned from the network's PKI with the
CA certificate and each institution's and reviewer's key and certificate, and no CA key: nothing is issued, and
a reviewer without a provisioned key cannot sign (`NoSigningKey`). Nothing here is committed."""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from referral.tls_certs import certificate_builder, write_cert, write_key

CA_NAME = "Referral AX 진료의뢰 서명 CA (development)"


class NoSigningKey(RuntimeError):
    """No key may sign for this institution or reviewer here (not provisioned, and no CA to issue one)."""


@dataclass(frozen=True)
class Credential:
    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate
    chain: list[x509.Certificate]  # issuers up to the trust root, the root included

    def pem(self) -> tuple[bytes, bytes]:
        """(key, certificate) as PEM."""
        key = self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption())  # fmt: skip
        return key, self.certificate.public_bytes(serialization.Encoding.PEM)


def subject_org(certificate: x509.Certificate) -> str | None:
    """The institution code a signing certificate was issued to (its O attribute)."""
    names = certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    return str(names[0].value) if names else None


def _load(folder: Path, stem: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate] | None:
    key_path, cert_path = folder / f"{stem}.key", folder / f"{stem}.pem"
    if not (key_path.exists() and cert_path.exists()):
        return None
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise NoSigningKey(f"{key_path} is not an EC private key")
    return key, x509.load_pem_x509_certificate(cert_path.read_bytes())


class SigningKeys:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def trust_root(self) -> x509.Certificate:
        """The CA certificate gateways verify signatures against (made on first use in development)."""
        return self._ca()[1]

    def institution(self, org: str, name: str) -> Credential:
        """The key an institution signs its messages with."""
        attributes = [(NameOID.ORGANIZATION_NAME, org), (NameOID.COMMON_NAME, name)]
        return self._credential(self.folder / "institutions", org, attributes)

    def reviewer(self, org: str, reviewer: str, name: str, licence: str) -> Credential:
        """A clinician's key for signing documents on behalf of `org` (one per reviewer and institution)."""
        attributes = [(NameOID.ORGANIZATION_NAME, org), (NameOID.COMMON_NAME, name),
                      (NameOID.SERIAL_NUMBER, licence), (NameOID.USER_ID, reviewer)]  # fmt: skip
        stem = hashlib.sha256(reviewer.encode()).hexdigest()[:24]  # reviewer ids are e-mail addresses
        return self._credential(self.folder / "reviewers" / org, stem, attributes)

    def _ca(self) -> tuple[ec.EllipticCurvePrivateKey | None, x509.Certificate]:
        """The CA's key (None: a provisioned trust root, which issues nothing) and certificate, read once."""
        if not (self.folder / "ca.pem").exists():
            key = ec.generate_private_key(ec.SECP256R1())
            name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, CA_NAME)])
            self.folder.mkdir(parents=True, exist_ok=True)
            _atomic(self.folder, "ca", key, _issue(name, name, key, key, ca=True))
        found = _load(self.folder, "ca")
        return found or (None, x509.load_pem_x509_certificate((self.folder / "ca.pem").read_bytes()))

    def _credential(self, folder: Path, stem: str, attributes: list[tuple[x509.ObjectIdentifier, str]]) -> Credential:
        ca_key, root = self._ca()
        found = _load(folder, stem)
        if found is None:
            if ca_key is None:
                raise NoSigningKey(f"no signing key provisioned for {stem} in {folder}, and no CA to issue one")
            key = ec.generate_private_key(ec.SECP256R1())
            subject = x509.Name([x509.NameAttribute(oid, value) for oid, value in attributes])
            folder.mkdir(parents=True, exist_ok=True)
            _atomic(folder, stem, key, _issue(subject, root.subject, ca_key, key))
            found = _load(folder, stem)
            assert found is not None
        return Credential(key=found[0], certificate=found[1], chain=[root])


def _atomic(folder: Path, stem: str, key: ec.EllipticCurvePrivateKey, cert: x509.Certificate) -> None:
    """Write a key and its certificate so that a concurrent reader sees both or neither: the first writer wins."""
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        write_key(Path(tmp) / "k", key)
        write_cert(Path(tmp) / "c", cert)
        if (folder / f"{stem}.pem").exists():
            return
        os.replace(Path(tmp) / "k", folder / f"{stem}.key")
        os.replace(Path(tmp) / "c", folder / f"{stem}.pem")


def _issue(subject: x509.Name, issuer: x509.Name, issuer_key: ec.EllipticCurvePrivateKey,
           key: ec.EllipticCurvePrivateKey, *, ca: bool = False) -> x509.Certificate:  # fmt: skip
    usage = dict(digital_signature=True, content_commitment=not ca, key_cert_sign=ca, crl_sign=ca,
                 key_encipherment=False, data_encipherment=False, key_agreement=False, encipher_only=False,
                 decipher_only=False)  # fmt: skip
    return (
        certificate_builder(subject, issuer, key, ca=ca)
        .add_extension(x509.KeyUsage(**usage), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
        .sign(issuer_key, hashes.SHA256())
    )
