"""Prefect retry conditions for the fleet flows: an outage (Temporal, storage) is worth another try, a refusal
(bad input, a referral that says no) is final. Async, because the tasks are: in an async task run, Prefect's
`State.result()` is a coroutine, which a sync condition would mistake for a retryable outcome."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from prefect.states import State


def retry_unless(*final: type[BaseException]) -> Callable[[object, object, State], Awaitable[bool]]:
    async def should_retry(_task: object, _run: object, state: State) -> bool:
        return not isinstance(await state.aresult(raise_on_failure=False), final)

    return should_retry
