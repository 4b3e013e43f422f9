"""Whether a laboratory value read from a page can be a result at all. OCR of a faxed table loses decimal points
(K 4.3 read as 43) and reads rulings as zeros ("00000"); such a reading is not taken into a draft. The value is
never corrected: the page, with its OCR checks, stays in front of the reviewer."""

from __future__ import annotations

import re
from functools import cache

from referral.lexicon import load_data
from referral.summary.vocabulary import lab_as_named, squeeze


@cache
def _limits() -> dict[str, tuple[str | None, float, float]]:
    data = load_data("lab_tests.yaml")["plausible"]
    return {squeeze(name): (limit["unit"], float(limit["low"]), float(limit["high"])) for name, limit in data.items()}


@cache
def _reported_in() -> dict[str, frozenset[str]]:
    kinds = load_data("lab_tests.yaml")["reported_in"].values()
    return {squeeze(test): frozenset(squeeze(u) for u in kind["units"]) for kind in kinds for test in kind["tests"]}


@cache
def _known_units() -> frozenset[str]:
    return frozenset(squeeze(u) for u in load_data("lab_tests.yaml")["units"])


def plausible_lab(name: str, value: str, unit: str | None) -> bool:
    number = value.lstrip("<>≤≥ ").replace(",", "")
    if re.fullmatch(r"0\d+(?:\.\d+)?", number):
        return False  # "043", "00000": no printed result has a leading zero before more digits
    name, unit = lab_as_named(name, unit)  # judged as the test it is read as: "HbAlc 71" is HbA1c's 71, no result
    test = squeeze(re.sub(r"\s*\([^)]*\)\s*$", "", name))
    units = _reported_in().get(test)
    if units and unit is not None and squeeze(unit) in _known_units() and squeeze(unit) not in units:
        return False  # a known unit of another kind ("ALP … ng/mL"): the name or the unit was misread
    limit = _limits().get(test)
    if limit is None or not re.fullmatch(r"\d+(?:\.\d+)?", number):
        return True
    usual, low, high = limit
    if unit is not None and usual is not None and squeeze(unit) != squeeze(usual):
        return True  # another unit (glucose in mmol/L): these limits do not apply
    return low <= float(number) <= high
