"""Korean words of the package's vocabularies read one letter (자모) off: 소화기내과 read as 소화가내과, a product's
캡슐 as 캡슬, 크레스토정 as 크래스토정 inside a run of syllables the scan printed without a space.

A run of Hangul syllables is read as a vocabulary word when it is one letter away from exactly one word of its
length and is itself none; inside a longer run only words of four syllables or more are looked for (a shorter
window is too often part of another word). Digits are never touched: the rules see Hangul syllables only."""

from __future__ import annotations

from collections import defaultdict
from functools import cache

from referral.hangul import one_letter_apart
from referral.lexicon import dosage_forms, korean_terms

IN_RUN = 4  # syllables a vocabulary word needs to be looked for inside a longer run


@cache
def _index() -> dict[tuple[str, int], tuple[str, ...]]:
    """Each word under its masks: the word with one syllable hidden, and where."""
    index: dict[tuple[str, int], list[str]] = defaultdict(list)
    for word in korean_terms():
        for p in range(len(word)):
            index[(word[:p] + "*" + word[p + 1 :], p)].append(word)
    return {key: tuple(words) for key, words in index.items()}


@cache
def _longest() -> int:
    return max(map(len, korean_terms()), default=0)


def _one_off(read: str) -> list[str]:
    """The vocabulary words one letter away from `read`."""
    index = _index()
    near = {w for p in range(len(read)) for w in index.get((read[:p] + "*" + read[p + 1 :], p), ())}
    return sorted(w for w in near if one_letter_apart(read, w))


def _inside(run: str, start: int, window: str, word: str) -> bool:
    """The letter that differs is not at an edge the window shares with more of the run: "에피언트중단" is a brand
    and 중단 (stopped), never 에피언트정 with a syllable left over."""
    p = next(k for k, (a, b) in enumerate(zip(window, word, strict=True)) if a != b)
    return (p > 0 or start == 0) and (p < len(window) - 1 or start + len(window) == len(run))


def _within(run: str) -> str:
    """The run with each window of IN_RUN syllables or more that is one letter off one word read as that word,
    left to right, longest first; a window that is a word is kept as printed."""
    out, i = [], 0
    while i < len(run):
        for n in range(min(_longest(), len(run) - i), IN_RUN - 1, -1):
            window = run[i : i + n]
            fits = [window] if window in korean_terms() else [w for w in _one_off(window) if _inside(run, i, window, w)]
            if len(fits) == 1:
                out.append(fits[0])
                i += n
                break
        else:
            out.append(run[i])
            i += 1
    return "".join(out)


def resolve_korean(run: str, strength_follows: bool, after_name: bool) -> str | None:
    """What a Hangul run reads as, or None when as printed: the one vocabulary word (three syllables or more) it is
    one letter away from; else words of IN_RUN syllables or more inside it; else, before a strength, a product
    name whose dosage form's ending is one letter away from exactly one form ("...캡슬 500mg"). A form alone is
    one only where it follows a name's word ("가나다 캡슬 15mg", never "연구 3건")."""
    if run in korean_terms():
        return None
    fits = _one_off(run) if len(run) >= 3 else []
    if len(fits) == 1:
        return fits[0]
    read = _within(run) if not fits and len(run) > IN_RUN else run
    forms = dosage_forms()
    if not strength_follows or fits or read.endswith(forms):
        return read if read != run else None
    named = [f for f in forms if len(read) > len(f) or after_name and len(read) == len(f)]
    endings = [read[: -len(f)] + f for f in named if one_letter_apart(read[-len(f) :], f)]
    return endings[0] if len(endings) == 1 else (read if read != run else None)


def resolve_spaced(parts: list[str]) -> list[str] | None:
    """Syllables a scan spaced out inside one word ("릭 피 토정", "흠 연 력") read as the vocabulary word they are
    one letter away from, the spaces kept where the scan put them: the longest stretch of two parts or more (three
    syllables at least) that is one letter away from exactly one word, is itself none, and differs in a syllable
    that stands alone, where the scan broke the word. A letter off in a part of two syllables or more is no
    spacing's doing: that part may be a word of its own ("시 간 경과" is no 간경화). None when nothing is read."""
    for count in range(len(parts), 1, -1):
        for first in range(len(parts) - count + 1):
            stretch = parts[first : first + count]
            joined = "".join(stretch)
            fits = _one_off(joined) if len(joined) >= 3 and joined not in korean_terms() else []
            if len(fits) == 1 and _differs_alone(stretch, fits[0]):
                read = iter(fits[0])
                fixed = ["".join(next(read) for _ in part) for part in stretch]
                return [*parts[:first], *fixed, *parts[first + count :]]
    return None


def _differs_alone(parts: list[str], word: str) -> bool:
    """The one syllable where the parts, joined, differ from the word is a part of its own."""
    at = next(k for k, (a, b) in enumerate(zip("".join(parts), word, strict=True)) if a != b)
    for part in parts:
        if at < len(part):
            return len(part) == 1
        at -= len(part)
    return False
