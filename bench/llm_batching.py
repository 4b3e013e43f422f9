"""Micro-batching of the transformers summary backend: summaries per second when the GPU worker's concurrent
requests share generate calls (BatchingGenerator, up to 8 prompts a call) against one request at a time (batches
of one), on the independent corpus's text-layer records (../shared/data/korean-records). Goal on a GPU: >= 4x.

Runs only where CUDA is available, with the model of REFERRAL_SUMMARY_MODEL_PATH (or --model); otherwise it says
so and exits 0. `--cpu --tiny` measures the mechanism on this box's CPU with a tiny random model built offline
(tests/tinymodels.py): a check that batching works end to end, not the GPU figure.

    .venv/bin/python bench/llm_batching.py [--model PATH] [--summaries 16] [--cpu] [--tiny]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpus import records  # noqa: E402
from referral.config import Settings  # noqa: E402
from referral.summary.llm import TransformersBackend  # noqa: E402
from referral.summary.source import SourcePage, text_page  # noqa: E402


def corpus_pages(count: int) -> list[list[SourcePage]]:
    """One referral's pages per summary: the corpus records' exact text, cycled to `count`."""
    texts = ["\n".join(record.pages_truth) for record in records()]
    return [[text_page(f"record-{index}", texts[index % len(texts)])] for index in range(count)]


def summaries_per_second(backend: TransformersBackend, referrals: list[list[SourcePage]], at_once: int) -> float:
    started = time.perf_counter()
    with ThreadPoolExecutor(at_once) as pool:
        list(pool.map(backend.summarize, referrals))
    return len(referrals) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=Settings().summary_model_path)
    parser.add_argument("--summaries", type=int, default=16)
    parser.add_argument("--cpu", action="store_true", help="measure on the CPU (no GPU figure)")
    parser.add_argument("--tiny", action="store_true", help="a tiny random model built offline (with --cpu)")
    args = parser.parse_args()
    import torch

    if not args.cpu and not torch.cuda.is_available():
        print("skipped: no CUDA GPU on this machine (torch.cuda.is_available() is False); the micro-batching goal "
              "(>= 4x) is measured on a GPU worker. `--cpu --tiny` checks the mechanism on the CPU.")  # fmt: skip
        return
    with tempfile.TemporaryDirectory(prefix="llm-batching-") as folder:
        model = args.model
        if args.tiny:
            from tests.tinymodels import build_causal

            model = build_causal(Path(folder) / "tiny-gpt2")
        if model is None:
            sys.exit("no model: give --model PATH or set REFERRAL_SUMMARY_MODEL_PATH (local weights only)")
        device = "cpu" if args.cpu else "cuda"
        chunk = 250 if args.tiny else 2000  # the tiny model reads 1,024 positions; Korean bytes take many
        referrals = corpus_pages(args.summaries)
        one_at_a_time = TransformersBackend(model, chunk, max_new_tokens=64, device=device, max_batch=1)
        summaries_per_second(one_at_a_time, referrals[:1], 1)  # warm: weights on the device, kernels compiled
        alone = summaries_per_second(one_at_a_time, referrals, 1)
        batching = TransformersBackend(model, chunk, max_new_tokens=64, device=device, max_batch=8)
        summaries_per_second(batching, referrals[:1], 1)
        batched = summaries_per_second(batching, referrals, 8)
        calls, sizes = batching.generator.generate_calls, batching.generator.batch_sizes
    print(f"{args.summaries} summaries of the corpus's records, model {model.name} on {device}")
    print(f"one at a time: {alone:.2f} summaries/s; 8 concurrent, micro-batched: {batched:.2f} summaries/s")
    print(f"ratio {batched / alone:.2f}x (goal >= 4x on a GPU); {calls} generate calls, mean batch "
          f"{sum(sizes) / max(len(sizes), 1):.1f} prompts")  # fmt: skip


if __name__ == "__main__":
    main()
