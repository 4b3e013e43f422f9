"""Cells a scan ran together or across headings, taken apart: a drug table's words under two headings, a turned
table's results under two headings, a units row's units. Each piece keeps its exact span of the page."""

from __future__ import annotations

import re

from referral.summary.cells import Cell
from referral.summary.findings import VALUE
from referral.summary.table_header import Column
from referral.summary.vocabulary import vocabulary


def _width(text: str) -> int:
    return sum(2 if "가" <= char <= "힣" else 1 for char in text)


def split_straddling(cells: list[Cell], columns: list[Column]) -> list[Cell]:
    """In a drug table, a cell whose words the scan ran across two headings or more ("655501230 리피토정20mg"
    under 코드 and 약품명), split at its spaces, each word placed by its share of the cell's width (a Korean
    syllable as two)."""
    if not any(c.kind == "drug" for c in columns):
        return cells  # a lab row's numbers are placed only where they stand under their heading, never by estimate
    split: list[Cell] = []
    for cell in cells:
        if sum(cell.left <= c.cell.centre <= cell.right for c in columns) < 2 or " " not in cell.text.strip():
            split.append(cell)
        else:
            split += words_of(cell)
    return split


def words_of(cell: Cell) -> list[Cell]:
    """A cell's words, each placed by its share of the cell's width (a Korean syllable as two)."""
    scale = (cell.right - cell.left) / max(_width(cell.text), 1)
    words = []
    for word in re.finditer(r"\S+", cell.text):
        left, right = (cell.left + _width(cell.text[:at]) * scale for at in (word.start(), word.end()))
        words.append(Cell(word.group(0), cell.start + word.start(), cell.start + word.end(), left, right,
                          cell.confidence))  # fmt: skip
    return words


# a result with its unit as a turned table prints it: "13.9 g/dL", "301 x10^3/uL", "6.8 %"
_RESULT = re.compile(rf"{VALUE.pattern}(?:\s*[A-Za-zμµ%][^\s]*)?")


def results_apart(cell: Cell) -> list[Cell]:
    """A turned table's cell that the scan ran under two headings ("13.9 g/dL ~ 301 x10^3/uL") as its results,
    when it holds nothing but results and specks between them. The pieces are used only when the row then has
    exactly one result per heading, read in order: never placed by an estimate of where they stood."""
    results = list(_RESULT.finditer(cell.text))
    gaps = [cell.text[a.end() : b.start()] for a, b in zip(results, results[1:], strict=False)]
    if len(results) < 2 or re.search(r"\w", _RESULT.sub("", cell.text)) or not all(re.search(r"\s", g) for g in gaps):
        return [cell]  # "0,7 mg/dL" is one result with its decimal comma, never "0" and "7 mg/dL"
    return [Cell(m.group(0).strip(), cell.start + m.start(), cell.start + m.end(), cell.left, cell.right,
                 cell.confidence) for m in results]  # fmt: skip


DASH = re.compile(r"[-~–—]")


def unit_or_dash(word: str) -> bool:
    return bool(vocabulary().lab_unit.fullmatch(word) or DASH.fullmatch(word))
