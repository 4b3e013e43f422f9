"""The transformers backend: a causal or seq2seq model loaded from a configured local folder (never a hub),
prompted to return the summary's JSON schema with evidence quotes. Output is validated with pydantic, and every
item whose quote is not found in the source is dropped and counted. Long records are chunked; concurrent
requests (several activities on one GPU worker) are micro-batched into one generate call."""

from __future__ import annotations

import queue
import threading
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from referral.summary.backends import Progress
from referral.summary.grounding import SCHEMA_HINT, add_item, chunk_pages, ground, parse_output
from referral.summary.models import ClinicalSummary
from referral.summary.source import SourcePage

PROMPT = (
    "다음 진료기록에서 임상 정보를 추출하세요. Extract the clinical facts of this medical record as JSON.\n"
    "Copy each quote exactly from the record; do not add facts that are not in it.\nSchema: {schema}\n"
    "Record:\n{record}\nJSON:"
)


class BatchingGenerator:
    """Collects prompts from any number of threads for up to `window_s`, then runs one padded generate call."""

    def __init__(self, model: Any, tokenizer: Any, max_batch: int = 8, window_s: float = 0.05,
                 max_new_tokens: int = 512) -> None:  # fmt: skip
        self.model, self.tokenizer = model, tokenizer
        self.max_batch, self.window_s, self.max_new_tokens = max_batch, window_s, max_new_tokens
        self.generate_calls = 0
        self.batch_sizes: list[int] = []
        self._queue: queue.Queue[tuple[str, Future[str]]] = queue.Queue()
        self._thread = threading.Thread(target=self._loop, name="batching-generator", daemon=True)
        self._thread.start()

    def submit(self, prompt: str) -> Future[str]:
        future: Future[str] = Future()
        self._queue.put((prompt, future))
        return future

    def _loop(self) -> None:
        while True:
            batch = [self._queue.get()]
            try:
                while len(batch) < self.max_batch:
                    batch.append(self._queue.get(timeout=self.window_s))
            except queue.Empty:
                pass
            try:
                outputs = self._generate([prompt for prompt, _ in batch])
            except Exception as err:  # one failed batch fails its callers, not the worker
                for _, future in batch:
                    future.set_exception(err)
                continue
            for (_, future), text in zip(batch, outputs, strict=True):
                future.set_result(text)

    def _generate(self, prompts: list[str]) -> list[str]:
        import torch

        self.generate_calls += 1
        self.batch_sizes.append(len(prompts))
        inputs = self.tokenizer(prompts, return_tensors="pt", padding=True, truncation=True,
                                max_length=self.tokenizer.model_max_length)  # fmt: skip
        inputs = {k: v.to(self.model.device) for k, v in inputs.items()}
        with torch.inference_mode():
            generated = self.model.generate(
                **inputs, max_new_tokens=self.max_new_tokens, do_sample=False,
                pad_token_id=self.tokenizer.pad_token_id,
            )  # fmt: skip
        if not self.model.config.is_encoder_decoder:
            generated = generated[:, inputs["input_ids"].shape[1] :]  # only the continuation
        return list(self.tokenizer.batch_decode(generated, skip_special_tokens=True))


class TransformersBackend:
    def __init__(self, model_path: Path, max_chunk_chars: int = 2000, max_new_tokens: int = 512,
                 device: str | None = None, max_batch: int = 8) -> None:  # fmt: skip
        import torch
        from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForSeq2SeqLM, AutoTokenizer

        if not (model_path / "config.json").exists():
            raise RuntimeError(f"no model at {model_path}: the transformers backend loads local weights only")
        config = AutoConfig.from_pretrained(model_path, local_files_only=True)
        tokenizer = AutoTokenizer.from_pretrained(model_path, local_files_only=True)
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        tokenizer.padding_side = "left"  # decoder-only models continue from the right end of each prompt
        model_class = AutoModelForSeq2SeqLM if config.is_encoder_decoder else AutoModelForCausalLM
        device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        model: Any = model_class.from_pretrained(model_path, local_files_only=True)
        model = model.to(device).eval()
        self.name = f"transformers:{config.model_type}:{model_path.name}"
        self.max_chunk_chars = max_chunk_chars
        self.generator = BatchingGenerator(model, tokenizer, max_batch=max_batch, max_new_tokens=max_new_tokens)

    def summarize(self, pages: list[SourcePage], progress: Progress | None = None) -> ClinicalSummary:
        summary = ClinicalSummary(backend=self.name, source_keys=sorted({p.document_key for p in pages}))
        chunks = chunk_pages(pages, self.max_chunk_chars)
        futures = [self.generator.submit(PROMPT.format(schema=SCHEMA_HINT, record=c.text)) for c in chunks]
        for done, (chunk, future) in enumerate(zip(chunks, futures, strict=True), start=1):
            output = parse_output(future.result())
            if progress is not None:
                progress(done)
            if output is None:
                summary.invalid_outputs += 1
                continue
            for item in output.items:
                evidence = ground(item, chunk)
                if evidence is None:
                    summary.dropped_unquoted += 1
                else:
                    add_item(summary, item, evidence)
        if not summary.items():
            summary.empty_reason = (
                "no text in the source" if not chunks
                else f"the model returned no item quoted from the source ({summary.invalid_outputs} invalid outputs, "
                f"{summary.dropped_unquoted} unquoted items dropped)"
            )  # fmt: skip
        return summary
