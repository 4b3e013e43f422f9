"""Clinical conversations as dictation transcripts: PriMock57's time-stamped TextGrids (CC BY 4.0, Korfiatis et
al. 2022, see ../shared/data/DATA.md), doctor and patient tiers merged in time order."""

from __future__ import annotations

import re
from pathlib import Path

from referral.asr.models import Transcript, TranscriptSegment

_INTERVAL = re.compile(r'intervals \[\d+\]:\s*xmin = ([\d.]+)\s*xmax = ([\d.]+)\s*text = "(.*)"')
_MARKUP = re.compile(r"</?[A-Z]+/?>")


def primock_transcript(folder: Path, consultation: str, dictation_key: str) -> Transcript:
    segments = []
    for speaker in ("doctor", "patient"):
        text = (folder / f"{consultation}_{speaker}.TextGrid").read_text(encoding="utf-8")
        for start, end, said in _INTERVAL.findall(text):
            cleaned = " ".join(_MARKUP.sub(" ", said).split())
            if cleaned:
                segments.append(
                    TranscriptSegment(start=float(start), end=float(end), text=f"{speaker.title()}: {cleaned}")
                )
    segments.sort(key=lambda s: s.start)
    return Transcript(
        dictation_key=dictation_key,
        language="en",
        backend="primock57-human",
        duration_s=segments[-1].end,
        speech_s=sum(s.end - s.start for s in segments),
        chunks=1,
        silent_chunks=0,
        segments=segments,
    )
