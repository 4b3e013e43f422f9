"""The cells of a printed line: where a table row's columns are, as spans of the page text.

On an OCR'd or text-layer page the word boxes say where one cell ends and the next begins (a gap wider than the
text height, the same rule as `referral.ocr.tables`). On plain text (a typed or exported record) cells are
separated by `|`, a tab or two spaces or more. Each cell keeps its span in the page text, so an item read from a
table quotes the page exactly, and its horizontal position, so a row's cell is read under the header it stands
under even where a cell of the row is empty."""

from __future__ import annotations

import re
from dataclasses import dataclass
from statistics import median

from referral.ocr.models import OcrWord
from referral.ocr.tables import CELL_GAP, word_lines

_TEXT_SEPARATOR = re.compile(r"\s*\|\s*|\t+|\s{2,}")


@dataclass(frozen=True)
class Cell:
    text: str
    start: int  # offsets in the page text
    end: int
    left: float  # horizontal extent: pixels on a page with word boxes, characters on plain text
    right: float
    confidence: float = 100.0  # the OCR's confidence in its least sure word (0-100); plain text: 100

    @property
    def centre(self) -> float:
        return (self.left + self.right) / 2


def page_cells(text: str, words: tuple[OcrWord, ...]) -> dict[int, list[Cell]]:
    """Cells of every non-empty line of a page, by line number in `text`."""
    boxed = _boxed_lines(text, words) if words else {}
    cells: dict[int, list[Cell]] = {}
    offset = 0
    for number, raw in enumerate(text.split("\n")):
        found = (boxed.get(number) or _text_cells(raw, offset)) if raw.strip() else []
        if found:  # a table's rule line has none
            cells[number] = found
        offset += len(raw) + 1
    return cells


def _text_cells(raw: str, offset: int) -> list[Cell]:
    """Cells of a plain-text line; in a `|` table an empty cell is kept (zero width), so a row has a cell for
    every column."""
    if raw.strip().startswith("|"):
        return _pipe_cells(raw, offset)
    cells, position = [], 0
    for part in _TEXT_SEPARATOR.split(raw):
        start = raw.find(part, position) if part else -1
        if part.strip() and start >= 0:
            stripped = part.strip()
            start += part.index(stripped)
            cells.append(Cell(stripped, offset + start, offset + start + len(stripped), start, start + len(stripped)))
            position = start + len(stripped)
    return cells


def _pipe_cells(raw: str, offset: int) -> list[Cell]:
    cells = []
    bars = [i for i, char in enumerate(raw) if char == "|"]
    for left, right in zip(bars, bars[1:], strict=False):
        part = raw[left + 1 : right]
        stripped = part.strip()
        if re.fullmatch(r":?-{3,}:?", stripped):
            return []  # the rule under a header
        start = left + 1 + (part.index(stripped) if stripped else len(part) // 2)
        cells.append(Cell(stripped, offset + start, offset + start + len(stripped), left + 1, right))
    return cells


def _boxed_lines(text: str, words: tuple[OcrWord, ...]) -> dict[int, list[Cell]]:
    """Word lines matched to text lines in order (the text is the words joined, perhaps corrected); a line whose
    words cannot all be found in order is left to the plain-text rule."""
    groups = word_lines(list(words))
    found: dict[int, list[Cell]] = {}
    offset, group = 0, 0
    for number, raw in enumerate(text.split("\n")):
        if raw.strip() and group < len(groups):
            line = sorted(groups[group], key=lambda w: w.box[0])
            group += 1
            cells = _cells_of(raw, offset, line)
            if cells:
                found[number] = cells
        offset += len(raw) + 1
    return found


def _find_word(raw: str, word: str, cursor: int) -> int:
    """Where a word box's text is in the line from `cursor`: as read, or as the OCR's correction left it, the same
    length (a unit's case, "mg/dl" → "mg/dL", or a symbol fixed), the next word of the line. -1: not there."""
    at = raw.find(word, cursor)
    if at >= 0:
        return at
    following = re.compile(rf"\s*(\S{{{len(word)}}})(?!\S)").match(raw, cursor)
    return following.start(1) if following else -1


def _cells_of(raw: str, offset: int, line: list[OcrWord]) -> list[Cell] | None:
    height = median(w.box[3] - w.box[1] for w in line)
    spans: list[tuple[int, int]] = []
    cursor = 0
    for word in line:
        at = _find_word(raw, word.text, cursor)
        if at < 0:
            return None
        spans.append((at, at + len(word.text)))
        cursor = at + len(word.text)
    cells: list[Cell] = []
    first = 0
    for index in range(1, len(line) + 1):
        if index == len(line) or line[index].box[0] - line[index - 1].box[2] > CELL_GAP * height:
            start, end = spans[first][0], spans[index - 1][1]
            left, right = line[first].box[0], line[index - 1].box[2]
            confidence = min(w.confidence for w in line[first:index])
            cells.append(Cell(raw[start:end], offset + start, offset + end, left, right, confidence))
            first = index
    return cells
