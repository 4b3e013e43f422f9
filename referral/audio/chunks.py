"""Speech in a recording: frame energy tells speech from silence, and long recordings are cut into chunks of at
most `max_s` seconds at the quietest moment near each boundary, so no word is split where it can be helped."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from referral.audio.decode import SAMPLE_RATE, PcmBlock

FRAME = SAMPLE_RATE * 30 // 1000  # 30 ms
SPEECH_DBFS = -45.0


@dataclass(frozen=True)
class SpeechChunk:
    index: int
    start_s: float
    samples: np.ndarray  # int16 mono 16 kHz
    speech_s: float

    @property
    def end_s(self) -> float:
        return self.start_s + self.samples.size / SAMPLE_RATE


@dataclass(frozen=True)
class AudioMeasure:
    duration_s: float
    speech_s: float


def frame_levels(samples: np.ndarray) -> np.ndarray:
    """dBFS of each whole 30 ms frame."""
    usable = samples[: samples.size - samples.size % FRAME].astype(np.float32).reshape(-1, FRAME)
    rms = np.sqrt(np.mean(np.square(usable / 32768.0), axis=1)) if usable.size else np.zeros(0, np.float32)
    return np.asarray(20 * np.log10(np.maximum(rms, 1e-9)))


def speech_seconds(samples: np.ndarray, threshold_db: float = SPEECH_DBFS) -> float:
    return float(np.count_nonzero(frame_levels(samples) > threshold_db) * FRAME / SAMPLE_RATE)


def measure(blocks: Iterable[PcmBlock], threshold_db: float = SPEECH_DBFS) -> AudioMeasure:
    duration = speech = 0.0
    for block in blocks:
        duration += block.samples.size / SAMPLE_RATE
        speech += speech_seconds(block.samples, threshold_db)
    return AudioMeasure(duration, speech)


def _cut_point(samples: np.ndarray, search: int) -> int:
    """The start of the quietest frame within the last `search` samples (frame-aligned)."""
    window_start = max(0, samples.size - search)
    window_start -= window_start % FRAME
    levels = frame_levels(samples[window_start:])
    if levels.size == 0:
        return samples.size
    return window_start + int(np.argmin(levels)) * FRAME or samples.size


def speech_chunks(
    blocks: Iterable[PcmBlock], max_s: float = 30.0, search_s: float = 5.0, threshold_db: float = SPEECH_DBFS
) -> Iterator[SpeechChunk]:
    """Every chunk of the recording in order (silent ones too, with speech_s 0, so callers can count them)."""
    limit, search = int(max_s * SAMPLE_RATE), int(search_s * SAMPLE_RATE)
    pending: list[np.ndarray] = []
    held, start, index = 0, 0, 0
    for block in blocks:
        pending.append(block.samples)
        held += block.samples.size
        while held >= limit:
            joined = np.concatenate(pending)
            cut = _cut_point(joined[:limit], search)
            chunk = joined[:cut]
            yield SpeechChunk(index, start / SAMPLE_RATE, chunk, speech_seconds(chunk, threshold_db))
            index, start = index + 1, start + cut
            pending, held = [joined[cut:]], joined.size - cut
    if held:
        rest = np.concatenate(pending)
        yield SpeechChunk(index, start / SAMPLE_RATE, rest, speech_seconds(rest, threshold_db))
