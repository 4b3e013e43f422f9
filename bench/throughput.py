"""Throughput on the independent corpus's clean scans (../shared/data/korean-records): OCR pages per second through
the system with one and with two GPU-queue worker processes (one OCR slot each; this box has two cores) against
plain Tesseract per core on the same pages, and P1: the same referrals end to end to "drafts made, ready for
review", the system against a plain Python loop calling the same functions (`referral extract`'s path) with the
same number of slots. Each system run starts its own Temporal dev server (fresh SQLite file), a CPU worker and the
GPU worker processes as separate processes; all figures come from one run. No review board is started, so
"drafts made" is the round's report that its drafts exist, which it sends 1 s after making them when the board
has not taken the tasks (REFERRAL_WORKFLOW__REVIEW_BOARD_WAIT_S, 10 s by default).

With `--set text_layer` the same referrals come as EMR prints with a text layer, so OCR costs next to nothing and
what is measured is the summary stage (extraction, identity, duplicate check, drafts) and its orchestration: the
system against the plain loop, and two GPU worker processes against one.

    .venv/bin/python bench/throughput.py [--docs 12] [--set scan|text_layer]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from itertools import cycle, islice
from pathlib import Path

from temporalio.client import Client

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpus import records  # noqa: E402
from bench.ocr_overhead import request  # noqa: E402
from bench.scale import cpu_seconds  # noqa: E402
from flows.referral.io import ProcessingStage  # noqa: E402
from referral.config import Settings, ensure_local_secrets  # noqa: E402
from referral.devserver import TemporalDevServer, free_port  # noqa: E402
from referral.extract import PatientClaim, extract  # noqa: E402
from referral.network import default_network  # noqa: E402
from referral.ocr.engine import iter_pages  # noqa: E402
from referral.storage import DocumentStore, open_store  # noqa: E402
from referral.submission import IncomingFile, submit_referral  # noqa: E402
from referral.temporal import connect, ensure_search_attributes  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
OCR_FINISHED = {ProcessingStage.OCR_DONE, ProcessingStage.SUMMARY_RUNNING, ProcessingStage.AWAITING_REVIEW}
SINGLE_THREAD = {**os.environ, "OMP_THREAD_LIMIT": "1"}


def plain_tesseract(images: list[Path], processes: int) -> float:
    """Seconds for `tesseract IMAGE stdout -l kor+eng --psm 4` on every page, `processes` at a time."""
    started = time.perf_counter()
    command = ["tesseract", "{}", "stdout", "-l", "kor+eng", "--psm", "4"]

    def one(path: Path) -> None:
        subprocess.run([str(path) if c == "{}" else c for c in command], capture_output=True, check=True,
                       env=SINGLE_THREAD)  # fmt: skip

    with ThreadPoolExecutor(processes) as pool:
        list(pool.map(one, images))
    return time.perf_counter() - started


def plain_loop(pdfs: list[Path], slots: int) -> float:
    """Seconds for the production path without the system (intake checks, OCR, extraction, identity, drafts)."""
    network = default_network()

    def one(path: Path) -> None:
        extract([path], PatientClaim(), network, referring_org="yeongwol-mc", receiving_org="knuh")

    started = time.perf_counter()
    with ThreadPoolExecutor(slots) as pool:
        list(pool.map(one, pdfs))
    return time.perf_counter() - started


async def through_system(
    pdfs: list[Path], gpu_processes: int, data: Path, cpu: dict[str, float]
) -> tuple[float, float, float]:
    """Seconds until every referral is submitted (by one client, in turn), until every one's OCR is done, and
    until every one has its drafts (ready for review); `cpu` gets each process's CPU seconds over the run."""
    # no review board is started: a round reports its drafts 1 s after making them (the count's resolution)
    settings = Settings(data_dir=data, namespace="default").with_changes(review_board_wait_s=1.0)
    ensure_local_secrets(settings, sorted(default_network().institutions()))
    server = TemporalDevServer(data / "temporal.db", free_port(), free_port(), "default")
    server.start()
    workers: list[subprocess.Popen[bytes]] = []
    try:
        await server.wait_ready()
        settings = settings.model_copy(update={"temporal_address": server.address})
        client = await connect(settings)
        await ensure_search_attributes(client)
        env = {**SINGLE_THREAD, "REFERRAL_TEMPORAL_ADDRESS": server.address, "REFERRAL_NAMESPACE": "default",
               "REFERRAL_DATA_DIR": str(data), "REFERRAL_GPU_CONCURRENCY": "1"}  # fmt: skip
        logs = data / "logs"
        logs.mkdir(exist_ok=True)
        for name in ["cpu", *["gpu"] * gpu_processes]:
            log = open(logs / f"{name}-{len(workers)}.log", "wb")  # noqa: SIM115 - closed with the process
            workers.append(subprocess.Popen([sys.executable, "-m", f"workers.{name}"], env=env, cwd=ROOT,
                                            stdout=log, stderr=subprocess.STDOUT))  # fmt: skip
        store = open_store(settings)
        await _ready(client, store, settings, [pdfs[0]])  # the workers are up and have read a page once
        assert server.process is not None
        processes = {"Temporal server": [server.process.pid], "bench client (submits)": [os.getpid()]}
        for index, worker in enumerate(workers):
            processes["CPU worker" if index == 0 else f"GPU worker {index}"] = [worker.pid]
        before = {name: cpu_seconds(pids) for name, pids in processes.items()}
        started = time.perf_counter()
        figures = await _ready(client, store, settings, pdfs, started)
        cpu |= {name: cpu_seconds(pids) - before[name] for name, pids in processes.items()}
        return figures
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(60)
        server.stop()


