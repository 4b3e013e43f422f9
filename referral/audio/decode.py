"""Streaming decode of a recording to 16 kHz mono PCM with PyAV (FFmpeg), in small blocks: memory stays
bounded by the block size whatever the recording's length."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import av
import numpy as np

from referral.models import AudioMediaType

SAMPLE_RATE = 16_000

# container formats FFmpeg reports, by the media type we store
_FORMATS: dict[str, AudioMediaType] = {
    "wav": "audio/wav",
    "flac": "audio/flac",
    "mp3": "audio/mpeg",
    "ogg": "audio/ogg",
    "mov,mp4,m4a,3gp,3g2,mj2": "audio/mp4",
    "matroska,webm": "audio/webm",
}


class AudioUndecodable(ValueError):
    """The bytes are not a recording in one of the accepted formats, or it does not decode to the end."""


@dataclass(frozen=True)
class PcmBlock:
    start_s: float
    samples: np.ndarray  # int16, mono, SAMPLE_RATE


def sniff_audio(data: bytes) -> AudioMediaType | None:
    head = data[:64]
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if head[:4] == b"fLaC":
        return "audio/flac"
    if head[:4] == b"OggS":
        return "audio/ogg"
    if head[4:8] == b"ftyp":
        return "audio/mp4"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "audio/webm"
    if head[:3] == b"ID3" or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "audio/mpeg"
    return None


def _open(source: bytes | BinaryIO) -> av.container.InputContainer:
    stream = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        return av.open(stream, mode="r")
    except (av.FFmpegError, ValueError) as err:
        raise AudioUndecodable(f"not a decodable recording ({type(err).__name__})") from None


def container_media_type(source: bytes) -> AudioMediaType:
    with _open(source) as container:
        media_type = _FORMATS.get(container.format.name)
        if media_type is None:
            raise AudioUndecodable(f"unsupported container {container.format.name!r}")
        return media_type


def iter_pcm(source: bytes | BinaryIO, block_s: float = 0.5) -> Iterator[PcmBlock]:
    """Decode the first audio stream to blocks of `block_s` seconds (the last may be shorter)."""
    block = int(SAMPLE_RATE * block_s)
    with _open(source) as container:
        if not container.streams.audio:
            raise AudioUndecodable("the file has no audio stream")
        resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
        pending: list[np.ndarray] = []
        held, emitted = 0, 0
        try:
            frames = container.decode(audio=0)
            for frame in frames:
                for out in resampler.resample(frame):
                    pending.append(out.to_ndarray().reshape(-1))
                    held += pending[-1].size
                while held >= block:
                    joined = np.concatenate(pending)
                    yield PcmBlock(emitted / SAMPLE_RATE, joined[:block])
                    emitted += block
                    pending, held = [joined[block:]], joined.size - block
            for out in resampler.resample(None):
                pending.append(out.to_ndarray().reshape(-1))
        except (av.FFmpegError, ValueError) as err:
            raise AudioUndecodable(f"the recording does not decode ({type(err).__name__})") from None
        rest = np.concatenate(pending) if pending else np.zeros(0, np.int16)
        for offset in range(0, rest.size, block):
            yield PcmBlock((emitted + offset) / SAMPLE_RATE, rest[offset : offset + block])
