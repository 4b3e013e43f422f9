"""Hangul syllables as their letters (자모): the unit in which a scan misreads Korean, one stroke turning a vowel or
a final consonant into another (소화기 read as 소화가, 캡슐 as 캡슬)."""

from __future__ import annotations

_FIRST, _LAST = 0xAC00, 0xD7A3


def is_syllable(char: str) -> bool:
    return _FIRST <= ord(char) <= _LAST


def letters(syllable: str) -> tuple[int, int, int]:
    """(initial, vowel, final) of one precomposed syllable."""
    code = ord(syllable) - _FIRST
    return code // 588, code // 28 % 21, code % 28


def one_letter_apart(read: str, word: str) -> bool:
    """Two Hangul words of one length that differ in one letter of one syllable: a final consonant (홍길동 read as
    홍긴동), a vowel (홍걸동) or an initial. Words that differ in more, or in anything but Hangul, are not."""
    if len(read) != len(word) or not all(is_syllable(c) for c in read + word):
        return False
    differing = [(a, b) for a, b in zip(read, word, strict=True) if a != b]
    if len(differing) != 1:
        return False
    a, b = (letters(c) for c in differing[0])
    return sum(x != y for x, y in zip(a, b, strict=True)) == 1
