"""Shared entry-point plumbing: run a worker until SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Callable, Coroutine
from typing import Any

from temporalio.worker import Worker

from referral.processes import PRIVATE_UMASK
from referral.temporal import hard_exit


async def run_until_signalled(worker: Worker) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with worker:
        logging.getLogger(__name__).info("worker on task queue %s is running", worker.task_queue)
        await stop.wait()


def run_main(main: Callable[[], Coroutine[Any, Any, None]]) -> None:
    os.umask(PRIVATE_UMASK)  # stored documents, OCR results and drafts are readable by the owner only
    asyncio.run(main())
    hard_exit(0)
