"""Cost of the dictation path against plain Vosk: the same Korean recording transcribed (a) by a plain loop that
feeds Vosk the whole PCM file, and (b) by the system's path (decode with PyAV, chunk in pauses, skip silence,
transcribe chunk by chunk, heartbeat, store the transcript). Also a recording padded with silence, where skipping
silent chunks should make the system cheaper than feeding everything, and the peak of Python allocations.

    .venv/bin/python bench/asr_overhead.py [--repeat 3] [--silence-min 10]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
from temporalio.testing import ActivityEnvironment

from activities.transcribe import TranscribeActivities, TranscribeInput
from referral.asr.vosk import VoskBackend, packaged_korean_model
from referral.audio.decode import iter_pcm
from referral.models import DictationRef
from referral.storage.local import LocalFolderStore

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the test fixtures make the recordings
from tests.audio_fixtures import encode, read_wav, silence  # noqa: E402

SPEECH = ROOT.parent / "shared" / "data" / "speech" / "tts-demo" / "ko_krcore_phrases.wav"


def plain_vosk(data: bytes) -> tuple[float, int]:
    import vosk

    model = vosk.Model(str(packaged_korean_model()))
    start = time.perf_counter()
    recognizer = vosk.KaldiRecognizer(model, 16_000)
    recognizer.SetWords(True)
    pcm = np.concatenate([b.samples for b in iter_pcm(data)])
    words = 0
    for offset in range(0, pcm.size, 4000):
        if recognizer.AcceptWaveform(pcm[offset : offset + 4000].tobytes()):
            words += len(json.loads(recognizer.Result()).get("result", []))
    words += len(json.loads(recognizer.FinalResult()).get("result", []))
    return time.perf_counter() - start, words


def system(data: bytes, store: LocalFolderStore, activities: TranscribeActivities) -> tuple[float, int, int]:
    stored = store.put(data, "audio/flac")
    dictation = DictationRef(key=stored.key, sha256=stored.sha256, media_type="audio/flac", duration_s=1.0,
                             size_bytes=len(data), filename="bench.flac")  # fmt: skip
    tracemalloc.start()
    start = time.perf_counter()
    summary = ActivityEnvironment().run(activities.transcribe_dictation, TranscribeInput(dictation=dictation))
    elapsed = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return elapsed, summary.segments, peak


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--silence-min", type=float, default=10)
    args = parser.parse_args()
    speech = read_wav(SPEECH)
    recordings = {
        "speech only (16.1 s)": encode([speech], "audio/flac"),
        f"speech + {args.silence_min:g} min silence": encode([speech, silence(args.silence_min * 60)], "audio/flac"),
    }
    backend = VoskBackend()
    with tempfile.TemporaryDirectory() as folder:
        store = LocalFolderStore(Path(folder))
        activities = TranscribeActivities(store, lambda: backend)
        system(recordings["speech only (16.1 s)"], store, activities)  # load the model once, outside the timing
        header = ["recording", "plain Vosk (whole PCM)", "system (chunks, silence skipped)", "ratio system/plain",
                  "peak Python alloc"]  # fmt: skip
        print("| " + " | ".join(header) + " |")
        print("|---|---|---|---|---|")
        for label, data in recordings.items():
            plain = min(plain_vosk(data)[0] for _ in range(args.repeat))
            runs = [system(data, store, activities) for _ in range(args.repeat)]
            best = min(r[0] for r in runs)
            peak = max(r[2] for r in runs)
            print(f"| {label} | {plain:.2f} s | {best:.2f} s | **{best / plain:.3f}** | {peak / 1e6:.1f} MB |")


if __name__ == "__main__":
    main()
