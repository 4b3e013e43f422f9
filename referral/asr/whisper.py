"""transformers Whisper from a local folder (no hub access at run time): each chunk (≤30 s, Whisper's window) is
decoded with timestamp tokens, which become timed segments; a chunk without them is one segment."""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

import numpy as np

from referral.asr.models import TranscriptSegment
from referral.audio.chunks import SpeechChunk
from referral.audio.decode import SAMPLE_RATE

_TIMESTAMP = re.compile(r"^<\|(\d+\.\d+)\|>$")


class WhisperBackend:
    def __init__(self, folder: Path, max_new_tokens: int = 440) -> None:
        import torch
        from transformers import AutoTokenizer, WhisperFeatureExtractor, WhisperForConditionalGeneration

        if not (folder / "config.json").exists():
            raise FileNotFoundError(f"no Whisper model in {folder} (config.json missing)")
        self.device = "cuda" if torch.cuda.is_available() else "cpu"
        model: Any = WhisperForConditionalGeneration.from_pretrained(folder, local_files_only=True)
        self.model = model.to(self.device).eval()
        self.features = WhisperFeatureExtractor.from_pretrained(folder, local_files_only=True)
        self.tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
        self.max_new_tokens = max_new_tokens
        self.name = f"whisper:{folder.name}"
        self._lock = threading.Lock()  # one generate at a time per loaded model

    def transcribe(self, chunk: SpeechChunk, language: str) -> list[TranscriptSegment]:
        import torch

        audio = chunk.samples.astype(np.float32) / 32768.0
        inputs = self.features(audio, sampling_rate=SAMPLE_RATE, return_tensors="pt")
        with self._lock, torch.inference_mode():
            tokens = self.model.generate(
                inputs.input_features.to(self.device), language=language, task="transcribe",
                return_timestamps=True, max_new_tokens=self.max_new_tokens,
            )  # fmt: skip
        sequence = tokens if isinstance(tokens, torch.Tensor) else tokens["sequences"]
        return self._segments(sequence[0].tolist(), chunk)

    def _segments(self, ids: list[int], chunk: SpeechChunk) -> list[TranscriptSegment]:
        end_of_chunk = chunk.samples.size / SAMPLE_RATE
        segments: list[TranscriptSegment] = []
        start: float | None = None
        pending: list[int] = []
        special = set(self.tokenizer.all_special_ids)
        for token_id, token in zip(ids, self.tokenizer.convert_ids_to_tokens(ids), strict=True):
            stamp = _TIMESTAMP.match(str(token))
            if stamp is None:
                if token_id not in special:
                    pending.append(token_id)
                continue
            at = min(float(stamp.group(1)), end_of_chunk)
            if pending and start is not None:
                segments += self._segment(pending, start, max(at, start), chunk.start_s)
                pending = []
            start = at
        if pending:  # text after the last timestamp, or a chunk decoded without timestamps
            segments += self._segment(pending, start or 0.0, end_of_chunk, chunk.start_s)
        return segments

    def _segment(self, ids: list[int], start: float, end: float, offset: float) -> list[TranscriptSegment]:
        text: Any = self.tokenizer.decode(ids, skip_special_tokens=True)
        text = str(text).strip()
        if not text:
            return []
        return [TranscriptSegment(start=round(offset + start, 3), end=round(offset + end, 3), text=text)]
