"""A table's header row: the cells that name its columns (검사명 | 결과 | 단위 | 참고치, 약품명 | 용량 | 횟수), and
what a row read under it is."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from referral.summary.cells import Cell
from referral.summary.dates import DATE, dates_in
from referral.summary.findings import is_lab_name
from referral.summary.vocabulary import squeeze, vocabulary

_PAREN = re.compile(r"\s*[(\[（].*?[)\]）]\s*")
ANCHORS = {"test", "drug", "diagnosis", "diagnosis_code", "marker"}
_RANGE_OR_UNIT = {"unit", "reference"}


@dataclass(frozen=True)
class Column:
    kind: str  # a column kind of table_columns.yaml, or "on_date" for a column of results of one day
    cell: Cell
    date: str | None = None


@dataclass
class TableItem:
    """One item read from a table row: its kind (lab, medication, problem), its fields, its row's span."""

    kind: str
    fields: dict[str, str | None]
    line: int
    start: int
    end: int
    header: int = -1  # the line of the table's header row
    unsure: bool = False  # a row of the table, but its test is no known one and was read unsurely: not taken


@dataclass
class Table:
    columns: list[Column]
    line: int = -1
    turned: dict[int, TableItem] = field(default_factory=dict)  # a turned table's results, by column
    transposed: bool = False


def _column(cell: Cell) -> Column | None:
    text = cell.text.strip()
    if DATE.fullmatch(text) or DATE.fullmatch(text.rstrip(".")):
        return Column("on_date", cell, dates_in(text)[0])
    kind = vocabulary().columns.get(squeeze(text)) or vocabulary().columns.get(squeeze(_PAREN.sub("", text)))
    return Column(kind, cell) if kind else None


def header(cells: list[Cell]) -> Table | None:
    """A table header: two or more cells that name columns, one of them the test, drug or diagnosis column
    (or a column of results of one day), at most one cell unknown; or three or more test names."""
    if len(cells) < 2:
        return None
    columns = [_column(c) for c in cells]
    known = [c for c in columns if c is not None]
    kinds = {c.kind for c in known}
    if len(known) >= 2 and len(cells) - len(known) <= 1 and kinds & ANCHORS:
        unknown = next((i for i, c in enumerate(columns) if c is None), None)
        if unknown is not None and _results_heading_lost(columns, unknown):
            columns[unknown] = Column("result", cells[unknown])
        return Table([c or Column("other", cell) for c, cell in zip(columns, cells, strict=True)])
    if columns[0] is None and len(known) == len(cells) - 1 >= 3 and "result" in kinds and kinds & _RANGE_OR_UNIT:
        # a lab table whose first heading the scan lost ("검사항목" read as letters): the rest name its results
        # and their units or ranges, so the first column is the test's
        return Table([Column("test", cells[0]), *known])
    if len(cells) >= 3 and sum(is_lab_name(c.text) for c in cells) >= max(3, len(cells) * 2 // 3):
        return Table([Column("test", c) for c in cells], transposed=True)
    return None


def _results_heading_lost(columns: list[Column | None], unknown: int) -> bool:
    """A lab table with no results heading, whose one unknown heading stands after the test's and before the units
    or ranges: the scan garbled "결과" there ("결", "Zu"), so that column holds the results."""
    kinds = [c.kind if c else None for c in columns]
    if "result" in kinds or "test" not in kinds[:unknown]:
        return False
    return any(kind in _RANGE_OR_UNIT for kind in kinds[unknown + 1 :])
