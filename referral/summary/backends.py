"""Summarisation backends behind one interface, chosen by configuration (REFERRAL_SUMMARY_BACKEND)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from referral.config import Settings
from referral.summary.extractor import BACKEND, extract
from referral.summary.models import ClinicalSummary
from referral.summary.source import SourcePage

Progress = Callable[[int], None]


class SummaryBackend(Protocol):
    name: str

    def summarize(self, pages: list[SourcePage], progress: Progress | None = None) -> ClinicalSummary: ...


class ExtractorBackend:
    """The offline default: deterministic, every item a span of the source."""

    name = BACKEND

    def summarize(self, pages: list[SourcePage], progress: Progress | None = None) -> ClinicalSummary:
        return extract(pages)


def open_backend(settings: Settings) -> SummaryBackend:
    if settings.summary_backend == "transformers":
        if settings.summary_model_path is None:
            raise RuntimeError(
                "REFERRAL_SUMMARY_MODEL_PATH must name a local model folder for the transformers backend"
            )
        from referral.summary.llm import TransformersBackend

        return TransformersBackend(settings.summary_model_path, max_new_tokens=settings.summary_max_new_tokens)
    return ExtractorBackend()
