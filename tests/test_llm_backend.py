"""The transformers backend with tiny random models built offline: loading from a local folder (causal and
seq2seq), micro-batching of concurrent requests, validation and the drop path, and the summary stage running it
on the GPU worker's task queue."""

from __future__ import annotations

import json
import threading
import uuid
from pathlib import Path

import pytest
from temporalio.client import Client

from flows.referral.io import PIPELINE_SETTLED, ProcessingStage
from referral.config import Settings
from referral.network import Network
from referral.storage import DocumentStore
from referral.submission import IncomingFile, submit_referral
from referral.summary.backends import open_backend
from referral.summary.grounding import ModelItem, chunk_pages, ground, parse_output
from referral.summary.llm import TransformersBackend
from referral.summary.models import ClinicalSummary
from referral.summary.source import text_page
from referral.synthetic import clinical_record
from tests.helpers import make_request, running, tiny_scan, wait_for_stage
from tests.tinymodels import build_causal, build_seq2seq
from workers import gpu


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("models")
    return {"causal": build_causal(folder / "tiny-gpt2"), "seq2seq": build_seq2seq(folder / "tiny-t5")}


RECORD = "\n".join(clinical_record(11).lines)


@pytest.mark.parametrize("kind", ["causal", "seq2seq"])
def test_loads_from_a_local_folder_and_never_invents(models: dict[str, Path], kind: str) -> None:
    backend = TransformersBackend(models[kind], max_chunk_chars=300, max_new_tokens=24)
    pages = [text_page("doc", RECORD)]
    summary = backend.summarize(pages)
    chunks = len(chunk_pages(pages, 300))
    assert summary.backend.startswith(f"transformers:{'gpt2' if kind == 'causal' else 't5'}:")
    # random weights write no valid JSON: every chunk is counted as invalid, nothing is invented
    assert summary.invalid_outputs == chunks and summary.items() == []
    assert summary.empty_reason is not None and "invalid outputs" in summary.empty_reason


def test_concurrent_requests_share_generate_calls(models: dict[str, Path]) -> None:
    backend = TransformersBackend(models["causal"], max_chunk_chars=300, max_new_tokens=8)
    results: list[ClinicalSummary] = []

    def one() -> None:
        results.append(backend.summarize([text_page(f"doc-{uuid.uuid4()}", RECORD)]))

    threads = [threading.Thread(target=one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    requests = 4 * len(chunk_pages([text_page("d", RECORD)], 300))
    assert len(results) == 4
    assert sum(backend.generator.batch_sizes) == requests
    assert backend.generator.generate_calls < requests  # micro-batched
    assert max(backend.generator.batch_sizes) > 1


def test_missing_model_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="loads local weights only"):
        TransformersBackend(tmp_path / "no-model")
    with pytest.raises(RuntimeError, match="REFERRAL_SUMMARY_MODEL_PATH"):
        open_backend(Settings(summary_backend="transformers"))


def test_model_output_is_validated_and_unquoted_items_dropped() -> None:
    pages = [
        text_page("d", "진단 (Diagnosis)\n- 본태성 고혈압 (I10)"),
        text_page("d", "투약\n- Amlodipine 5 mg", page=2),
    ]
    [chunk] = chunk_pages(pages, 2000)
    items = [
        {"type": "problem", "quote": "본태성 고혈압 (I10)", "name": "본태성 고혈압", "code": "I10"},
        {"type": "medication", "quote": "Metformin 500 mg", "name": "Metformin"},
        {"type": "medication", "quote": "Amlodipine 5 mg", "name": "Amlodipine", "dose": "5 mg"},
    ]
    raw = "noise " + json.dumps({"items": items}, ensure_ascii=False) + " trailing"
    output = parse_output(raw)
    assert output is not None and len(output.items) == 3
    kept = [ground(item, chunk) for item in output.items]
    assert kept[1] is None  # Metformin is not in the record: dropped
    assert kept[0] is not None and (kept[0].page, pages[0].text[kept[0].start : kept[0].end]) == (
        1,
        "본태성 고혈압 (I10)",
    )
    assert kept[2] is not None and kept[2].page == 2 and pages[1].text[kept[2].start : kept[2].end] == "Amlodipine 5 mg"
    assert ground(ModelItem(type="plan", quote="(I10)\n투약"), chunk) is None  # across two pages: not one span
    for bad in ["", "no json here", '{"items": [{"type": "diagnosis", "quote": "x"}]}', '{"items": [{"quote": ""}]}']:
        assert parse_output(bad) is None


def test_chunks_map_back_to_exact_page_offsets() -> None:
    pages = [text_page("a", RECORD), text_page("a", RECORD[::-1], page=2), text_page("b", "x" * 5000)]
    chunks = chunk_pages(pages, 250)
    assert all(len(c.text) <= 250 for c in chunks)
    assert not any({p.document_key for p, *_ in c.pieces} == {"a", "b"} for c in chunks)  # documents never mix
    for chunk in chunks:
        for page, page_start, chunk_start, length in chunk.pieces:
            assert page.text[page_start : page_start + length] == chunk.text[chunk_start : chunk_start + length]


async def test_summary_stage_runs_the_model_on_the_gpu_queue(
    client: Client, workers: None, settings: Settings, store: DocumentStore, network: Network, models: dict[str, Path]
) -> None:
    llm_settings = settings.model_copy(update={
        "gpu_task_queue": f"gpu-llm-{uuid.uuid4().hex[:6]}", "summary_backend": "transformers",
        "summary_model_path": models["causal"], "summary_max_new_tokens": 16,
    })  # fmt: skip
    async with running(gpu.build_worker(client, llm_settings, store, concurrency=2)):
        result = await submit_referral(
            client, store, network, llm_settings, make_request(), [IncomingFile("s.png", tiny_scan())]
        )
        status = await wait_for_stage(client, result.referral_id, PIPELINE_SETTLED)
    assert status.stage == ProcessingStage.AWAITING_REVIEW, status.stage_error
    assert status.summary is not None and status.summary.backend.startswith("transformers:gpt2:")
    assert status.summary.items == 0 and "invalid outputs" in (status.summary.empty_reason or "")
    assert [d.kind for d in status.summary.drafts] == ["referral_letter"]  # the referring side's round
