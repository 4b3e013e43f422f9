"""Table rows from word boxes: words of one printed line split into cells at wide gaps, so a lab row stays
검사명 | 결과 | 단위 | 참고치 and a prescription row 약품명 | 용량 | 횟수 | 일수 instead of one flattened line."""

from __future__ import annotations

from statistics import median

from referral.ocr.models import OcrWord, TableCell, TableRow

Box = tuple[int, int, int, int]
CELL_GAP = 1.6  # a gap wider than this many text heights separates two cells
WORD_GAP = 0.25  # a gap wider than this many text heights is a space (Tesseract splits Korean syllables)
MIN_CELLS = 3


def word_lines(words: list[OcrWord]) -> list[list[OcrWord]]:
    """The page's words by text line, in line order (a line's index is its line in the page text)."""
    lines: dict[int, list[OcrWord]] = {}
    for word in words:
        lines.setdefault(word.line, []).append(word)
    return [line for _, line in sorted(lines.items())]


def is_space(before: OcrWord, word: OcrWord, height: float) -> bool:
    """The gap between two words of a line, whose text is `height` tall, is a space (Tesseract splits Korean
    syllables of one word apart)."""
    return word.box[0] - before.box[2] > WORD_GAP * height


def join_words(words: list[OcrWord], height: float) -> str:
    """Words of one line as text, with a space only where the page has a gap."""
    parts = [words[0].text]
    for before, word in zip(words, words[1:], strict=False):
        parts.append((" " if is_space(before, word, height) else "") + word.text)
    return "".join(parts)


def union_box(words: list[OcrWord]) -> Box:
    return (min(w.box[0] for w in words), min(w.box[1] for w in words),
            max(w.box[2] for w in words), max(w.box[3] for w in words))  # fmt: skip


def _cells(line: list[OcrWord]) -> list[TableCell]:
    height = median(w.box[3] - w.box[1] for w in line)
    groups: list[list[OcrWord]] = [[line[0]]]
    for before, word in zip(line, line[1:], strict=False):
        if word.box[0] - before.box[2] > CELL_GAP * height:
            groups.append([])
        groups[-1].append(word)
    return [TableCell(text=join_words(group, height), box=union_box(group)) for group in groups]


def table_rows(words: list[OcrWord]) -> list[TableRow]:
    """Rows of at least MIN_CELLS cells, by text line (the line index of the page's text)."""
    rows = []
    for number, line in enumerate(word_lines(words)):
        cells = _cells(sorted(line, key=lambda w: w.box[0]))
        if len(cells) >= MIN_CELLS:
            rows.append(TableRow(line=number, cells=cells))
    return rows
