"""The hospital gateway: the HTTP endpoint each hospital runs to receive FHIR referral messages from its
peers. It authenticates the sending institution, validates the Bundle, checks its signatures (the message's by
the sending institution, each clinical document's PAdES by a clinician of it: referral/fhir/signature.py),
deduplicates by (sender, message id) (a resent message is acknowledged again, never stored twice), stores it,
and acknowledges receipt."""

import asyncio
import hmac
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from cryptography import x509
from fastapi import FastAPI, Header, HTTPException, Request, Response
from pydantic import BaseModel

from referral.fhir.message import InvalidFhir, validate
from referral.fhir.signature import BundleSignatureInvalid, check_signatures
from referral.storage import DocumentStore


class Receipt(BaseModel):
    message_id: str
    stored_key: str
    sender: str
    received_at: str
    duplicate: bool


class MessageIndex:
    """(sender, message id) → stored object, in SQLite: the primary key makes "store once" atomic across
    requests, and one sender's ids never collide with another's (a peer cannot pre-empt another's message)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS received (sender TEXT NOT NULL, message_id TEXT NOT NULL,"
            " stored_key TEXT NOT NULL, received_at TEXT NOT NULL, PRIMARY KEY (sender, message_id))"
        )

    def record(self, message_id: str, stored_key: str, sender: str) -> tuple[Receipt, bool]:
        with self._lock:
            now = datetime.now(UTC).isoformat()
            inserted = self._db.execute(
                "INSERT OR IGNORE INTO received VALUES (?, ?, ?, ?)", (sender, message_id, stored_key, now)
            ).rowcount
            row = self._db.execute(
                "SELECT stored_key, received_at FROM received WHERE sender = ? AND message_id = ?",
                (sender, message_id),
            ).fetchone()
        receipt = Receipt(message_id=message_id, stored_key=row[0], sender=sender, received_at=row[1],
                          duplicate=not inserted)  # fmt: skip
        return receipt, bool(inserted)

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM received").fetchone()[0])


def _outcome(status: int, code: str, text: str) -> HTTPException:
    body = {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": code, "diagnostics": text}]}
    return HTTPException(status, body)


def institution_of(bundle: dict[str, Any], reference: dict[str, Any]) -> str | None:
    """The institution a sender or receiver names: an Organization, or a PractitionerRole of the message (BSeR's
    initiator and recipient) by its organization."""
    kind, _, ident = str(reference.get("reference", "")).partition("/")
    if kind == "Organization":
        return ident
    if kind == "PractitionerRole":
        for entry in bundle.get("entry", []):
            role = entry.get("resource", {})
            if role.get("resourceType") == "PractitionerRole" and role.get("id") == ident:
                organization, _, code = str(role.get("organization", {}).get("reference", "")).partition("/")
                return code if organization == "Organization" else None
    return None


def create_gateway(institution: str, tokens: dict[str, str], store: DocumentStore, index: MessageIndex,
                   trust_root: x509.Certificate) -> FastAPI:  # fmt: skip
    """`tokens`: institution code → the token that institution presents to this gateway; `trust_root`: the CA
    the messages' and documents' signatures must chain to."""
    app = FastAPI(title=f"Referral AX gateway — {institution}", version="0.1.0")

    def sender_of(authorization: str | None) -> str:
        scheme, _, credentials = (authorization or "").partition(" ")
        presented = credentials.strip().encode() if scheme == "Bearer" else b""  # RFC 6750: the scheme is required
        for org, token in tokens.items():
            if presented and hmac.compare_digest(presented, token.encode()):
                return org
        raise _outcome(401, "login", "missing or unknown institution credentials")

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "UP", "institution": institution}

    @app.post("/fhir/$process-message", response_model=Receipt, status_code=201)
    async def process_message(
        request: Request, response: Response, authorization: Annotated[str | None, Header()] = None
    ) -> Receipt:
        sender = sender_of(authorization)
        try:
            bundle: dict[str, Any] = await request.json()
            validate(bundle)
            header = bundle["entry"][0]["resource"]
            if bundle.get("type") != "message" or header.get("resourceType") != "MessageHeader":
                raise InvalidFhir("a message Bundle starts with its MessageHeader")
        except (InvalidFhir, ValueError, KeyError, IndexError, TypeError) as err:
            detail = str(err) if isinstance(err, InvalidFhir) else "not a FHIR message Bundle"
            raise _outcome(400, "invalid", detail) from None
        if institution_of(bundle, header.get("sender", {})) != sender:
            raise _outcome(403, "forbidden", "the message's sender is not the authenticated institution")
        receivers = {institution_of(bundle, d.get("receiver", {})) for d in header.get("destination", [])}
        if institution not in receivers:
            raise _outcome(422, "processing", f"the message is not addressed to {institution}")
        try:
            await asyncio.to_thread(check_signatures, bundle, sender, trust_root)  # PDF checks take ~15 ms each
        except BundleSignatureInvalid as err:
            raise _outcome(422, "security", f"signature refused: {err}") from None
        message_id = str(bundle.get("id") or header["id"])
        stored = store.put(await request.body(), "application/fhir+json")
        receipt, created = index.record(message_id, stored.key, sender)
        if not created:
            response.status_code = 200  # a resent message: acknowledged again, stored once
        return receipt

    return app
