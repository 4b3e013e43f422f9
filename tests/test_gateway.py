"""Two hospital gateways on loopback: a referral message delivered exactly once across an outage, repeated
POSTs acknowledged idempotently, and bad messages or credentials refused with nothing stored."""

from __future__ import annotations

import asyncio
import base64
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI, Request

from referral.delivery import DeliveryRejected, deliver
from referral.devserver import free_port
from referral.fhir.message import OUTSIDE_RECORD, Attachment, referral_message
from referral.fhir.signature import sign_bundle
from referral.gateway import MessageIndex, create_gateway
from referral.models import DocumentRef, Referral
from referral.network import Network
from referral.pades import sign_pdf
from referral.pdf import text_pdf
from referral.signing_keys import SigningKeys
from referral.states import ReferralState
from referral.storage.local import LocalFolderStore
from tests.helpers import make_request
from tests.review_fixtures import ApiServer

TOKENS = {
    "yeongwol-mc": secrets.token_urlsafe(24),
    "knuh": secrets.token_urlsafe(24),
    "gangneung-mc": secrets.token_urlsafe(24),
}


@dataclass
class Hospital:
    code: str
    url: str
    server: ApiServer
    index: MessageIndex
    store: LocalFolderStore


@pytest.fixture
def keys(tmp_path: Path) -> SigningKeys:
    """The network's signing keys: a CA the gateways trust, institution and reviewer keys issued on first use."""
    return SigningKeys(tmp_path / "signing")


@pytest.fixture
async def hospitals(tmp_path: Path, keys: SigningKeys) -> AsyncIterator[dict[str, Hospital]]:
    running = {}
    for code in TOKENS:
        store = LocalFolderStore(tmp_path / code / "store")
        index = MessageIndex(tmp_path / code / "messages.sqlite")
        port = free_port()
        server = ApiServer(create_gateway(code, TOKENS, store, index, keys.trust_root()), port)
        await server.start()
        running[code] = Hospital(code, f"http://127.0.0.1:{port}", server, index, store)
    yield running
    for hospital in running.values():
        if hospital.server.server.started:
            await hospital.server.stop()


def message(
    network: Network,
    keys: SigningKeys,
    referring: str = "yeongwol-mc",
    message_id: str | None = None,
    documents: tuple[Attachment, ...] = (),
    signer: str | None = None,
) -> dict:  # type: ignore[type-arg]
    """A referral message as the delivery activity sends it: signed by `signer` (default: the sender)."""
    document = DocumentRef(key="sha256/00/" + "0" * 64, sha256="0" * 64, media_type="image/png", page_count=1,
                           size_bytes=1, filename="scan.png")  # fmt: skip
    referral = Referral(**make_request(referring=referring).model_dump(), referral_id="ref-gateway-test",
                        documents=[document], submitted_at=datetime.now(UTC), fingerprint="0" * 64)  # fmt: skip
    scan = Attachment("외부 진료기록", OUTSIDE_RECORD, "image/png", b"\x89PNG scan bytes")
    bundle = referral_message(referral, network, ReferralState.DRAFT, datetime.now(UTC),
                              attachments=[scan, *documents])  # fmt: skip
    if message_id:
        bundle["id"] = message_id
    signer = signer or referring
    sign_bundle(bundle, keys.institution(signer, signer), bundle["entry"][0]["resource"]["sender"], datetime.now(UTC))
    return bundle


def signed_letter(keys: SigningKeys, org: str = "yeongwol-mc") -> bytes:
    """A signed referral letter PDF as the review stage makes it: signed by a clinician of `org`."""
    credential = keys.reviewer(org, f"dr.kim@{org}.example", "김의사", "12345")
    return sign_pdf(text_pdf(["진료의뢰서", "혈압 132/84"], title="진료의뢰서"), credential, "approved", org)


async def test_delivered_exactly_once_across_an_outage(
    hospitals: dict[str, Hospital], network: Network, keys: SigningKeys
) -> None:
    knuh = hospitals["knuh"]
    bundle = message(network, keys)
    await knuh.server.stop()  # the receiving hospital's gateway is down
    for _ in range(3):  # what the delivery activity's retries do while it is down
        with pytest.raises(httpx.TransportError):
            await asyncio.to_thread(deliver, bundle, knuh.url, TOKENS["yeongwol-mc"], 2)
    await knuh.server.start()
    first = await asyncio.to_thread(deliver, bundle, knuh.url, TOKENS["yeongwol-mc"])
    again = await asyncio.to_thread(deliver, bundle, knuh.url, TOKENS["yeongwol-mc"])  # a retry after a lost ack
    assert (first.duplicate, again.duplicate) == (False, True)
    assert first.message_id == again.message_id == bundle["id"] and first.stored_key == again.stored_key
    assert knuh.index.count() == 1
    assert knuh.store.get(first.stored_key)  # the stored bytes verify against their hash


