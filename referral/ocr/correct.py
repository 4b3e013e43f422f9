"""Clinical post-correction of the tokens Tesseract garbles and clinicians cannot afford to lose:
KCD/ICD-10 codes (I10 read as 110, E11.9 as E119), units after numbers (mg read as ing), lab and drug names.

Every rule is conservative: a token changes only to a form the lexicon or the code grammar confirms, and each
change is recorded so a reviewer can see it.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Literal

from rapidfuzz.distance import Levenshtein

from referral.lexicon import clinical_lexicon
from referral.ocr.models import Correction

_DIGITISH = "0-9OolISBZ|"
_DIGIT_FIX = str.maketrans({"O": "0", "o": "0", "l": "1", "I": "1", "|": "1", "S": "5", "B": "8", "Z": "2"})
# What Tesseract reads instead of a code's first letter, and the letters it may have been.
_FIRST_LETTER = {
    "1": "IL", "|": "IL", "l": "IL", "!": "I", "]": "I", "[": "I", "0": "DOCQG", "6": "GC", "5": "S",
    "8": "B", "2": "Z", "7": "T", "4": "A", "G": "C", "C": "G", "O": "D", "Q": "D", "F": "E", "<": "CK",
    "《": "CK", "『": "F", "ㄷ": "E",
}  # fmt: skip
_CODE_IN_PARENS = re.compile(
    rf"\(\s*([A-Za-z0-9|!\]\[]?)\s*([{_DIGITISH}])\s*([{_DIGITISH}])\s*(?:([.,·])?\s*([{_DIGITISH}]{{1,2}}))?\s*[)}}\]]"
)
# A code whose first letter became junk ("(/444.9)" for J44.9, "(<18.7)" for C18.7), or whose "(" was lost
# after a Korean diagnosis name ("뇌경색증163.9)" for I63.9). Accepted only when one lexicon code fits.
_JUNK_CODE = re.compile(r"\(\s*(?P<junk>[^\s()A-Za-z]{1,2})\s*(?P<body>\d{2}(?:\.\d{1,2})?)\s*[)}\]]")
_LOST_PAREN_CODE = re.compile(r"(?<=[가-힣])\s?(?P<junk>[^\s()가-힣]{0,2}?)(?P<body>\d{2}\.\d{1,2})\)")
_CODE_KEYWORDS = re.compile(r"KCD|ICD|상병|진단|Dx|Diagnosis", re.IGNORECASE)
_BARE_CODE = re.compile(rf"(?<![\w.])([A-Za-z0-9|!])([{_DIGITISH}]{{2}})(?:([.,·])\s?([{_DIGITISH}]{{1,2}}))?(?![\w.])")
_UNIT_AFTER_NUMBER = re.compile(
    r"(?P<num>\d(?:[\d.,]*\d)?)(?P<sep>[,.]?\s*)(?P<unit>[A-Za-zµ%](?:[A-Za-z0-9/%^.]*[A-Za-z0-9%])?)"
)
_UNIT_CONFUSIONS = {
    "ing": "mg", "rng": "mg", "mq": "mg", "rnq": "mg", "rnL": "mL", "ml": "mL", "mgidL": "mg/dL", "mg/dl": "mg/dL",
    "rng/dL": "mg/dL", "mg/di": "mg/dL", "mg/dI": "mg/dL", "g/dl": "g/dL", "g/di": "g/dL", "UA": "U/L", "U/l": "U/L",
    "ulU/mL": "uIU/mL", "uIU/ml": "uIU/mL", "ulU/ml": "uIU/mL", "meq/L": "mEq/L", "mEq/l": "mEq/L",
    "mmol/l": "mmol/L", "ng/ml": "ng/mL", "pg/ml": "pg/mL", "mmHq": "mmHg",
}  # fmt: skip
_EXTRA_UNITS = ("uIU/mL", "x10^3/uL")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9¢©®°-]{2,}")
_SPLIT_DECIMAL = re.compile(r"(?<=\d)(?:\.\s+|\s+\.)(?=\d)")


@cache
def _categories() -> frozenset[str]:
    return frozenset(code[:3] for code in clinical_lexicon().codes)


def resolve_code(first: str, body: str, sub: str | None) -> str | None:
    """The code a garbled token most likely is, or None when nothing confirms a reading."""
    codes = clinical_lexicon().codes
    body = body.translate(_DIGIT_FIX)
    sub = sub.translate(_DIGIT_FIX) if sub else None
    letter = first if first.isupper() else None  # a lower-case letter is a misread, never a code letter
    candidates = ([letter] if letter else []) + list(_FIRST_LETTER.get(first, ""))

    def form(initial: str) -> str:
        return f"{initial}{body}.{sub}" if sub else f"{initial}{body}"

    for initial in candidates:
        if form(initial) in codes:
            return form(initial)
    if letter and letter + body in _categories():
        return form(letter)
    for initial in candidates:
        if initial + body in _categories():
            return form(initial)
    if letter:
        return form(letter)
    # A dropped or unreadable first letter: accept it only when exactly one lexicon code fits.
    fits = [code for code in codes if code[1:] == form("")]
    return fits[0] if len(fits) == 1 else None


def _fix_codes(line: str, number: int, out: list[Correction]) -> str:
    def in_parens(match: re.Match[str]) -> str:
        first, body = match.group(1), match.group(2) + match.group(3)
        if not first:  # "(10)": the letter was dropped; only two digits were read
            first, body = "", body
        code = resolve_code(first, body, match.group(5))
        fixed = f"({code})" if code else match.group(0)
        if fixed != match.group(0):
            out.append(Correction(kind="code", before=match.group(0), after=fixed, line=number))
        return fixed

    line = _CODE_IN_PARENS.sub(in_parens, line)

    def by_body(match: re.Match[str]) -> str:
        fits = [code for code in clinical_lexicon().codes if code[1:] == match.group("body")]
        junk = match.group("junk")
        if len(fits) > 1 and junk:  # the junk's last character says which letter it was ("150.9)" is I50.9)
            fits = [code for code in fits if code[0] in _FIRST_LETTER.get(junk[-1], "")]
        if len(fits) != 1:
            return match.group(0)
        out.append(Correction(kind="code", before=match.group(0), after=f"({fits[0]})", line=number))
        return f"({fits[0]})"

    line = _LOST_PAREN_CODE.sub(by_body, _JUNK_CODE.sub(by_body, line))
    if not _CODE_KEYWORDS.search(line):
        return line

    def bare(match: re.Match[str]) -> str:
        if match.group(1).isdigit() and not match.group(3):
            return match.group(0)  # a bare three-digit number is a number unless a code confirms it
        code = resolve_code(match.group(1), match.group(2), match.group(4))
        if code and code in clinical_lexicon().codes and code != match.group(0):
            out.append(Correction(kind="code", before=match.group(0), after=code, line=number))
            return code
        return match.group(0)

    return _BARE_CODE.sub(bare, line)


@cache
def _units() -> tuple[str, ...]:
    return clinical_lexicon().units + _EXTRA_UNITS


def resolve_unit(token: str) -> str | None:
    if token in _units():
        return token
    if token in _UNIT_CONFUSIONS:
        return _UNIT_CONFUSIONS[token]
    if len(token) >= 4:
        close = [u for u in _units() if len(u) >= 4 and Levenshtein.distance(token, u) <= 1]
        if len(close) == 1:
            return close[0]
    return None


def _fix_units(line: str, number: int, out: list[Correction]) -> str:
    def fix(match: re.Match[str]) -> str:
        unit = resolve_unit(match.group("unit"))
        if unit is None:
            return match.group(0)
        sep = match.group("sep").replace(",", "").replace(".", "")
        fixed = f"{match.group('num')}{sep}{unit}"
        if fixed != match.group(0):
            out.append(Correction(kind="unit", before=match.group(0), after=fixed, line=number))
        return fixed

    return _UNIT_AFTER_NUMBER.sub(fix, line)


def resolve_name(token: str, names: tuple[str, ...], min_length: int) -> str | None:
    """A lexicon name within a small edit distance of `token` (case-insensitive), if exactly one is closest."""
    if len(token) < min_length:
        return None
    lowered = token.lower()
    budget = 1 if len(token) < 8 else 2
    scored = [(Levenshtein.distance(lowered, n.lower()), n) for n in names if abs(len(n) - len(token)) <= budget]
    scored = [(d, n) for d, n in scored if d <= budget]
    if not scored:
        return None
    best = min(d for d, _ in scored)
    winners = [n for d, n in scored if d == best]
    return winners[0] if len(winners) == 1 else None


def _fix_names(line: str, number: int, out: list[Correction]) -> str:
    lexicon = clinical_lexicon()

    def fix(match: re.Match[str]) -> str:
        token = match.group(0)
        kind: Literal["lab", "drug"]
        lab = resolve_name(token, lexicon.labs, 3 if token.isupper() else 4)
        if lab is not None:
            fixed = lab
            kind = "lab"
        else:
            drug = resolve_name(token, lexicon.drugs, 5)
            if drug is None:
                return token
            misread_initial = token[0].lower() != drug[0]
            fixed = drug.capitalize() if token[0].isupper() or misread_initial else drug
            kind = "drug"
        if fixed != token:
            out.append(Correction(kind=kind, before=token, after=fixed, line=number))
        return fixed

    return _WORD.sub(fix, line)


@cache
def _lab_value() -> re.Pattern[str]:
    names = "|".join(re.escape(n) for n in sorted(clinical_lexicon().labs, key=len, reverse=True))
    value = r"(?P<value>[0-9SOol|]{1,4}[.,][0-9SOol|]{1,2})"
    return re.compile(rf"(?<![A-Za-z(])(?P<lab>{names})(?P<sep>\s*){value}(?![0-9.])")


@cache
def _dose() -> re.Pattern[str]:
    names = "|".join(re.escape(n) for n in sorted(clinical_lexicon().drugs, key=len, reverse=True))
    return re.compile(rf"(?P<drug>{names}) (?P<dose>[0-9SOol|]{{1,4}}) ?(?P<unit>mg|mcg|g|mL)\b", re.IGNORECASE)


def _fix_numbers(line: str, number: int, out: list[Correction]) -> str:
    def lab_value(match: re.Match[str]) -> str:
        if match.group("value").replace(".", "").isdigit():
            return match.group(0)
        value = match.group("value").translate(_DIGIT_FIX).replace(",", ".")
        return f"{match.group('lab')} {value}"

    def dose(match: re.Match[str]) -> str:
        value = match.group("dose").translate(_DIGIT_FIX)
        return match.group(0).replace(match.group("dose"), value, 1)

    fixed = _dose().sub(dose, _lab_value().sub(lab_value, _SPLIT_DECIMAL.sub(".", line)))
    if fixed != line:
        out.append(Correction(kind="number", before=line, after=fixed, line=number))
    return fixed


def correct_line(line: str, number: int) -> tuple[str, list[Correction]]:
    corrections: list[Correction] = []
    for step in (_fix_numbers, _fix_codes, _fix_names, _fix_units):
        line = step(line, number, corrections)
    return line, corrections


def correct_text(text: str) -> tuple[str, list[Correction]]:
    lines: list[str] = []
    corrections: list[Correction] = []
    for number, line in enumerate(text.split("\n")):
        fixed, found = correct_line(line, number)
        lines.append(fixed)
        corrections += found
    return "\n".join(lines), corrections
