"""The clinical lexicon (codes, drug names, lab names, units) shipped with the package."""

from __future__ import annotations

from collections.abc import Iterator
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


@cache
def modality_terms() -> frozenset[str]:
    """The Latin names of imaging studies and their abbreviations as modalities.yaml lists them ("CT", "X-ray")."""
    return frozenset(term for terms in load_data("modalities.yaml").values() for term in terms if term.isascii())


@cache
def latin_terms() -> frozenset[str]:
    """The Latin words the vocabularies name, lowered: printed names and the modalities' Latin names."""
    return printed_names() | {term.lower() for term in modality_terms()}


@cache
def korean_terms() -> frozenset[str]:
    """The Korean words of three syllables or more that the package's vocabularies print (drug products and their
    generic names, medical departments, lab names, section headings, the words of diagnosis names, the names of
    the network's hospitals, the headings of a result sheet's or a prescription's name column — not the other
    columns': 검사일 is one letter from 검사실, a word of its own): a scan's word one letter (자모) away from
    exactly one of them, and itself none of them, is read as that word."""
    drugs = load_data("drug_products.yaml")
    departments = load_data("medical_departments.yaml")
    headings = load_data("section_headings.yaml")
    hospitals = [i["name"] for region in load_data("network.yaml")["regions"] for i in region["institutions"]]
    columns = load_data("table_columns.yaml")
    words = {
        *(word for name in hospitals for word in name.split()),
        *columns["test"],
        *columns["drug"],
        *drugs["products"],
        *drugs["korean_generics"],
        *departments["codes"].values(),
        *(name for names in departments["subspecialties"].values() for name in names),
        *load_data("lab_tests.yaml")["korean_names"],
        *(heading for names in headings.values() for heading in names),
        *(word for name in clinical_lexicon().codes.values() for word in name.split()),
    }
    return frozenset(w for w in words if len(w) >= 3 and all("가" <= c <= "힣" for c in w))


@cache
def dosage_forms() -> tuple[str, ...]:
    """The dosage forms of two syllables or more that end a Korean product name (리리카캡슐, 엑셀론패취)."""
    return tuple(f for f in load_data("drug_products.yaml")["dosage_forms"] if len(f) >= 2)


def misread_units(units: set[str], letters: dict[str, list[str]], twice_from: int = 10) -> dict[str, str]:
    """Each unit with one letter read as a letter a scanner confuses it with (two letters, in a unit of
    `twice_from` characters or more), where only that unit fits (three characters or more: a lone "t" or "mt"
    after a number is no unit to guess). Never a letter in first place: "e/dL" may be what is left of mg/dL as
    well as g/dL misread, so it is no unit."""

    def misread_once(read: str, after: int) -> Iterator[tuple[str, int]]:
        for index in range(after, len(read)):
            for other in letters.get(read[index], []):
                if not (index == 0 and other.isalpha()):
                    yield read[:index] + other + read[index + 1 :], index + len(other)

    fits: dict[str, set[str]] = {}
    for unit in units:
        for once, next_index in misread_once(unit, 0):
            fits.setdefault(once, set()).add(unit)
            for twice, _ in misread_once(once, next_index) if len(unit) >= twice_from else ():
                fits.setdefault(twice, set()).add(unit)
    return {read: next(iter(known)) for read, known in fits.items()
            if len(known) == 1 and read not in units and len(read) >= 3}  # fmt: skip
