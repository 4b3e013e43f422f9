"""Intake check of a dictation, by content: what the recording really is (sniffed and confirmed by FFmpeg),
that it decodes to the end, how long it is, and that it holds speech at all."""

from __future__ import annotations

from dataclasses import dataclass

from referral.audio.chunks import measure
from referral.audio.decode import AudioMediaType, AudioUndecodable, container_media_type, iter_pcm, sniff_audio
from referral.config import IntakeLimits
from referral.documents import DocumentRejected


@dataclass(frozen=True)
class InspectedAudio:
    media_type: AudioMediaType
    duration_s: float
    speech_s: float


def inspect_audio(data: bytes, limits: IntakeLimits) -> InspectedAudio:
    if not data:
        raise DocumentRejected("empty", "recording is empty")
    if len(data) > limits.max_audio_bytes:
        raise DocumentRejected("too_large", f"recording is larger than the limit of {limits.max_audio_bytes} bytes")
    sniffed = sniff_audio(data)
    if sniffed is None:
        raise DocumentRejected(
            "unsupported_type", "unsupported recording: only WAV, FLAC, MP3, OGG, M4A and WebM are accepted"
        )
    try:
        media_type = container_media_type(data)
        if media_type != sniffed:
            raise AudioUndecodable(f"the file looks like {sniffed} but decodes as {media_type}")
        measured = measure(iter_pcm(data))
    except AudioUndecodable as err:
        raise DocumentRejected("corrupt_audio", f"recording cannot be decoded: {err}") from None
    if measured.duration_s > limits.max_audio_seconds:
        raise DocumentRejected(
            "too_long", f"recording lasts {measured.duration_s:.0f} s; the limit is {limits.max_audio_seconds:.0f} s"
        )
    if measured.speech_s < limits.min_speech_seconds:
        raise DocumentRejected("no_speech", "the recording holds no speech (silence or noise only)")
    return InspectedAudio(media_type, measured.duration_s, measured.speech_s)
