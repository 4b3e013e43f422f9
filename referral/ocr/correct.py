"""Clinical post-correction of the tokens Tesseract garbles: a code's first letter (J44.9 read as /44.9), units
after numbers (mg read as ing), lab and drug names of five letters or more (a shorter acronym one letter from a lab
is another acronym: CTA is no CEA), Korean vocabulary words one letter (자모) off (소화기내과 read as 소화가내과,
a product's 캡슐 as 캡슬), Roman numerals after a class word or among ECG leads (class Il, Ill, aVF), and the
interpunct between two Korean words read as the letter araea (식이ㆍ운동).

Safety first: a correction never changes, adds or removes a digit, a decimal point or a sign, never changes a
unit into another unit, and never touches a word joined to a number ("Creatinine2.1" stays as read). Every rule
goes through one guard that refuses anything else, and every change keeps its before/after and line box so a
reviewer can see it. Digits misread as letters (or letters as digits) are left alone: the reviewer checks them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import Literal

from rapidfuzz.distance import Levenshtein

from referral.codes import is_diagnosis_code
from referral.lexicon import clinical_lexicon, load_data, misread_units, printed_names
from referral.ocr.korean_words import resolve_korean, resolve_spaced
from referral.ocr.models import Correction

Box = tuple[int, int, int, int]
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
SIGNS = re.compile(r"[+\-−–<>≤≥=%±~]")
# What Tesseract reads instead of a code's first letter (never a digit: that would change a number).
_FIRST_LETTER = {
    "!": "I", "]": "I", "[": "I", "G": "C", "C": "G", "O": "D", "Q": "D", "F": "E", "<": "CK", "《": "CK",
    "『": "F", "ㄷ": "E", "/": "J",
}  # fmt: skip
_CODE_IN_PARENS = re.compile(r"\(\s*(?P<first>[^\s\d()])\s*(?P<body>\d{2}(?:\.\d{1,2})?)\s*(?=[)}\]])")
_CODE_KEYWORDS = re.compile(r"KCD|ICD|상병|진단|Dx|Diagnosis", re.IGNORECASE)
_BARE_CODE = re.compile(r"(?<![\w.])(?P<first>[A-Z!\]\[《『ㄷ<])(?P<body>\d{2}(?:\.\d{1,2})?)(?![\w.])")
_UNIT_AFTER_NUMBER = re.compile(r"(?<=\d)(?P<sep>\s?)(?P<unit>[A-Za-zµ](?:[A-Za-z/^.]*[A-Za-z])?)(?![\w/])")
# Misreadings of a unit that keep its magnitude (never mg ↔ g ↔ mcg, mL ↔ L).
_UNIT_CONFUSIONS = {
    "ing": "mg", "rng": "mg", "mq": "mg", "rnq": "mg", "rnL": "mL", "ml": "mL", "mgidL": "mg/dL", "mg/dl": "mg/dL",
    "rng/dL": "mg/dL", "mg/di": "mg/dL", "mg/dI": "mg/dL", "g/dl": "g/dL", "g/di": "g/dL", "U/l": "U/L",
    "ulU/mL": "uIU/mL", "uIU/ml": "uIU/mL", "ulU/ml": "uIU/mL", "meq/L": "mEq/L", "mEq/l": "mEq/L",
    "mmol/l": "mmol/L", "ng/ml": "ng/mL", "pg/ml": "pg/mL", "mmHq": "mmHg", "mmhg": "mmHg",
}  # fmt: skip
_WORD = re.compile(r"(?<![\w.])[A-Za-z][A-Za-z-]{2,}(?![\w.])")


def keeps_numbers(before: str, after: str) -> bool:
    """The guard every correction passes: same numbers (digits, decimal points, grouping), same signs."""
    return NUMBER.findall(before) == NUMBER.findall(after) and SIGNS.findall(before) == SIGNS.findall(after)


class _Fixer:
    def __init__(self, line: int, box: Box | None) -> None:
        self.line, self.box = line, box
        self.corrections: list[Correction] = []

    def apply(self, kind: Literal["code", "unit", "drug", "lab", "term"], before: str, after: str | None) -> str:
        if after is None or after == before or not keeps_numbers(before, after):
            return before
        self.corrections.append(Correction(kind=kind, before=before, after=after, line=self.line, box=self.box))
        return after


def resolve_code(first: str, body: str) -> str | None:
    """The one real code a garbled first letter can be, or None (the read form stands when it is a code)."""
    if is_diagnosis_code(first + body):
        return first + body
    fits = [c + body for c in _FIRST_LETTER.get(first, "") if is_diagnosis_code(c + body)]
    known = [code for code in fits if code in clinical_lexicon().codes]
    fits = known or fits
    return fits[0] if len(fits) == 1 else None


def _fix_codes(line: str, fixer: _Fixer) -> str:
    def fix(match: re.Match[str]) -> str:
        code = resolve_code(match.group("first"), match.group("body"))
        before = match.group(0)
        return fixer.apply("code", before, before.replace(match.group("first"), code[0], 1) if code else None)

    line = _CODE_IN_PARENS.sub(fix, line)
    return _BARE_CODE.sub(fix, line) if _CODE_KEYWORDS.search(line) else line


# a unit in a column of its own (after a flag, in a table's header): a word with a slash, letters only but for
# a count's power ("x10^3/ul")
_UNIT_ALONE = re.compile(r"(?<![^\s|(])(?:[A-Za-zµμ]+|[xX×]?10\^\d)/[A-Za-zµμ]+(?![^\s|),])")
_LITRE = re.compile(r"(?<=[/dmµμun])l(?=/|$)")  # a litre's L read as l: "ng/dl", "mmol/l", "ml/min"


def resolve_unit(token: str) -> str | None:
    units = clinical_lexicon().units
    if token in units:
        return token
    litres = _LITRE.sub("L", token)  # never a magnitude: no unit tells l from L
    return litres if litres in units else _UNIT_CONFUSIONS.get(token)


def _fix_units(line: str, fixer: _Fixer) -> str:
    def fix(match: re.Match[str]) -> str:
        unit = resolve_unit(match.group("unit"))
        return fixer.apply("unit", match.group(0), match.group("sep") + unit if unit else None)

    def fix_alone(match: re.Match[str]) -> str:
        return fixer.apply("unit", match.group(0), resolve_unit(match.group(0)))

    return _UNIT_ALONE.sub(fix_alone, _UNIT_AFTER_NUMBER.sub(fix, line))


def resolve_name(token: str, names: tuple[str, ...], min_length: int) -> str | None:
    """A lexicon name within a small edit distance of `token` (case-insensitive), if exactly one is closest."""
    if len(token) < min_length:
        return None
    lowered = token.lower()
    budget = 1 if len(token) < 8 else 2
    spaced = " " in token  # a one-word reading never gains a second word ("Troponin" is no "Troponin I")
    scored = [(Levenshtein.distance(lowered, n.lower()), n) for n in names
              if abs(len(n) - len(token)) <= budget and (" " in n) == spaced]  # fmt: skip
    scored = [(d, n) for d, n in scored if d <= budget]
    if not scored:
        return None
    best = min(d for d, _ in scored)
    winners = [n for d, n in scored if d == best]
    return winners[0] if len(winners) == 1 else None


def _fix_names(line: str, fixer: _Fixer) -> str:
    lexicon = clinical_lexicon()

    def fix(match: re.Match[str]) -> str:
        token = match.group(0)
        if token.lower() in printed_names():
            return token
        lab = resolve_name(token, lexicon.labs, 5)
        if lab is not None:
            return fixer.apply("lab", token, lab)
        drug = resolve_name(token, lexicon.drugs, 5)
        if drug is None:
            return token
        misread_initial = token[0].lower() != drug[0]
        return fixer.apply("drug", token, drug.capitalize() if token[0].isupper() or misread_initial else drug)

    return _WORD.sub(fix, line)


_HANGUL_RUN = re.compile(r"(?P<name>(?<=[가-힣]\s))?[가-힣]+(?P<strength>(?=\s?\d))?")


# Hangul runs of one to three syllables a single space apart: a word the scan may have spaced out
_SPACED_RUN = re.compile(r"(?<![가-힣])[가-힣]{1,3}(?: [가-힣]{1,3}){1,5}(?![가-힣])")


def _fix_korean_terms(line: str, fixer: _Fixer) -> str:
    def fix(match: re.Match[str]) -> str:
        run, strength, name = match.group(0), match.group("strength"), match.group("name")
        return fixer.apply("term", run, resolve_korean(run, strength is not None, name is not None))

    def fix_spaced(match: re.Match[str]) -> str:
        parts = resolve_spaced(match.group(0).split(" "))
        return fixer.apply("term", match.group(0), " ".join(parts) if parts else None)

    return _SPACED_RUN.sub(fix_spaced, _HANGUL_RUN.sub(fix, line))


@cache
def _numeral_cues() -> tuple[frozenset[str], frozenset[str]]:
    raw = load_data("roman_numerals.yaml")
    return frozenset(c.lower() for c in raw["cues"]), frozenset(raw["leads"])


@cache
def _roman() -> re.Pattern[str]:
    """A run of one to three I, l, | or i standing alone, or glued to a Latin class word before it ("classIl)")."""
    cues = {form for cue in _numeral_cues()[0] if cue.isascii() for form in (cue, cue.capitalize(), cue.upper())}
    glued = "".join(f"|(?<={re.escape(cue)})" for cue in sorted(cues))
    return re.compile(rf"(?:(?<![\w-]){glued})(?P<read>[Il|i]{{1,3}})(?![\w-])")


def resolve_numeral(before: str, read: str, after: str) -> str | None:
    """II or III for a run of I, l, | and i that stands right after a class, grade or stage word (its colon or not:
    "ASA class: Ill", "class ||"), or beside an ECG lead in a list ("in Il, Ill, aVF"; bars alone there may be a
    table's rules); anything else as read ("acutely ill" stays ill)."""
    numeral = "I" * len(read)
    cues, leads = _numeral_cues()
    previous = re.findall(r"[^\s,/]+", before)
    following = re.findall(r"[^\s,/]+", after)
    word = previous[-1].rstrip(":：") if previous else ""
    cued = bool(word) and _cue_ends(word, cues)  # "class Il", "ASA class: Ill", "classIl"
    if numeral == read or "|" * len(read) == read and not cued:  # bars alone may be a table's rules
        return None
    if len(read) == 1:  # a lone l or | is I only after a Latin class word with no word or number after it
        alone = read in "l|" and re.match(r"\s*(?:$|[^\w\s])", after) is not None
        return numeral if cued and alone and word.isascii() else None
    listed = re.search(r"[,/]\s*$", before) and previous and previous[-1] in leads
    listed = listed or re.match(r"\s*[,/]", after) and following and following[0] in leads
    return numeral if cued or listed else None


def _cue_ends(token: str, cues: frozenset[str]) -> bool:
    """The token is a class word, or ends in a Latin one the numeral was read glued to ("(CCS class")."""
    lowered = token.lower()
    return lowered in cues or any(lowered.endswith(cue) for cue in cues if cue.isascii() and len(cue) > 3)


def _fix_numerals(line: str, fixer: _Fixer) -> str:
    def fix(match: re.Match[str]) -> str:
        after = resolve_numeral(line[: match.start()], match.group("read"), line[match.end() :])
        return fixer.apply("term", match.group(0), after)

    for _ in range(2):  # a second pass reads a numeral whose neighbour the first pass read ("li, Ill, aVF")
        line = _roman().sub(fix, line)
    return line


def _symbol_only(read: str, unit: str) -> bool:
    """Same length, differing only where both characters are symbols (° ' * for ², µ for μ): never a letter, a
    digit or a micro sign, so a unit's magnitude (mg/g, mL/L, 10^3/10^6, g/μg) cannot change ("|g/dL" beside a
    table's rule is g/dL, never μg/dL)."""

    if len(read) != len(unit):
        return False
    differing = [(a, b) for a, b in zip(read, unit, strict=True) if a != b and {a, b} != _MICRO]  # µ, μ: both right
    return bool(differing) and not any(_plain(a) or _plain(b) for a, b in differing)


_MICRO = {"µ", "μ"}


def _plain(c: str) -> bool:
    return (c.isascii() and c.isalnum()) or c in _MICRO


# a token: a number and its unit, or a unit alone, perhaps after a table's rule run onto it ("|x10°3/uL")
_TOKEN = re.compile(r"(?<!\S)(?P<rule>\|)?(?P<num>[<>≤≥]?\d[\d.,]*)?(?P<unit>[^\s\d|][^\s]*)")


# letters that are a unit's prefix themselves (pico, atto ...): a scan's reading of one is never taken for another
# letter, so that a unit's magnitude never changes (ocr_unit_letters.yaml reads μ from a p or an a, for the
# extractor's tolerance; the page's text keeps them)
_PREFIXES = frozenset("yzafpnmcdhkMGT")


@cache
def _misread_units() -> dict[str, str]:
    """A known unit as a scan reads it with one or two of its letters misread (mt/min/1.73m’ for mL/min/1.73m²)."""
    letters = load_data("ocr_unit_letters.yaml")
    kept = {letter: [read for read in reads if read not in _PREFIXES] for letter, reads in letters.items()}
    return misread_units(set(clinical_lexicon().units), kept)


def _fix_unit_symbols(line: str, fixer: _Fixer) -> str:
    def fix(match: re.Match[str]) -> str:
        number, unit = match.group("num") or "", match.group("unit")
        fits = [u for u in clinical_lexicon().units if _symbol_only(unit, u)]
        if not fits and unit in _misread_units():
            fits = [_misread_units()[unit]]
        if not fits and number:  # a unit that starts with digits ("10°3/uL" is 10^3/uL, not 10 of "°3/uL")
            fits = [u for u in clinical_lexicon().units if _symbol_only(number + unit, u)]
            number = ""
        rule = match.group("rule") or ""
        return fixer.apply("unit", match.group(0), rule + number + fits[0] if len(fits) == 1 else None)

    return _TOKEN.sub(fix, line)


# Korean's interpunct (가운뎃점, "식이·운동") is the middle dot U+00B7 of 한글 맞춤법's punctuation rules; Tesseract's
# Korean models read it as the Hangul letter araea (U+318D), a vowel of Middle Korean that no word of today spells
# standing alone between two syllables
_ARAEA_BETWEEN_WORDS = re.compile(r"(?<=[가-힣])\s?ㆍ\s?(?=[가-힣])")


def _fix_interpuncts(line: str, fixer: _Fixer) -> str:
    def fix(match: re.Match[str]) -> str:
        return fixer.apply("term", match.group(0), match.group(0).replace("ㆍ", "·"))

    return _ARAEA_BETWEEN_WORDS.sub(fix, line)


_STEPS: tuple[Callable[[str, _Fixer], str], ...] = (
    _fix_codes, _fix_names, _fix_numerals, _fix_korean_terms, _fix_units, _fix_unit_symbols, _fix_interpuncts,
)  # fmt: skip


def correct_line(line: str, number: int, box: Box | None = None) -> tuple[str, list[Correction]]:
    fixer = _Fixer(number, box)
    for step in _STEPS:
        line = step(line, fixer)
    return line, fixer.corrections


def correct_text(text: str, line_boxes: list[Box] | None = None) -> tuple[str, list[Correction]]:
    lines: list[str] = []
    corrections: list[Correction] = []
    for number, line in enumerate(text.split("\n")):
        box = line_boxes[number] if line_boxes and number < len(line_boxes) else None
        fixed, found = correct_line(line, number, box)
        lines.append(fixed)
        corrections += found
    return "\n".join(lines), corrections
