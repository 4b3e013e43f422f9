"""Record a finished referral's history into tests/histories/NAME.json (see README.md). Not run by the tests."""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from referral.config import Settings
from referral.network import default_network
from tests.test_history import closed_referral
from workers.embedded import embedded_stack

HERE = Path(__file__).parent


async def main(name: str) -> None:
    key = (HERE / "TEST-ONLY-payload.key").read_text().strip()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(namespace="default", data_dir=Path(tmp), payload_key=key)
        async with embedded_stack(settings) as (client, store):
            referral_id = await closed_referral(client, store, default_network(), settings)
            history = await client.get_workflow_handle(referral_id).fetch_history()
        (HERE / f"{name}.json").write_text(history.to_json())


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
