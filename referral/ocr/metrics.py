"""Measures of OCR quality used by the tests and bench/: character error rate and fact survival."""

from __future__ import annotations

import re

from rapidfuzz.distance import Levenshtein

_SPACE = re.compile(r"\s+")


def _squash(text: str) -> str:
    return _SPACE.sub("", text)


def character_error_rate(reference: str, hypothesis: str) -> float:
    """Edit distance over reference length, whitespace ignored (Tesseract's Korean spacing is not content)."""
    ref, hyp = _squash(reference), _squash(hypothesis)
    return Levenshtein.distance(ref, hyp) / max(1, len(ref))


def fact_survival(facts: list[str], text: str) -> float:
    """Share of facts (codes, drug names, values) found verbatim in the OCR text, whitespace ignored."""
    haystack = _squash(text)
    return sum(_squash(f) in haystack for f in facts) / max(1, len(facts))


def missing_facts(facts: list[str], text: str) -> list[str]:
    haystack = _squash(text)
    return [f for f in facts if _squash(f) not in haystack]
