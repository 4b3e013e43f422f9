"""ASR on the GPU worker's task queue: a dictation is decoded in bounded chunks, silent chunks are skipped, each
speech chunk is transcribed, and progress is heartbeated so a restarted attempt resumes at the next chunk.
The transcript (timed segments) is stored as an object; the workflow carries only its key."""

from __future__ import annotations

import threading
from collections.abc import Callable

from pydantic import BaseModel, Field
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.stored import read_stored
from flows.referral.io import TranscriptSummary
from referral.asr.backends import AsrBackend, AsrUnavailable
from referral.asr.models import Transcript, TranscriptSegment
from referral.audio.chunks import speech_chunks
from referral.audio.decode import AudioUndecodable, iter_pcm
from referral.models import DictationRef
from referral.storage import DocumentStore

MIN_CHUNK_SPEECH_S = 0.2


class TranscribeInput(BaseModel):
    dictation: DictationRef
    chunk_s: float = Field(default=30.0, gt=1, le=30)


class _Progress(BaseModel):
    next_chunk: int = 0
    silent: int = 0
    speech_s: float = 0.0
    segments: list[TranscriptSegment] = Field(default_factory=list)


class TranscribeActivities:
    def __init__(self, store: DocumentStore, open_backend: Callable[[], AsrBackend]) -> None:
        self.store = store
        self._open_backend = open_backend
        self._backend: AsrBackend | None = None
        self._lock = threading.Lock()

    def backend(self) -> AsrBackend:
        with self._lock:  # loaded on first use: a worker that never sees a dictation never loads a model
            if self._backend is None:
                self._backend = self._open_backend()
            return self._backend

    @activity.defn
    def transcribe_dictation(self, inp: TranscribeInput) -> TranscriptSummary:
        dictation = inp.dictation
        data = read_stored(self.store, dictation.key, "dictation")
        try:
            backend = self.backend()
        except (AsrUnavailable, FileNotFoundError) as err:
            raise ApplicationError(str(err), type="AsrUnavailable", non_retryable=True) from None
        details = activity.info().heartbeat_details
        progress = _Progress.model_validate(details[0]) if details else _Progress()
        chunks = 0
        try:
            for chunk in speech_chunks(iter_pcm(data), max_s=inp.chunk_s):
                chunks += 1
                if chunk.index < progress.next_chunk:
                    continue  # done by an earlier attempt
                if chunk.speech_s < MIN_CHUNK_SPEECH_S:
                    progress.silent += 1
                else:
                    progress.speech_s += chunk.speech_s
                    progress.segments += backend.transcribe(chunk, dictation.language)
                progress.next_chunk = chunk.index + 1
                activity.heartbeat(progress.model_dump(mode="json"))
        except AudioUndecodable as err:
            raise ApplicationError(str(err), type="AudioUndecodable", non_retryable=True) from None
        except AsrUnavailable as err:
            raise ApplicationError(str(err), type="AsrUnavailable", non_retryable=True) from None
        if not progress.segments:
            raise ApplicationError("no words were recognised in the dictation", type="NoSpeechRecognised",
                                   non_retryable=True)  # fmt: skip
        transcript = Transcript(
            dictation_key=dictation.key, language=dictation.language, backend=backend.name,
            duration_s=dictation.duration_s, speech_s=round(progress.speech_s, 2), chunks=chunks,
            silent_chunks=progress.silent, segments=progress.segments,
        )  # fmt: skip
        stored = self.store.put(transcript.model_dump_json().encode(), "application/json")
        return TranscriptSummary(
            dictation_key=dictation.key, transcript_key=stored.key, backend=backend.name, language=dictation.language,
            duration_s=dictation.duration_s, segments=len(transcript.segments), chunks=chunks,
            silent_chunks=progress.silent,
        )  # fmt: skip