@pytest.mark.parametrize(
    ("case", "status"),
    [("wrong-token", 401), ("sent-as-another-institution", 403), ("wrong-destination", 422), ("malformed", 400),
     ("not-json", 400), ("token-without-bearer", 401), ("sender-role-of-another-institution", 403),
     ("unsigned", 422), ("changed-after-signing", 422), ("signed-by-another-institution", 422),
     ("signed-under-another-ca", 422), ("broken-jws", 422), ("letter-unsigned", 422), ("letter-changed", 422),
     ("letter-signed-by-another-institution", 422), ("letter-not-a-pdf", 422)],
)  # fmt: skip
async def test_bad_messages_are_refused_and_nothing_is_stored(
    hospitals: dict[str, Hospital], network: Network, keys: SigningKeys, case: str, status: int, tmp_path: Path
) -> None:
    knuh, yeongwol = hospitals["knuh"], hospitals["yeongwol-mc"]
    bundle, target, token = message(network, keys), knuh, TOKENS["yeongwol-mc"]
    letter = signed_letter(keys)
    kinds = {"letter-unsigned": text_pdf(["진료의뢰서"], title="진료의뢰서"),
             "letter-changed": letter.replace(b"/Title", b"/Titlf", 1),
             "letter-signed-by-another-institution": signed_letter(keys, "knuh"),
             "letter-not-a-pdf": b"\x89PNG not a signed document"}  # fmt: skip
    if case in kinds:
        media = "image/png" if case == "letter-not-a-pdf" else "application/pdf"
        bundle = message(network, keys, documents=(Attachment("진료의뢰서", "referral_letter", media, kinds[case]),))
    if case == "unsigned":
        del bundle["signature"]
    elif case == "changed-after-signing":
        bundle["entry"][1]["resource"]["birthDate"] = "1950-01-01"  # a valid message, not the one signed
    elif case == "signed-by-another-institution":
        bundle = message(network, keys, signer="knuh")
    elif case == "signed-under-another-ca":
        bundle = message(network, SigningKeys(tmp_path / "another-ca"))
    elif case == "broken-jws":
        bundle["signature"]["data"] = base64.b64encode(b"eyJhbGciOiJub25lIn0..").decode()
    elif case == "wrong-token":
        token = "not-a-token"
    elif case == "sent-as-another-institution":
        token = TOKENS["knuh"]  # knuh's credentials on yeongwol's message
    elif case == "wrong-destination":
        target, token = yeongwol, TOKENS["knuh"]
        bundle["entry"][0]["resource"]["sender"]["reference"] = "Organization/knuh"
    elif case == "sender-role-of-another-institution":  # BSeR's initiator role, claiming another institution
        header = bundle["entry"][0]["resource"]
        [role] = [e["resource"] for e in bundle["entry"] if e["fullUrl"].endswith(header["sender"]["reference"])]
        role["organization"] = {"reference": "Organization/knuh"}
    elif case == "malformed":
        bundle["entry"][1]["resource"]["birthDate"] = "not a date"
    if case == "token-without-bearer":  # the right token, but not as `Bearer <token>`
        async with httpx.AsyncClient() as http:
            response = await http.post(f"{target.url}/fhir/$process-message", json=bundle,
                                       headers={"Authorization": token})  # fmt: skip
        assert response.status_code == status
    elif case == "not-json":
        async with httpx.AsyncClient() as http:
            response = await http.post(f"{target.url}/fhir/$process-message", content=b"<xml/>",
                                       headers={"Authorization": f"Bearer {token}"})  # fmt: skip
        assert response.status_code == status
    else:
        with pytest.raises(DeliveryRejected) as refused:
            await asyncio.to_thread(deliver, bundle, target.url, token)
        assert refused.value.status == status
        if status == 422 and case != "wrong-destination":
            assert "signature refused" in str(refused.value)
    assert target.index.count() == 0 and not any(target.store.root.rglob("*.meta.json"))


