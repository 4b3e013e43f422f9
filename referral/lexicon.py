"""The clinical lexicon (codes, drug names, lab names, units) shipped with the package."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml


@dataclass(frozen=True)
class Lexicon:
    codes: dict[str, str]
    drugs: tuple[str, ...]
    labs: tuple[str, ...]
    units: tuple[str, ...]


@cache
def clinical_lexicon() -> Lexicon:
    raw = yaml.safe_load(resources.files("referral").joinpath("data/clinical_lexicon.yaml").read_text("utf-8"))
    return Lexicon(
        codes={str(k): str(v) for k, v in raw["codes"].items()},
        drugs=tuple(raw["drugs"]),
        labs=tuple(raw["labs"]),
        units=tuple(raw["units"]),
    )
