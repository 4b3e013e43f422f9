"""`referral bundle`: the FHIR message Bundle of a referral for an interface engineer's validator — the last one
sent for a referral (as the sender kept it), or, without any server, one for the bundled example referral, signed
(Bundle.signature, JWS) by a throwaway example CA whose certificate is written beside it, so the signature can be
checked too; no gateway trusts that CA."""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.serialization import Encoding

from referral.config import Settings
from referral.examples import example_referrals
from referral.fhir.message import OUTSIDE_RECORD, Attachment, SignedLetter, referral_message
from referral.fhir.signature import sign_bundle
from referral.models import Referral
from referral.network import Network, load_network
from referral.operations import get_status
from referral.signing_keys import SigningKeys
from referral.states import ReferralState
from referral.storage import open_store
from referral.submission import check_files, referral_id_for, submission_fingerprint
from referral.temporal import connect


def example_bundle(settings: Settings, network: Network, now: datetime, keys: SigningKeys) -> dict[str, Any]:
    """The message the first example referral would send once its letter is signed, signed by the referring
    institution's key from `keys`. The letter's signer is marked as an example: no clinician signed it."""
    key, request, files = example_referrals()[0]
    checked = check_files(files, settings)
    referral = Referral(
        **request.model_dump(), referral_id=referral_id_for(request.referring.org, key),
        documents=[c.ref for c in checked], submitted_at=now,
        fingerprint=submission_fingerprint(request, [c.ref.sha256 for c in checked]),
    )  # fmt: skip
    text = f"진료의뢰서 (예시 example)\n의뢰사유: {request.reason}\n"
    letter = SignedLetter("진료의뢰서 (예시 example)", text, "예시 — 서명 아님 (example, not a signature)", "0",
                          now, hashlib.sha256(text.encode()).hexdigest())  # fmt: skip
    attachments = [Attachment(c.ref.filename, OUTSIDE_RECORD, c.ref.media_type, c.data) for c in checked]
    bundle = referral_message(referral, network, ReferralState.DRAFT, now, letter, attachments)
    sender = network.institution(referral.referring.org)
    sign_bundle(bundle, keys.institution(sender.code, sender.name), bundle["entry"][0]["resource"]["sender"], now)
    return bundle


async def cmd_bundle(args: argparse.Namespace, settings: Settings) -> int:
    if args.example == bool(args.referral_id):
        raise ValueError("give a referral id, or --example (not both)")
    example_ca = b""
    if args.example:
        with tempfile.TemporaryDirectory() as folder:  # a throwaway CA: nothing trusts it, nothing keeps its key
            keys = SigningKeys(Path(folder))
            bundle = example_bundle(settings, load_network(settings.network_file), datetime.now(UTC), keys)
            example_ca = keys.trust_root().public_bytes(Encoding.PEM)
    else:
        status = await get_status(await connect(settings), args.referral_id)
        if status.delivery is None or status.delivery.bundle_key is None:
            print(f"{args.referral_id}: no message was sent yet (stage {status.stage})", file=sys.stderr)
            return 1
        bundle = json.loads(open_store(settings).get(status.delivery.bundle_key))
    text = json.dumps(bundle, ensure_ascii=False, indent=2)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
        print(f"{args.out}: {len(bundle['entry'])} entries, message {bundle['id']}", file=sys.stderr)
        if example_ca:
            ca_file = Path(args.out).with_suffix(".ca.pem")
            ca_file.write_bytes(example_ca)
            print(f"{ca_file}: the example CA the signature chains to (no gateway trusts it)", file=sys.stderr)
    else:
        print(text)
    return 0


def add_bundle_parser(sub: Any) -> None:
    bundle = sub.add_parser("bundle", help="the FHIR message Bundle last sent for a referral, or an example one")
    bundle.add_argument("referral_id", nargs="?")
    bundle.add_argument("--example", action="store_true", help="the bundled example referral's, without a server")
    bundle.add_argument("--out", help="write to FILE (default: standard output)")
    bundle.set_defaults(run=cmd_bundle)
