"""The extractor's vocabularies, loaded from the data files that name their sources: table column headings,
study types, Korean drug names, medication status words and laboratory test names."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from referral.lexicon import clinical_lexicon, load_data, misread_units


def squeeze(text: str) -> str:
    """A heading as compared: no spaces, case folded."""
    return re.sub(r"\s+", "", text).casefold()


def _alternation(terms: list[str], joined: bool = False, valued: bool = False) -> str:
    """Longest first; a Latin term of three letters or fewer stands alone and keeps its case. `joined`: a term
    that starts with a capital may follow a small letter with no space, as a scan's OCR loses the space between
    a body part and a study ("ChestCT", "ChestX-ray"), or between a study and the body part after it
    ("MRIBrain"); not for tests and drugs, where a small letter before is part of the name (pRBC, hsCRP). A term
    in capitals may follow a date with no space ("2027.01.05EGD"). `valued`: a test's name of two or three letters
    may run into its value ("GGT52 U/L"); the reader then wants the unit after the value."""
    parts = []
    for term in sorted(set(terms), key=len, reverse=True):
        escaped = re.escape(term).replace(r"\ ", r"\s*")
        if re.fullmatch(r"[A-Za-z0-9]{1,3}", term):
            before = r"(?<![A-Z0-9])" if joined and re.fullmatch(r"[A-Z]{2,3}", term) else r"(?<![A-Za-z0-9])"
            after = r"(?![A-Za-z])" if valued and re.fullmatch(r"[A-Za-z]{2,3}", term) else r"(?![A-Za-z0-9])"
            if joined and re.fullmatch(r"[A-Z]{2,3}", term):  # or a body part after it ("CTAbdomen")
                after = rf"(?:{after}|(?=[A-Z][a-z]{{2}}))"
            if re.fullmatch(r"[A-Z]{2,3}", term):  # or the date it was done before it ("2027.01.05EGD")
                before = rf"(?:{before}|(?<=\d[./-]\d\d))"
            parts.append(rf"(?-i:{before}{escaped}{after})")
        elif joined and re.match(r"[A-Z]", term):
            parts.append(rf"(?-i:(?<![A-Z])){escaped}(?![a-z])")
        elif re.match(r"[A-Za-z]", term):  # a capital may follow with no space: a route a scan ran on ("MorphineIV2mg")
            parts.append(rf"(?<![A-Za-z]){escaped}(?-i:(?![a-z]))")
        else:
            parts.append(escaped)
    return "|".join(parts)


def _run_into(terms: list[str], before: list[str]) -> str:
    """An abbreviation in capitals right after what a scan may run into it with the space lost ("mLCXPTCA",
    "s/pFNA"); each look-behind is one fixed word, as Python's re requires."""
    behind = "|".join(f"(?<={re.escape(word)})" for word in sorted(before, key=len, reverse=True))
    capitals = "|".join(sorted((t for t in terms if re.fullmatch(r"[A-Z]{2,5}", t)), key=len, reverse=True))
    return rf"(?-i:(?:{behind})(?:{capitals})(?![A-Za-z0-9]))"


def _ingredients(drugs: dict[str, Any]) -> list[str]:
    """English names: the ingredients the Korean names map to, and the hospital drugs listed on their own."""
    named = {part.strip() for value in [*drugs["products"].values(), *drugs["korean_generics"].values()]
             for part in value.split("/")}  # fmt: skip
    return sorted(named | set(drugs["ingredients"]))


