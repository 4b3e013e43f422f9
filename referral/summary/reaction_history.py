"""A drug's adverse reaction told in passing outside an allergy section, as an operation or an anaesthesia record
tells it: "Cefuroxime 경미한 두드러기 병력 있어 상의하여 투여", "페니실린에 두드러기 과거력". An allergy when
a reaction word (data/reaction_history.yaml) follows a Latin name, or a Korean word with 에, at most one severity
word between, and a history word follows the reaction; never where the record denies it ("발진 병력 없음")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from referral.lexicon import load_data
from referral.summary.vocabulary import vocabulary


@dataclass(frozen=True)
class ReactionHistory:
    start: int  # where the substance starts in the text
    end: int  # where the history word ends
    substance: str
    reaction: str


@cache
def _words() -> dict[str, list[str]]:
    words: dict[str, list[str]] = load_data("reaction_history.yaml")
    return words


def _any(kind: str) -> str:
    """Longest first, a space matching any run of spaces."""
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(_words()[kind], key=len, reverse=True))


@cache
def _pattern() -> re.Pattern[str]:
    return re.compile(
        rf"(?P<substance>(?<![A-Za-z])[A-Za-z][A-Za-z-]{{2,}}|(?<![가-힣])[가-힣]{{2,}}(?=에\s))(?:에)?\s+"
        rf"(?:(?:{_any('severity')})\s+)?(?P<reaction>{_any('reactions')})\s*(?:{_any('history')})"
        r"(?!\s*[이은도]?\s*(?:없|무(?![가-힣])|\(-\)))",
        re.I,
    )


def reaction_histories(text: str) -> list[ReactionHistory]:
    """Each reaction history the text tells. A reaction, a severity or a site is no substance ("심한 발진 병력",
    "skin rash history"), nor capitals the vocabulary does not know as a drug (a smudged word: "HSS")."""
    not_substances = {w.casefold() for kind in ("reactions", "severity", "sites") for w in _words()[kind]}
    return [ReactionHistory(m.start(), m.end(), m["substance"], m["reaction"]) for m in _pattern().finditer(text)
            if m["substance"].casefold() not in not_substances and _named(m["substance"])]  # fmt: skip


def _named(substance: str) -> bool:
    """A Korean word, a name written with small letters (Cefaclor), or capitals the vocabulary knows (NSAID)."""
    return (
        not substance.isascii() or bool(re.search(r"[a-z]", substance)) or bool(vocabulary().drug.fullmatch(substance))
    )
