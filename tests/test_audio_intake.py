"""Dictation intake by content: every accepted container decodes; damaged, silent, over-long and foreign files
are refused with a clear code; a 2-hour recording is measured and chunked in bounded memory."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from referral.audio.chunks import speech_chunks
from referral.audio.decode import iter_pcm
from referral.audio.inspect import inspect_audio
from referral.config import IntakeLimits
from referral.documents import DocumentRejected
from tests.audio_fixtures import FORMATS, encode, long_recording, read_wav, silence


@pytest.fixture(scope="module")
def korean_speech(shared_data: Path) -> np.ndarray:
    return read_wav(shared_data / "speech" / "tts-demo" / "ko_krcore_phrases.wav")


@pytest.mark.parametrize("media_type", list(FORMATS))
def test_every_accepted_container_decodes_to_the_same_length(korean_speech: np.ndarray, media_type: str) -> None:
    inspected = inspect_audio(encode([korean_speech], media_type), IntakeLimits())
    assert inspected.media_type == media_type
    assert inspected.duration_s == pytest.approx(korean_speech.size / 16_000, abs=0.1)
    assert 10 < inspected.speech_s < inspected.duration_s  # the TTS pauses between phrases


def refused(data: bytes, limits: IntakeLimits | None = None) -> str:
    with pytest.raises(DocumentRejected) as err:
        inspect_audio(data, limits or IntakeLimits())
    assert str(err.value)  # a message a clinician can act on
    return err.value.code


def test_damaged_and_foreign_files_are_refused(korean_speech: np.ndarray) -> None:
    wav = encode([korean_speech], "audio/wav")
    m4a = encode([korean_speech], "audio/mp4")
    assert refused(b"") == "empty"
    assert refused("환자 기록입니다".encode() * 100) == "unsupported_type"
    assert refused(wav[:44]) == "corrupt_audio"  # a header that promises samples, and none
    assert refused(b"RIFF\x24\x00\x00\x00WAVEjunk" + bytes(range(256)) * 40) == "corrupt_audio"
    assert refused(m4a[: len(m4a) // 3]) == "corrupt_audio"  # truncated M4A: its index is missing
    assert refused(b"fLaC" + bytes(1000)) == "corrupt_audio"
    assert refused(b"OggS" + np.random.default_rng(1).bytes(5000)) == "corrupt_audio"


def test_silence_and_faint_noise_hold_no_speech() -> None:
    assert refused(encode([silence(20)], "audio/flac")) == "no_speech"
    hiss = (np.random.default_rng(7).normal(0, 40, 16_000 * 20)).astype(np.int16)  # about -58 dBFS
    assert refused(encode([hiss], "audio/ogg")) == "no_speech"


def test_limits_on_size_and_length(korean_speech: np.ndarray) -> None:
    data = encode([korean_speech], "audio/wav")
    assert refused(data, IntakeLimits(max_audio_bytes=1000)) == "too_large"
    assert refused(data, IntakeLimits(max_audio_seconds=10)) == "too_long"


def test_two_hour_recording_is_chunked_in_bounded_memory(korean_speech: np.ndarray) -> None:
    recording = long_recording(korean_speech, hours=2)
    inspected = inspect_audio(recording, IntakeLimits())
    assert inspected.duration_s == pytest.approx(7200, abs=0.5)
    tracemalloc.start()
    try:
        chunks = speech = 0
        covered = 0.0
        for chunk in speech_chunks(iter_pcm(recording), max_s=30):
            assert chunk.samples.size <= 30 * 16_000 and chunk.start_s == pytest.approx(covered, abs=1e-6)
            covered = chunk.end_s
            chunks += 1
            speech += chunk.speech_s > 0.2
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert covered == pytest.approx(7200, abs=0.5) and chunks >= 240 and speech == 1
    pcm_bytes = 7200 * 16_000 * 2  # 230 MB if decoded at once
    assert peak < 16 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB while chunking {pcm_bytes / 1e6:.0f} MB of PCM"


def test_chunks_are_cut_in_a_pause(korean_speech: np.ndarray) -> None:
    # 4 × the 16 s recording in a row: a 30 s limit must cut inside the pauses between phrases, not mid-word
    blocks = iter_pcm(encode([korean_speech] * 4, "audio/flac"))
    chunks = list(speech_chunks(blocks, max_s=30, search_s=5))
    assert len(chunks) >= 3
    for chunk in chunks[:-1]:
        tail = chunk.samples[-480:].astype(np.float64)
        assert 25 <= chunk.samples.size / 16_000 <= 30
        assert np.sqrt(np.mean(tail**2)) < 200  # the cut frame is quiet
