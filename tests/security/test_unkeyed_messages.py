"""A message sent without the payload key (the `temporal` CLI, a local process with access to the server but not
to the key) is read by nobody: its signal is dropped, its update rejected, and the referral goes on unchanged."""

from __future__ import annotations

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowUpdateFailedError

from referral.config import Settings
from referral.models import Side
from referral.network import Network
from referral.operations import get_history, get_status, send_event
from referral.states import ReferralEvent, ReferralState
from referral.storage import DocumentStore
from tests.helpers import event_request, raw_history, start_referral


async def test_a_signal_and_an_update_without_the_key_change_nothing_and_stall_nothing(
    client: Client, workers: None, store: DocumentStore, network: Network, settings: Settings
) -> None:
    referral_id = await start_referral(client, store, network, settings)
    unkeyed = await Client.connect(client.service_client.config.target_host, namespace=client.namespace)
    handle = unkeyed.get_workflow_handle(referral_id)
    withdraw = {"event": "withdraw", "side": "referring", "org": "yeongwol-mc", "actor": "someone", "reason": "x"}

    await handle.signal("review_updated", [1, 2, 3])  # recorded by the server, read by no handler
    with pytest.raises(WorkflowUpdateFailedError):
        await handle.execute_update("apply_event", withdraw)  # would be allowed if it were sealed with the key

    assert (await get_status(client, referral_id)).state == ReferralState.DRAFT
    assert await get_history(client, referral_id) == []
    events = (await raw_history(client, referral_id)).events
    assert any(e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED for e in events)
    assert not any(e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED for e in events)
    # the same request from a holder of the key is carried out: the referral was not stalled by the stray messages
    record = await send_event(client, referral_id, event_request(ReferralEvent.WITHDRAW, Side.REFERRING,
                                                                 "yeongwol-mc"))  # fmt: skip
    assert record.to_state == ReferralState.CANCELLED