@dataclass(frozen=True)
class Vocabulary:
    columns: dict[str, str]  # squeezed heading -> column kind
    modality: re.Pattern[str]
    modality_of: dict[str, str]  # squeezed printed term -> study type
    drug: re.Pattern[str]  # a known drug name: English generic, Korean product or Korean generic
    ingredient_of: dict[str, str]  # squeezed Korean name -> ingredient
    product: re.Pattern[str]  # a Korean product name by its shape: a name ending in a dosage form
    brand: re.Pattern[str]  # a Korean product named without its dosage form: 플라빅스 of 플라빅스정
    unit_read_as: dict[str, str]  # a unit as a scan misreads one letter of it ("mg/dt") → the unit (mg/dL)
    spaced_product: re.Pattern[str]  # a product name a scan split into syllables, its strength right after it
    status_cues: dict[str, re.Pattern[str]]
    lab: re.Pattern[str]
    lab_names: frozenset[str]  # squeezed
    lab_read_as: dict[str, str]  # squeezed name as a scan reads a digit inside it ("hbalc") → the name (HbA1c)
    lab_unit: re.Pattern[str]
    qualitative: re.Pattern[str]
    antithrombotics: tuple[str, ...]
    procedure: re.Pattern[str]


def _names_as_misread(names: list[str], digits: dict[str, list[str]], letters: dict[str, list[str]]) -> dict[str, str]:
    """Each name as a scan misreads it, where the reading is no other known name (hyphens aside) and no reading of
    another name: a digit between two letters read as a letter ("HbAlc" for HbA1c), a hyphen between two letters
    lost ("anti CCP"), and in a name of five characters or more one small letter read as another (`letters`), on
    the name or on its digit's reading. "Anti HBc" is Anti-HBc with its hyphen lost, never Anti-HBe misread."""

    def loose(text: str) -> str:
        return squeeze(text).replace("-", "")

    known = {loose(name) for name in names}
    read_by: dict[str, set[str]] = {}
    for name in names:
        reads = {
            name[: m.start()] + letter + name[m.end() :]
            for m in re.finditer(r"(?<=[A-Za-z])\d(?=[A-Za-z])", name)
            for letter in digits.get(m.group(0), [])
        }
        reads |= {re.sub(r"(?<=[A-Za-z])-(?=[A-Za-z])", " ", name)}
        if len(name) >= 5:
            reads |= {
                read[: m.start()] + other + read[m.end() :]
                for read in {name, *reads}
                for m in re.finditer(r"[a-z]", read)
                for other in letters.get(m.group(0), [])
            }
        for read in reads:
            if loose(read) != loose(name) and loose(read) in known:
                continue  # another test's name
            read_by.setdefault(read, set()).add(name)
    exact = {squeeze(name) for name in names}
    return {read: next(iter(by)) for read, by in read_by.items() if len(by) == 1 and squeeze(read) not in exact}


def spaced_syllables(pattern: str) -> str:
    """A Korean word as a scan's OCR may space it: "중 단" for 중단, one space at most between two syllables."""
    return re.sub(r"(?<=[가-힣])(?=[가-힣])", lambda _: r"\s?", pattern)


def _brands(products: dict[str, str], forms: str) -> list[str]:
    """Product names without their dosage form (the way a note names them: "자렐토 중단"), two syllables or more."""
    ending = re.compile(rf"(?:{forms})$")
    return [stem for name in products if len(stem := ending.sub("", name)) >= 2 and stem != name]


