"""Shared entry-point plumbing: run a worker until SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import Callable, Coroutine
from typing import Any

from temporalio.worker import Worker


async def run_until_signalled(worker: Worker) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with worker:
        logging.getLogger(__name__).info("worker on task queue %s is running", worker.task_queue)
        await stop.wait()


def run_main(main: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run a worker's main, then leave without interpreter finalisation: the Temporal core's native threads
    can race Python's teardown (PyGILState_Release at exit) after an otherwise clean shutdown."""
    asyncio.run(main())
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
