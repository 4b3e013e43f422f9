"""Certificates for mutual TLS between the Referral AX processes and the Temporal frontend: a private CA, a
server certificate for the frontend (its DNS names), and client certificates for the workers, the API and the
operators' tools. Only a holder of a client certificate this CA signed may talk to Temporal at all.

`python -m referral.tls_certs DIR [--server-name temporal] [--client api --client worker …]` writes, once:
ca.pem (+ ca.key, keep it offline), server.pem/server.key, and <client>.pem/<client>.key, keys 0600. A hospital
with its own PKI issues these from it instead; nothing here is committed."""

from __future__ import annotations

import argparse
import datetime as dt
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

VALID_DAYS = 825  # the CA/Browser Forum's former ceiling for leaf certificates; renew before


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Referral AX"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])  # fmt: skip


def write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    data = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())  # fmt: skip
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def write_cert(path: Path, cert: x509.Certificate) -> None:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def certificate_builder(subject: x509.Name, issuer: x509.Name, key: ec.EllipticCurvePrivateKey, *,
                        ca: bool = False) -> x509.CertificateBuilder:  # fmt: skip
    """What every certificate here has: validity from now (10 years for a CA), a random serial, basic constraints."""
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=3650 if ca else VALID_DAYS))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca else None), critical=True)
    )


def _issue(subject: str, issuer: x509.Name, issuer_key: ec.EllipticCurvePrivateKey, key: ec.EllipticCurvePrivateKey,
           *, ca: bool = False, server_names: list[str] | None = None) -> x509.Certificate:  # fmt: skip
    builder = certificate_builder(_name(subject), issuer, key, ca=ca)
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                          key_encipherment=False, data_encipherment=False, key_agreement=False,
                          encipher_only=False, decipher_only=False), critical=True)  # fmt: skip
    elif server_names:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(n) for n in server_names]), critical=False
        ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    else:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def make_certificates(folder: Path, server_names: list[str], clients: list[str]) -> Path:
    """A CA, a server certificate for `server_names` and one client certificate per name, in `folder`. Once:
    an existing CA is kept, and only what is missing is issued from it."""
    folder.mkdir(parents=True, exist_ok=True)
    ca_cert_path, ca_key_path = folder / "ca.pem", folder / "ca.key"
    if ca_cert_path.exists():
        ca_cert = x509.load_pem_x509_certificate(ca_cert_path.read_bytes())
        loaded = serialization.load_pem_private_key(ca_key_path.read_bytes(), password=None)
        assert isinstance(loaded, ec.EllipticCurvePrivateKey)
        ca_key = loaded
    else:
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_cert = _issue("Referral AX Temporal CA", _name("Referral AX Temporal CA"), ca_key, ca_key, ca=True)
        write_key(ca_key_path, ca_key)
        write_cert(ca_cert_path, ca_cert)
    wanted = [("server", server_names)] + [(client, None) for client in clients]
    for name, names in wanted:
        if (folder / f"{name}.pem").exists():
            continue
        key = ec.generate_private_key(ec.SECP256R1())
        cert = _issue(names[0] if names else name, ca_cert.subject, ca_key, key, server_names=names)
        write_key(folder / f"{name}.key", key)
        write_cert(folder / f"{name}.pem", cert)
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--server-name", action="append", default=None, help="the frontend's DNS name(s)")
    parser.add_argument("--client", action="append", default=None, help="client certificate name(s)")
    args = parser.parse_args(argv)
    folder = make_certificates(args.folder, args.server_name or ["temporal", "localhost"],
                               args.client or ["app", "ui", "operator"])  # fmt: skip
    print(f"certificates in {folder}: ca.pem, server.pem, and one .pem/.key per client (keys 0600)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
