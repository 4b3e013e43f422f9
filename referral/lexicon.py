"""The clinical lexicon (codes, drug names, lab names, units) shipped with the package."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml


def load_data(name: str) -> Any:
    """A data file of referral/data, parsed."""
    return yaml.safe_load(resources.files("referral").joinpath(f"data/{name}").read_text("utf-8"))


@dataclass(frozen=True)
class Lexicon:
    codes: dict[str, str]
    drugs: tuple[str, ...]
    labs: tuple[str, ...]
    units: tuple[str, ...]


@cache
def clinical_lexicon() -> Lexicon:
    raw = load_data("clinical_lexicon.yaml")
    return Lexicon(
        codes={str(k): str(v) for k, v in raw["codes"].items()},
        drugs=tuple(raw["drugs"]),
        labs=tuple(raw["labs"]),
        units=tuple(raw["units"]),
    )


@cache
def printed_names() -> frozenset[str]:
    """Every lab, drug and procedure name and dose frequency the package's vocabularies know (the lexicon's, the
    result sheets' of lab_tests.yaml, procedures.yaml's terms, dose_frequencies.yaml), lowered: a word a scan
    prints as one of these is read right, and no correction or second reading turns it into another ("AFP" is
    no misread "ALP", "qd" no misread "ad")."""
    lexicon = clinical_lexicon()
    names = [
        *lexicon.labs,
        *lexicon.drugs,
        *load_data("lab_tests.yaml")["names"],
        *load_data("procedures.yaml")["terms"],
        *load_data("dose_frequencies.yaml")["abbreviations"],
    ]
    return frozenset(n.lower() for n in names)
