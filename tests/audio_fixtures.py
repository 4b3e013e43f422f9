"""Test recordings made at run time from the shared TTS demo audio (espeak-ng, CC BY 4.0 / CC0 text, see
../shared/data/DATA.md): the same speech in every accepted container, silence, a damaged file and a long one."""

from __future__ import annotations

import io
import wave
from collections.abc import Iterable
from pathlib import Path

import av
import numpy as np

RATE = 16_000
# container → (FFmpeg muxer, codec, file suffix)
FORMATS = {
    "audio/wav": ("wav", "pcm_s16le", ".wav"),
    "audio/flac": ("flac", "flac", ".flac"),
    "audio/mpeg": ("mp3", "libmp3lame", ".mp3"),
    "audio/ogg": ("ogg", "libopus", ".ogg"),
    "audio/mp4": ("mp4", "aac", ".m4a"),
    "audio/webm": ("webm", "libopus", ".webm"),
}


def read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path)) as wav:
        assert wav.getframerate() == RATE and wav.getnchannels() == 1 and wav.getsampwidth() == 2
        return np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16).copy()


def encode(blocks: Iterable[np.ndarray], media_type: str) -> bytes:
    """Encode int16 mono 16 kHz blocks into the container of `media_type`."""
    muxer, codec, _ = FORMATS[media_type]
    out = io.BytesIO()
    with av.open(out, mode="w", format=muxer) as container:
        rate = 48_000 if codec == "libopus" else RATE
        stream = container.add_stream(codec, rate=rate)
        stream.layout = "mono"  # type: ignore[union-attr]
        resampler = av.AudioResampler(
            format=stream.codec_context.codec.audio_formats[0].name,  # type: ignore[union-attr]
            layout="mono",
            rate=rate,
        )
        for block in blocks:
            frame = av.AudioFrame.from_ndarray(block.reshape(1, -1), format="s16", layout="mono")
            frame.sample_rate = RATE
            for resampled in resampler.resample(frame):
                container.mux(stream.encode(resampled))  # type: ignore[union-attr]
        for resampled in resampler.resample(None):
            container.mux(stream.encode(resampled))  # type: ignore[union-attr]
        container.mux(stream.encode(None))  # type: ignore[union-attr]
    return out.getvalue()


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE), dtype=np.int16)


def long_recording(speech: np.ndarray, hours: float, media_type: str = "audio/flac") -> bytes:
    """The speech, then silence up to `hours`, encoded block by block (never the whole PCM in memory)."""

    def blocks() -> Iterable[np.ndarray]:
        yield speech
        remaining = int(hours * 3600 * RATE) - speech.size
        block = silence(60)
        while remaining > 0:
            yield block[: min(block.size, remaining)]
            remaining -= block.size

    return encode(blocks(), media_type)
