"""Does a romanised name (Gildong Hong, HONG GIL-DONG) spell a Korean one (홍길동)?

The given name is romanised by the Revised Romanization's letter rules and compared loosely (g/k, d/t, b/p, r/l,
eo/u-style vowel spellings merge), since people spell their names in many ways; the family name must be one of its
known spellings (referral/data/surname_romanisations.yaml)."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

import yaml

_INITIAL = ["g", "kk", "n", "d", "tt", "r", "m", "b", "pp", "s", "ss", "", "j", "jj", "ch", "k", "t", "p", "h"]
_MEDIAL = ["a", "ae", "ya", "yae", "eo", "e", "yeo", "ye", "o", "wa", "wae", "oe", "yo", "u", "wo", "we", "wi",
           "yu", "eu", "ui", "i"]  # fmt: skip
_FINAL = ["", "k", "k", "k", "n", "n", "n", "t", "l", "k", "m", "l", "l", "l", "p", "l", "m", "p", "p", "t", "t",
          "ng", "t", "t", "k", "t", "p", "t"]  # fmt: skip
# spellings that differ only in conventions: merged before comparing
_LOOSE = [("eo", "u"), ("ou", "u"), ("oo", "u"), ("o", "u"), ("ee", "i"), ("ea", "i"), ("sh", "s"), ("ch", "j"),
          ("k", "g"), ("t", "d"), ("p", "b"), ("l", "r"), ("w", "")]  # fmt: skip


def romanise(hangul: str) -> str:
    out = []
    for char in hangul:
        code = ord(char) - 0xAC00
        if 0 <= code < 11172:
            out.append(_INITIAL[code // 588] + _MEDIAL[(code % 588) // 28] + _FINAL[code % 28])
        elif char.isalpha():
            out.append(char.lower())
    return "".join(out)


def _loose(text: str) -> str:
    text = re.sub(r"[^a-z]", "", text.lower())
    for old, new in _LOOSE:
        text = text.replace(old, new)
    return re.sub(r"(.)\1+", r"\1", text)


@cache
def _surnames() -> dict[str, tuple[str, ...]]:
    raw = yaml.safe_load(resources.files("referral").joinpath("data/surname_romanisations.yaml").read_text("utf-8"))
    return {str(k): tuple(str(v) for v in values) for k, values in raw.items()}


def spells(latin: str, hangul: str) -> bool:
    """True when the Latin name, family name first or last, spells the Korean name."""
    words = [w for w in re.split(r"[\s,]+", latin.strip()) if w]
    if len(words) < 2 or not re.fullmatch(r"[가-힣]{2,5}", hangul):
        return False
    for family_chars in (2, 1):
        family, given = hangul[:family_chars], hangul[family_chars:]
        spellings = {_loose(s) for s in _surnames().get(family, ())}
        if not spellings or not given:
            continue
        for surname, rest in ((words[0], words[1:]), (words[-1], words[:-1])):
            if _loose(surname) in spellings and _loose("".join(rest)) == _loose(romanise(given)):
                return True
    return False
