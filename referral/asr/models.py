"""A dictation's transcript: timed segments, stored as an object beside the recording."""

from __future__ import annotations

from pydantic import BaseModel, Field


class TranscriptSegment(BaseModel):
    start: float = Field(ge=0, description="seconds from the start of the recording")
    end: float
    text: str
    confidence: float | None = None


class Transcript(BaseModel):
    dictation_key: str
    language: str
    backend: str
    duration_s: float
    speech_s: float
    chunks: int
    silent_chunks: int = Field(description="chunks without speech, not sent to the recogniser")
    segments: list[TranscriptSegment] = Field(default_factory=list)

    def text(self) -> str:
        return "\n".join(s.text for s in self.segments)

    def time_at(self, offset: int) -> float | None:
        """The start time of the segment holding character `offset` of `text()`."""
        position = 0
        for segment in self.segments:
            position += len(segment.text) + 1
            if offset < position:
                return segment.start
        return None