@cache
def vocabulary() -> Vocabulary:
    columns = {squeeze(h): kind for kind, headings in load_data("table_columns.yaml").items() for h in headings}
    modalities: dict[str, list[str]] = load_data("modalities.yaml")
    drugs = load_data("drug_products.yaml")
    korean = {**drugs["products"], **drugs["korean_generics"]}
    status = load_data("medication_status.yaml")
    labs = load_data("lab_tests.yaml")
    procedures = load_data("procedures.yaml")
    lab_names = sorted(set(labs["names"]) | set(clinical_lexicon().labs))
    lab_misread = _names_as_misread(lab_names, load_data("ocr_digit_letters.yaml"), load_data("ocr_name_letters.yaml"))
    korean_labs = rf"(?<![가-힣])(?:{_alternation(labs['korean_names'])})(?![가-힣])"  # 혈당, not 고혈당증's
    forms = "|".join(sorted(drugs["dosage_forms"], key=len, reverse=True))
    units = set(labs["units"]) | set(clinical_lexicon().units)
    misread = misread_units(units, load_data("ocr_unit_letters.yaml"))
    return Vocabulary(
        columns=columns,
        modality=re.compile(_alternation([t for terms in modalities.values() for t in terms], joined=True), re.I),
        modality_of={squeeze(t): kind for kind, terms in modalities.items() for t in terms},
        drug=re.compile(_alternation([*clinical_lexicon().drugs, *korean, *_ingredients(drugs)]), re.I),
        ingredient_of={squeeze(k): v for k, v in korean.items()},
        product=re.compile(rf"(?<![가-힣A-Za-z])[가-힣][가-힣A-Za-z]{{1,20}}?(?:{forms})(?![가-힣])"),
        spaced_product=re.compile(  # "트윈 스 타정40/5mg", "자누 비 아 정 100mg", "가나다라 정5mg": OCR spaces
            # inside one printed name, or before its dosage form; never right after a digit ("1정 주 1회": a count)
            rf"(?<![가-힣A-Za-z0-9])[가-힣]{{1,10}}(?:(?:\s[가-힣]{{1,2}}){{1,2}}\s?|\s)(?:{forms})(?![가-힣])(?=\s?\d)"
        ),
        brand=re.compile(rf"(?<![가-힣])(?:{_alternation(_brands(drugs['products'], forms))})"),
        status_cues={kind: re.compile(spaced_syllables(_alternation(cues)), re.I) for kind, cues in status.items()},
        lab=re.compile(rf"{_alternation([*lab_names, *lab_misread], valued=True)}|{korean_labs}", re.I),
        lab_names=frozenset(squeeze(n) for n in [*lab_names, *lab_misread, *labs["korean_names"]]),
        lab_read_as={squeeze(read): name for read, name in lab_misread.items()},
        lab_unit=re.compile(_alternation(list(units) + list(misread))),
        unit_read_as=misread,
        qualitative=re.compile(_alternation(labs["qualitative"]), re.I),
        antithrombotics=tuple(drugs["antithrombotics"]),
        procedure=re.compile(
            # a scan may space a Korean term's syllables ("관상동맥중재 술"); 수술실, 수술시간, 수술일 are no
            # operations, where "ESD시행" (the space lost) is one
            rf"(?:{spaced_syllables(_alternation(procedures['terms']))})(?:(?<![가-힣])|(?![실시일명장]))"
            + rf"|\b[A-Za-z]+(?:{'|'.join(procedures['endings'])})\b"
            + rf"|{_run_into(procedures['terms'], procedures['runs_into'])}",
            re.I,
        ),
    )


def lab_as_named(name: str, unit: str | None) -> tuple[str, str | None]:
    """A test's name and unit as the vocabulary names them, from what a scan read ("HbAlc" is HbA1c, "mg/dt" is
    mg/dL); anything else as read. The evidence keeps what the page shows."""
    vocab = vocabulary()
    return vocab.lab_read_as.get(squeeze(name), name), vocab.unit_read_as.get(unit, unit) if unit else None


def study_type(printed: str) -> str:
    return vocabulary().modality_of.get(squeeze(printed), printed)


def is_antithrombotic(name: str) -> bool:
    """An anticoagulant or antiplatelet drug (what a pre-anaesthesia assessment must see, with its stop date)."""
    lowered = name.lower()
    return any(drug in lowered for drug in vocabulary().antithrombotics)


def ingredient(name: str) -> str | None:
    known = vocabulary().ingredient_of.get(squeeze(name))
    if known:
        return known
    lowered = name.lower()
    return next((d for d in clinical_lexicon().drugs if d == lowered), None)


@cache
def statement_cues() -> dict[str, re.Pattern[str]]:
    """Pending-result and follow-up words (data/statement_cues.yaml) as patterns."""
    return {kind: re.compile(_alternation(cues), re.I) for kind, cues in load_data("statement_cues.yaml").items()}
