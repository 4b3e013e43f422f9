"""Table rows from word boxes: words of one printed line split into cells at wide gaps, so a lab row stays
검사명 | 결과 | 단위 | 참고치 and a prescription row 약품명 | 용량 | 횟수 | 일수 instead of one flattened line."""

from __future__ import annotations

from statistics import median

from referral.ocr.models import OcrWord, TableCell, TableRow

CELL_GAP = 1.6  # a gap wider than this many text heights separates two cells
MIN_CELLS = 3


def _cells(line: list[OcrWord]) -> list[TableCell]:
    height = median(w.box[3] - w.box[1] for w in line)
    groups: list[list[OcrWord]] = [[line[0]]]
    for before, word in zip(line, line[1:], strict=False):
        if word.box[0] - before.box[2] > CELL_GAP * height:
            groups.append([])
        groups[-1].append(word)
    cells = []
    for group in groups:
        parts = [group[0].text]
        for before, word in zip(group, group[1:], strict=False):
            parts.append((" " if word.box[0] - before.box[2] > 0.25 * height else "") + word.text)
        box = (min(w.box[0] for w in group), min(w.box[1] for w in group),
               max(w.box[2] for w in group), max(w.box[3] for w in group))  # fmt: skip
        cells.append(TableCell(text="".join(parts), box=box))
    return cells


def table_rows(words: list[OcrWord]) -> list[TableRow]:
    """Rows of at least MIN_CELLS cells, by text line (the line index of the page's text)."""
    lines: dict[int, list[OcrWord]] = {}
    for word in words:
        lines.setdefault(word.line, []).append(word)
    rows = []
    for number, line_id in enumerate(sorted(lines)):
        line = sorted(lines[line_id], key=lambda w: w.box[0])
        cells = _cells(line)
        if len(cells) >= MIN_CELLS:
            rows.append(TableRow(line=number, cells=cells))
    return rows
