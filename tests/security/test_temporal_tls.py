"""Mutual TLS to Temporal: with REFERRAL_TEMPORAL_TLS__* set, every process connects with its client certificate
and checks the frontend's; a caller without a certificate of the deployment's CA, or one that does not check the
server, gets nowhere. The dev server cannot terminate TLS, so a TLS front door that requires client certificates
(what Temporal's frontend does with TEMPORAL_TLS_REQUIRE_CLIENT_AUTH) stands in front of the session's server."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from temporalio.client import Client

from referral.config import Settings, TemporalTls
from referral.devserver import free_port
from referral.temporal import connect
from referral.tls_certs import make_certificates


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, ssl.SSLError):
        pass
    finally:
        writer.close()


@pytest.fixture
async def tls_frontend(client: Client, tmp_path: Path) -> AsyncIterator[tuple[str, Path]]:
    """(address, certificate folder): a TLS listener requiring a client certificate of the CA in the folder, in
    front of the session's Temporal server."""
    certs = make_certificates(tmp_path / "tls", ["localhost"], ["worker"])
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certs / "server.pem", certs / "server.key")
    context.load_verify_locations(certs / "ca.pem")
    context.verify_mode = ssl.CERT_REQUIRED
    context.set_alpn_protocols(["h2"])  # gRPC
    host, port = client.service_client.config.target_host.rsplit(":", 1)

    async def forward(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(host, int(port))
        await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))

    listen = free_port()
    server = await asyncio.start_server(forward, "127.0.0.1", listen, ssl=context)
    try:
        yield f"127.0.0.1:{listen}", certs
    finally:
        server.close()


async def test_only_a_client_with_the_deployments_certificate_reaches_temporal(
    client: Client, settings: Settings, tls_frontend: tuple[str, Path], tmp_path: Path
) -> None:
    address, certs = tls_frontend
    tls = TemporalTls(ca_path=certs / "ca.pem", cert_path=certs / "worker.pem", key_path=certs / "worker.key",
                      server_name="localhost")  # fmt: skip
    trusted = await connect(settings.with_changes(temporal_address=address, temporal_tls=tls))
    assert (await trusted.count_workflows()).count >= 0  # a real call through the TLS front door
    other = make_certificates(tmp_path / "elsewhere", ["localhost"], ["worker"])  # another CA's client certificate
    strangers = [
        None,  # no TLS at all
        tls.model_copy(update={"cert_path": other / "worker.pem", "key_path": other / "worker.key"}),
        tls.model_copy(update={"ca_path": other / "ca.pem"}),  # does not trust the frontend
    ]
    for stranger in strangers:
        with pytest.raises(RuntimeError):
            refused = await connect(settings.with_changes(temporal_address=address, temporal_tls=stranger))
            await asyncio.wait_for(refused.count_workflows(), timeout=20)


def test_certificates_are_made_once_with_private_keys_for_the_owner_only(tmp_path: Path) -> None:
    from cryptography import x509

    folder = make_certificates(tmp_path / "tls", ["temporal"], ["api"])
    ca = (folder / "ca.pem").read_bytes()
    assert make_certificates(folder, ["temporal"], ["api", "worker"]) == folder
    assert (folder / "ca.pem").read_bytes() == ca and (folder / "worker.pem").exists()  # the CA is kept
    for key in folder.glob("*.key"):
        assert key.stat().st_mode & 0o077 == 0
    server = x509.load_pem_x509_certificate((folder / "server.pem").read_bytes())
    names = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["temporal"]
    with pytest.raises(ValueError):  # a broken TLS setting is refused when settings load, not at first call
        TemporalTls(ca_path=tmp_path / "missing.pem", cert_path=folder / "api.pem", key_path=folder / "api.key")