async def test_gateways_process_serves_each_institution_on_its_port(tmp_path: Path) -> None:
    """`python -m referral.gateways`, as `referral dev` runs it: each institution's gateway on its own port."""
    import os
    import sys

    import yaml

    ports = {"knuh": free_port(), "yeongwol-mc": free_port()}
    raw = {"regions": [{"code": "gangwon", "name": "강원", "institutions": [
        {"code": code, "name": code, "tier": "secondary", "gateway_url": f"http://127.0.0.1:{port}"}
        for code, port in ports.items()]}]}  # fmt: skip
    (tmp_path / "network.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True))
    (tmp_path / "tokens.yaml").write_text(yaml.safe_dump(TOKENS))
    env = {**os.environ, "REFERRAL_NETWORK_FILE": str(tmp_path / "network.yaml"), "REFERRAL_DATA_DIR": str(tmp_path),
           "REFERRAL_API_TOKENS_FILE": str(tmp_path / "tokens.yaml")}  # fmt: skip
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "referral.gateways", env=env)
    try:
        async with httpx.AsyncClient() as http:
            for code, port in ports.items():
                for _ in range(100):
                    try:
                        health = (await http.get(f"http://127.0.0.1:{port}/health")).json()
                        break
                    except httpx.TransportError:
                        await asyncio.sleep(0.1)
                assert health == {"status": "UP", "institution": code}
    finally:
        process.terminate()
        await process.wait()


async def test_a_message_with_a_signed_letter_is_accepted(
    hospitals: dict[str, Hospital], network: Network, keys: SigningKeys
) -> None:
    """The valid case beside the refusals: the message signed by its sender, the letter by its clinician."""
    knuh = hospitals["knuh"]
    letter = Attachment("진료의뢰서", "referral_letter", "application/pdf", signed_letter(keys))
    receipt = await asyncio.to_thread(deliver, message(network, keys, documents=(letter,)), knuh.url,
                                      TOKENS["yeongwol-mc"])  # fmt: skip
    assert not receipt.duplicate and knuh.index.count() == 1


async def test_message_ids_are_per_sender(hospitals: dict[str, Hospital], network: Network, keys: SigningKeys) -> None:
    """Another hospital sending a message with the same id (by chance or to pre-empt it) neither replaces nor
    blocks the first sender's message: each is stored, once."""
    knuh = hospitals["knuh"]
    first = message(network, keys)
    other = message(network, keys, referring="gangneung-mc", message_id=first["id"])
    mine = await asyncio.to_thread(deliver, first, knuh.url, TOKENS["yeongwol-mc"])
    theirs = await asyncio.to_thread(deliver, other, knuh.url, TOKENS["gangneung-mc"])
    again = await asyncio.to_thread(deliver, first, knuh.url, TOKENS["yeongwol-mc"])
    assert (mine.duplicate, theirs.duplicate, again.duplicate) == (False, False, True)
    assert (mine.sender, theirs.sender) == ("yeongwol-mc", "gangneung-mc") and mine.stored_key != theirs.stored_key
    assert again.stored_key == mine.stored_key and knuh.index.count() == 2


async def test_a_receipt_for_another_message_is_no_receipt(network: Network, keys: SigningKeys) -> None:
    """A peer that acknowledges with another message's id (a broken or lying gateway): delivery is refused, not
    taken as received. The peer checks what it receives is our message before it answers."""
    seen: list[str] = []
    peer = FastAPI()

    @peer.post("/fhir/$process-message", status_code=201)
    async def wrong_receipt(request: Request) -> dict[str, object]:
        bundle = await request.json()
        assert bundle["resourceType"] == "Bundle" and request.headers["authorization"].startswith("Bearer ")
        seen.append(bundle["id"])
        return {"message_id": "someone-elses-message", "stored_key": "x", "sender": "yeongwol-mc",
                "received_at": datetime.now(UTC).isoformat(), "duplicate": False}  # fmt: skip

    server = ApiServer(peer, free_port())
    await server.start()
    try:
        bundle = message(network, keys)
        with pytest.raises(DeliveryRejected, match="another message"):
            await asyncio.to_thread(deliver, bundle, f"http://127.0.0.1:{server.port}", TOKENS["yeongwol-mc"])
    finally:
        await server.stop()
    assert seen == [bundle["id"]]
