"""Two readings of one page, merged word by word: the black-and-white page keeps thin strokes sharp
(decimal points, hyphens, the bar of a code's I), the grey page keeps Hangul syllables whole where binarising
breaks their strokes apart (a patient's name read as Latin letters, a drug's product name lost).

Words of both readings on one printed line whose boxes overlap across form a group, and each group is taken from
one reading as a whole:

| the readings' numbers | the grey reading is taken when                                               |
|-----------------------|------------------------------------------------------------------------------|
| the same              | it reads Hangul; else it is a known clinical word where the other is not, or |
|                       | equally known and surer                                                      |
| differ                | it shows the decimal point the sharp page lost or read as a comma (the same  |
|                       | digits); or it is one known clinical word where the other is none; or it is  |
|                       | known where the other is not and surer, or surer by SURER points; never when |
|                       | it loses a decimal point the sharp page shows                                |

Where the numbers differ the group is a check for the reviewer, whichever reading is kept, and the group's box is
read a third time on its own: that reading stands where it is sure (LOW_CONFIDENCE) and agrees with one of the two
on every number (two readings of three: "2021년" read "202114" and "2021" is settled by a crop that reads
"2021년"). What only the sharp page shows is kept; what only the grey page shows, a word or a line, when read surely
and not marks alone."""

from __future__ import annotations

from collections.abc import Callable

from referral.ocr.correct import NUMBER
from referral.ocr.models import Check, OcrWord
from referral.ocr.reread import HANGUL, LOW_CONFIDENCE, clinical_shape, decimal_points, digits, keeps_first
from referral.ocr.tables import Box, union_box, word_lines

ReadAgain = Callable[[list[Box]], list[list[OcrWord]]]  # each box's words, read on its own, in page coordinates

SURER = 30.0  # confidence points by which a differing grey reading must be surer to stand, not being known
ALONE = 75.0  # what only the grey page found is kept when read this surely: a fax's speckle reads as noise


def _on_line(word: OcrWord, line: tuple[int, int, int, int]) -> bool:
    """The word lies on the printed line: they overlap down by over half the lower of the two."""
    down = min(word.box[3], line[3]) - max(word.box[1], line[1])
    across = word.box[0] < line[2] and word.box[2] > line[0]
    return across and down > 0.5 * min(word.box[3] - word.box[1], line[3] - line[1])


def _groups(sharp: list[OcrWord], grey: list[OcrWord]) -> list[tuple[list[OcrWord], list[OcrWord]]]:
    """Runs of words across the line whose boxes overlap, as (sharp words, grey words)."""
    tagged = sorted([(w, True) for w in sharp] + [(w, False) for w in grey], key=lambda t: t[0].box[0])
    groups: list[tuple[list[OcrWord], list[OcrWord]]] = []
    right = -1
    for word, is_sharp in tagged:
        if not groups or word.box[0] >= right:
            groups.append(([], []))
        groups[-1][0 if is_sharp else 1].append(word)
        right = max(right, word.box[2])
    return groups


def _confidence(words: list[OcrWord]) -> float:
    """Mean confidence per character."""
    characters = sum(len(w.text) for w in words)
    return sum(w.confidence * len(w.text) for w in words) / characters if characters else 0.0


def _known(words: list[OcrWord]) -> int:
    return sum(clinical_shape(w.text) for w in words)


def _surely_printed(grey: list[OcrWord]) -> bool:
    """What only the grey page shows is print when read surely and made of letters or digits; else it is a fax's
    speckle or a ruling read as marks."""
    return _confidence(grey) >= ALONE and all(any(c.isalnum() for c in w.text) for w in grey)


def _takes_grey(sharp: list[OcrWord], grey: list[OcrWord]) -> bool:
    if not sharp:
        return _surely_printed(grey)
    if not grey:
        return False
    sharp_text, grey_text = _text(sharp), _text(grey)
    known, surer = _known(grey) - _known(sharp), _confidence(grey) - _confidence(sharp)
    if NUMBER.findall(sharp_text) == NUMBER.findall(grey_text):
        return bool(HANGUL.search(grey_text)) or (known, surer) > (0, 0)
    if digits(sharp_text) == digits(grey_text) and decimal_points(sharp_text) != decimal_points(grey_text):
        return decimal_points(grey_text) > decimal_points(sharp_text)  # the point one page lost or read as a comma
    if keeps_first(sharp_text, grey_text):
        return False
    if keeps_first(grey_text, sharp_text):
        return True  # the sharp page's word with marks from its margin
    if len(grey) == 1 and known > 0:
        return True  # one word the vocabulary knows ("HbA1c", "5mg") where the sharp page read none
    return (known > 0 and surer > 0) or surer >= SURER


def _third_settles(kept: list[OcrWord], readings: tuple[list[OcrWord], list[OcrWord]], third: list[OcrWord]) -> bool:
    """The third reading stands: sure, different from what was kept, agreeing with one reading on every number, as
    well known to the clinical vocabulary ("2g" is a dose, "29" no word), and not a change a crop makes (a decimal
    point lost, a plain number's edge digit)."""
    text = _text(third)
    if not third or min(w.confidence for w in third) < LOW_CONFIDENCE or text == _text(kept):
        return False
    if _known(third) < _known(kept):
        return False
    agrees = any(NUMBER.findall(text) == NUMBER.findall(_text(r)) for r in readings)
    return agrees and not keeps_first(_text(kept), text)


def merge_readings(
    sharp: list[OcrWord], grey: list[OcrWord], read_again: ReadAgain | None = None
) -> tuple[list[OcrWord], list[Check]]:
    """One reading of the page from both, lines in page order; checks where the readings' numbers differ, each
    settled by a third reading of its box where `read_again` is given and that reading stands."""
    lines: list[list[list[OcrWord]]] = []  # each line's groups of words, as kept
    differing: list[tuple[int, int, list[OcrWord], list[OcrWord]]] = []  # line, group, sharp words, grey words
    taken: set[int] = set()
    for line in word_lines(sharp):
        box = union_box(line)
        beside = {i: w for i, w in enumerate(grey) if i not in taken and _on_line(w, box)}
        taken |= beside.keys()
        kept: list[list[OcrWord]] = []
        for mine, theirs in _groups(line, list(beside.values())):
            if mine and theirs and NUMBER.findall(_text(mine)) != NUMBER.findall(_text(theirs)):
                differing.append((len(lines), len(kept), mine, theirs))
            kept.append(theirs if _takes_grey(mine, theirs) else mine)
        lines.append(kept)
    if read_again and differing:
        thirds = read_again([union_box(mine + theirs) for _, _, mine, theirs in differing])
        for (line_index, group, mine, theirs), third in zip(differing, thirds, strict=True):
            if _third_settles(lines[line_index][group], (mine, theirs), third):
                lines[line_index][group] = third
    lines += [[line] for line in word_lines([w for i, w in enumerate(grey) if i not in taken]) if _surely_printed(line)]
    order = sorted(range(len(lines)), key=lambda i: union_box([w for group in lines[i] for w in group])[1])
    number = {index: n for n, index in enumerate(order)}
    words = [w.model_copy(update={"line": n}) for n, i in enumerate(order) for group in lines[i] for w in group]
    differing.sort(key=lambda d: (number[d[0]], d[1]))  # checks in page order
    checks = [Check(text=_text(mine), box=union_box(mine), line=number[i], confidence=_confidence(mine),
                    why="readings_differ") for i, _, mine, _ in differing]  # fmt: skip
    return words, checks


def _text(words: list[OcrWord]) -> str:
    return "".join(w.text for w in words)
