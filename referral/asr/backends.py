"""The ASR interface. A backend turns one chunk of speech into timed segments (times from the recording's start);
the activity walks the chunks, skips silent ones and heartbeats between them."""

from __future__ import annotations

from typing import Protocol

from referral.asr.models import TranscriptSegment
from referral.audio.chunks import SpeechChunk
from referral.config import Settings


class AsrUnavailable(RuntimeError):
    """No model for this language or backend on this worker (a configuration problem, not a bad recording)."""


class AsrBackend(Protocol):
    name: str

    def transcribe(self, chunk: SpeechChunk, language: str) -> list[TranscriptSegment]: ...


def open_asr_backend(settings: Settings) -> AsrBackend:
    if settings.asr_backend == "whisper":
        if settings.asr_model_path is None:
            raise AsrUnavailable("REFERRAL_ASR_MODEL_PATH must name a local Whisper folder for the whisper backend")
        from referral.asr.whisper import WhisperBackend

        return WhisperBackend(settings.asr_model_path, settings.asr_max_new_tokens)
    from referral.asr.vosk import VoskBackend

    return VoskBackend(settings.asr_vosk_models)
