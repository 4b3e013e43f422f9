"""GPU worker: model activities (OCR, summaries with the extractor or an LLM, dictation ASR) on their own task queue.

On a machine without a GPU the same worker runs on the CPU with the offline defaults
(Tesseract, the extractor, Vosk)."""

from __future__ import annotations

import importlib.util
import logging
import os
from concurrent.futures import ThreadPoolExecutor

from temporalio.client import Client
from temporalio.worker import Worker

from activities.ocr import OcrActivities
from activities.summarize import SummaryActivities
from activities.transcribe import TranscribeActivities
from referral.asr.backends import open_asr_backend
from referral.config import Settings
from referral.network import load_network
from referral.storage import DocumentStore, open_store
from referral.summary.backends import open_backend
from referral.temporal import connect
from workers.run import configure_logging, run_main, run_until_signalled


def device() -> str:
    """'cuda' when torch sees a GPU, else 'cpu'. Tesseract runs on the CPU either way."""
    if importlib.util.find_spec("torch") is None:
        return "cpu"
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def build_worker(
    client: Client,
    settings: Settings,
    store: DocumentStore,
    task_queue: str | None = None,
    concurrency: int | None = None,
) -> Worker:
    # One OCR page per core: Tesseract is single-threaded here (OMP_THREAD_LIMIT=1).
    slots = concurrency or int(os.environ.get("REFERRAL_GPU_CONCURRENCY", os.cpu_count() or 1))
    ocr = OcrActivities(store)
    summaries = SummaryActivities(store, load_network(settings.network_file), open_backend(settings))
    dictations = TranscribeActivities(store, lambda: open_asr_backend(settings))
    return Worker(
        client,
        task_queue=task_queue or settings.gpu_task_queue,
        activities=[ocr.ocr_document, summaries.summarize_records, dictations.transcribe_dictation],
        activity_executor=ThreadPoolExecutor(max_workers=slots),
        max_concurrent_activities=slots,
    )


async def main() -> None:
    configure_logging("gpu-worker")
    settings = Settings()
    logging.info("model device: %s", device())
    client = await connect(settings)
    await run_until_signalled(build_worker(client, settings, open_store(settings)))


if __name__ == "__main__":
    run_main(main)
