"""Shared entry-point plumbing: run a worker until SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import signal
from collections.abc import Callable, Coroutine
from typing import Any

from temporalio.worker import Worker

from referral.processes import PRIVATE_UMASK
from referral.temporal import hard_exit

# DICOM/QIDO query parameters that name a patient (keyword or tag), as they appear in a URL's query string
_PATIENT_QUERY = re.compile(r"\b(PatientID|PatientName|PatientBirthDate|00100020|00100010|00100030)=[^&\s'\"]*")


class RedactPatientQueries(logging.Filter):
    """Masks the values of patient query parameters in every log line (a PACS URL names the patient)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = _PATIENT_QUERY.sub(r"\1=<redacted>", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def configure_logging(name: str) -> None:
    """INFO to stderr with the process name; HTTP client request lines (their URLs carry PACS queries) only as
    warnings, and patient query values masked in whatever is logged."""
    logging.basicConfig(level=logging.INFO, format=f"%(asctime)s {name} %(levelname)s %(message)s")
    for handler in logging.getLogger().handlers:
        handler.addFilter(RedactPatientQueries())
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


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
