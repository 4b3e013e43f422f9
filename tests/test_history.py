"""What the Temporal server stores: replayable histories, and no PHI in clear."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

from temporalio.client import Client
from temporalio.worker import Replayer

from flows.referral.contract import round_workflow_id
from flows.referral.io import ProcessingStage, ReferralStatus
from flows.referral.review_round import ReviewRoundWorkflow
from flows.referral.workflow import ReferralWorkflow
from referral.codec import referral_data_converter
from referral.config import Settings
from referral.models import Side
from referral.network import Network
from referral.operations import get_status
from referral.review_plan import ReviewRoundName
from referral.states import ReferralEvent, ReferralState
from referral.storage import DocumentStore
from referral.storage.local import LocalFolderStore
from referral.submission import IncomingFile, submit_referral
from referral.temporal import data_converter
from tests.deployment import Deployment, delivered_referral, sign_round
from tests.helpers import PATIENT_NAME, drive, make_request, path_to, raw_history, tiny_scan, wait_for, wait_for_stage
from tests.review_fixtures import KNUH_SIGNERS
from tests.test_review import PARK

HISTORIES = Path(__file__).parent / "histories"
FULL_LOOP = path_to(ReferralState.ACCEPTED) + [  # from the gateway's receipt on
    (ReferralEvent.SCHEDULE, Side.RECEIVING),
    (ReferralEvent.START_CARE, Side.RECEIVING),
    (ReferralEvent.COMPLETE, Side.RECEIVING),
    (ReferralEvent.ACKNOWLEDGE, Side.REFERRING),
]


async def closed_referral(client: Client, store: DocumentStore, deployment: Deployment) -> str:
    """Both halves: the letter signed by 영월의료원, the outside-record summary by 강원대병원, then the loop."""
    referral_id = await delivered_referral(client, store, deployment)
    knuh_board = deployment.network.institution("knuh").review_board_url
    assert knuh_board is not None
    await sign_round(client, referral_id, ReviewRoundName.RECEIPT, knuh_board, PARK, KNUH_SIGNERS)
    await wait_for(client, referral_id, lambda s: s.review_round == "receipt" and all(r.signed for r in s.reviews))
    await drive(client, referral_id, FULL_LOOP)
    final = await client.get_workflow_handle(referral_id, result_type=ReferralStatus).result()
    assert final.state == ReferralState.LOOP_CLOSED
    return referral_id


async def test_history_of_a_finished_referral_replays(
    client: Client, store: DocumentStore, deployment: Deployment, settings: Settings
) -> None:
    """Signed, delivered, accepted … acknowledged: its history replays. With REFERRAL_RECORD_HISTORY=NAME (and the
    test-only key, see tests/histories/README.md) it is also recorded as tests/histories/NAME.json."""
    referral_id = await closed_referral(client, store, deployment)
    replayer = Replayer(workflows=[ReferralWorkflow, ReviewRoundWorkflow], data_converter=data_converter(settings))
    rounds = [round_workflow_id(referral_id, ReviewRoundName.REFERRAL, 1),
              round_workflow_id(referral_id, ReviewRoundName.RECEIPT, 2)]  # fmt: skip
    for suffix, workflow_id in zip(["", ".round-referral", ".round-receipt"], [referral_id, *rounds], strict=True):
        history = await client.get_workflow_handle(workflow_id).fetch_history()
        await replayer.replay_workflow(history)
        if name := os.environ.get("REFERRAL_RECORD_HISTORY"):
            (HISTORIES / f"{name}{suffix}.json").write_text(history.to_json())


async def test_recorded_histories_still_replay() -> None:
    """Histories recorded from earlier versions of the workflow (tests/histories) must replay unchanged."""
    key = base64.b64decode((HISTORIES / "TEST-ONLY-payload.key").read_text().strip())
    replayer = Replayer(workflows=[ReferralWorkflow, ReviewRoundWorkflow],
                        data_converter=referral_data_converter("k1", key))  # fmt: skip
    recorded = sorted(HISTORIES.glob("*.json"))
    assert recorded
    from temporalio.client import WorkflowHistory

    for path in recorded:
        await replayer.replay_workflow(WorkflowHistory.from_json(path.stem, path.read_text()))


def _payloads(node: object) -> list[tuple[bytes, bytes]]:
    """Every payload of a history as (encoding, data), both base64-decoded."""
    found: list[tuple[bytes, bytes]] = []
    if isinstance(node, dict):
        if "metadata" in node and "encoding" in node["metadata"]:
            found.append((base64.b64decode(node["metadata"]["encoding"]), base64.b64decode(node.get("data", ""))))
        for value in node.values():
            found += _payloads(value)
    elif isinstance(node, list):
        for item in node:
            found += _payloads(item)
    return found


_MARKER_META = {"seq", "attempt", "activity_id", "activity_type", "complete_time", "backoff", "original_schedule_time",
                "activation_index"}  # fmt: skip


def _local_activity_meta(blob: bytes) -> bool:
    """A local activity's marker metadata (which activity, which attempt, when), which the SDK records in clear; its
    result is a payload of its own, encrypted like the others."""
    try:
        meta = json.loads(blob)
    except ValueError:
        return False
    return isinstance(meta, dict) and set(meta) <= _MARKER_META and meta.get("activity_type") == "read_round_progress"


async def test_raw_history_holds_no_plaintext_phi(client: Client, store: DocumentStore, deployment: Deployment) -> None:
    referral_id = await closed_referral(client, store, deployment)
    history = await raw_history(client, referral_id)
    text = json.dumps(history.to_json_dict(), ensure_ascii=False)
    status = await get_status(client, referral_id)
    payloads = _payloads(history.to_json_dict())
    blobs = [data for _, data in payloads]
    assert PATIENT_NAME not in text
    for secret in (PATIENT_NAME.encode(), status.fingerprint.encode(), b"MRN-", "흉통".encode(), "김의사".encode()):
        assert all(secret not in blob for blob in blobs)
    encodings = {encoding for encoding, _ in payloads}
    assert b"binary/encrypted" in encodings and encodings <= {b"binary/encrypted", b"json/plain", b"binary/null"}
    # in clear: the search attributes only
    clear = {data for encoding, data in payloads if encoding != b"binary/encrypted"}
    clear.discard(b"")
    clear -= {blob for blob in clear if _local_activity_meta(blob)}  # the SDK's marker bookkeeping: no content
    assert clear <= {b'"yeongwol-mc"', b'"knuh"', b'"urgent"'} | {f'"{s}"'.encode() for s in ReferralState} | {
        f'"{s}"'.encode() for s in ProcessingStage
    } | {blob for blob in clear if blob[1:5].isdigit() or blob.isdigit()} | {b"true", b"false"}  # times, counts


async def test_failures_are_recorded_encrypted(
    client: Client, workers: None, store: DocumentStore, network: Network, settings: Settings
) -> None:
    """A document that vanished from the store: intake fails with a clear error, and the error text is encoded."""
    assert isinstance(store, LocalFolderStore)
    scan = tiny_scan() + b"\x00"  # unique bytes, so removing the object affects no other test
    request = make_request()
    handle_settings = settings.model_copy(update={"gpu_task_queue": "no-worker-here"})
    original_put = store.put
    try:
        # Store and start as usual, then take the bytes away before intake validation reads them.

        def put_then_lose(data: bytes, media_type: str):  # type: ignore[no-untyped-def]
            stored = original_put(data, media_type)
            (store.root / stored.key).unlink()
            return stored

        store.put = put_then_lose  # type: ignore[method-assign]
        result = await submit_referral(client, store, network, handle_settings, request, [IncomingFile("s.png", scan)])
    finally:
        store.put = original_put  # type: ignore[method-assign]
    status = await wait_for_stage(client, result.referral_id, {ProcessingStage.INTAKE_FAILED})
    assert status.stage_error == "DocumentMissing: document 1 is not in the store"
    raw = json.dumps((await raw_history(client, result.referral_id)).to_json_dict())
    assert "not in the store" not in raw
    assert "Encoded failure" in raw