async def _ready(
    client: Client, store: DocumentStore, settings: Settings, pdfs: list[Path], started: float | None = None
) -> tuple[float, float, float]:
    started = started or time.perf_counter()
    ids = []
    for index, pdf in enumerate(pdfs):
        files = [IncomingFile(pdf.name, pdf.read_bytes())]
        ids.append(
            (await submit_referral(client, store, default_network(), settings, request(index), files)).referral_id
        )
    submitted = time.perf_counter() - started  # one client submitting in turn (intake checks, upload, start)
    # counted from the visibility store once a second: polling each referral's status would load the worker
    # that answers the queries, on the same two cores as the OCR being measured
    mine = " OR ".join(f"WorkflowId = '{i}'" for i in ids)
    stages = {"ocr": OCR_FINISHED, "drafted": {ProcessingStage.AWAITING_REVIEW}}
    seen: dict[str, float] = {}
    while len(seen) < len(stages):
        now = time.perf_counter() - started
        for name, wanted in stages.items():
            listed = " OR ".join(f"ReferralStage = '{stage.value}'" for stage in wanted)
            count = (await client.count_workflows(f"({mine}) AND ({listed})")).count
            if name not in seen and count == len(ids):
                seen[name] = now
        await asyncio.sleep(1.0)
    return submitted, seen["ocr"], seen["drafted"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=12)
    parser.add_argument("--set", choices=["scan", "text_layer"], default="scan", dest="page_set")
    args = parser.parse_args()
    scans = args.page_set == "scan"
    chosen = islice(cycle(list(records())), args.docs)  # past the corpus: each record again, another patient's
    pdfs = [record.scan_pdf if scans else record.text_layer_pdf for record in chosen]
    with tempfile.TemporaryDirectory(prefix="throughput-") as tmp:
        figures: dict[str, float] = {}
        images = []
        for index, pdf in enumerate(pdfs):
            for source in iter_pages(pdf.read_bytes(), "application/pdf"):
                images.append(Path(tmp) / f"{index:03d}-{source.page}.png")
                if scans:
                    assert source.image is not None
                    source.image.save(images[-1], dpi=(300, 300))
        pages = len(images)
        if scans:
            plain_tesseract(images[:1], 1)  # warm the page cache for both sides
            figures |= {"plain Tesseract, 1 process": plain_tesseract(images, 1),
                        "plain Tesseract, 2 processes": plain_tesseract(images, 2)}  # fmt: skip
        plain_loop(pdfs[:1], 1)  # the models and vocabularies loaded once, as a worker has them
        figures |= {"plain loop (same functions), 1 slot": plain_loop(pdfs, 1),
                    "plain loop (same functions), 2 slots": plain_loop(pdfs, 2)}  # fmt: skip
        cpu: dict[int, dict[str, float]] = {}
        for processes in (1, 2):
            data = Path(tmp) / f"system-{processes}"
            cpu[processes] = {}
            submitted_s, ocr_s, drafted_s = asyncio.run(through_system(pdfs, processes, data, cpu[processes]))
            figures[f"system, all submitted, {processes} GPU worker process(es)"] = submitted_s
            figures[f"system OCR, {processes} GPU worker process(es)"] = ocr_s
            figures[f"system to drafts, {processes} GPU worker process(es)"] = drafted_s
    kind = "clean-scan" if scans else "text-layer"
    print(f"{len(pdfs)} referrals, {pages} {kind} pages of the corpus\n")
    print("| run | seconds | pages/s |\n|---|---|---|")
    for name, seconds in figures.items():
        print(f"| {name} | {seconds:.1f} | {pages / seconds:.3f} |")
    for processes, spent in cpu.items():
        print(f"\nCPU seconds per referral, {processes} GPU worker process(es), submission to drafts:")
        for name, seconds in spent.items():
            print(f"  {name}: {seconds / len(pdfs):.3f}")
    if scans:
        one, two = figures["system OCR, 1 GPU worker process(es)"], figures["system OCR, 2 GPU worker process(es)"]
        print(f"\nOCR scaling, 2 processes / 1: {one / two:.2f}x (goal >= 1.8)")
        plain1 = figures["plain Tesseract, 1 process"]
        print(f"system OCR per core against plain Tesseract per core: {plain1 / one:.2f}x (goal >= 0.95)")
    else:
        one, two = (figures[f"system to drafts, {n} GPU worker process(es)"] for n in (1, 2))
        print(f"\nsummary stage scaling, 2 processes / 1: {one / two:.2f}x (goal >= 1.8)")
    for slots in (1, 2):
        loop = figures[f"plain loop (same functions), {slots} slot{'s' if slots > 1 else ''}"]
        system = figures[f"system to drafts, {slots} GPU worker process(es)"]
        print(f"P1, {slots} slot(s): system to drafts / plain loop = {system / loop:.3f} (goal <= 1.10)")


if __name__ == "__main__":
    main()
