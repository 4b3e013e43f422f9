"""Tables read as a physician reads them: a header row names the columns (검사명 | 결과 | 판정 | 단위 | 참고치;
검사명 | 2026.05.27 | 2026.05.28 | 단위; 약품명 | 1회 투여량 | 횟수 | 일수 | 비고; 상병코드 | 상병명), and each row
below is read cell by cell under the column it stands in. A header of test names (WBC | Hb | PLT) is a table
turned on its side: the row below holds their values. A header that names the test column twice is two tables
side by side. Column headings come from data/table_columns.yaml."""

from __future__ import annotations

import re
from collections.abc import Iterator

from referral.codes import is_diagnosis_code
from referral.ocr.reread import LOW_CONFIDENCE
from referral.summary.cell_split import DASH, results_apart, split_straddling, unit_or_dash, words_of
from referral.summary.cells import Cell
from referral.summary.coded import letter_read_as_digit
from referral.summary.dates import dates_in
from referral.summary.findings import DOSE, ROUTE, VALUE, is_lab_name, labs_in
from referral.summary.med_status import own_clause, status_of
from referral.summary.table_header import ANCHORS, Column, Table, TableItem, header
from referral.summary.vocabulary import vocabulary

__all__ = ["TableItem", "read_tables"]


def _overlap(cell: Cell, column: Cell) -> float:
    return min(cell.right, column.right) - max(cell.left, column.left)


def _assign(columns: list[Column], cells: list[Cell]) -> dict[int, Cell]:
    """Each cell under its column: by order when the row has a cell for every column, else by position (the
    fitting column it overlaps most, else the nearest centre). Two pieces under one text column are one cell
    split at a wide gap; two numbers under one value column are read only if exactly one stands under its
    header — otherwise that value is not read at all (a rule read as a digit must never become the result)."""
    by_order = len(cells) == len(columns) and (
        any(c.kind == "marker" for c in columns)  # an IHC table's results are words
        or all(not cell.text or _fits(c.kind, cell.text) for c, cell in zip(columns, cells, strict=True))
    )
    if by_order:
        return {index: cell for index, cell in enumerate(cells) if cell.text}
    under: dict[int, list[Cell]] = {}
    for cell in cells:

        def fit(index: int, cell: Cell = cell) -> float:
            if not _fits(columns[index].kind, cell.text):
                return float("-inf")
            overlap = _overlap(cell, columns[index].cell)
            return overlap if overlap > 0 else -abs(cell.centre - columns[index].cell.centre)

        best = max(range(len(columns)), key=fit)
        if fit(best) != float("-inf"):
            under.setdefault(best, []).append(cell)
    placed: dict[int, Cell] = {}
    for index, found in under.items():
        if columns[index].kind == "on_date":  # a value of one day must stand under that day: never a drifted one
            found = [c for c in found if _overlap(c, columns[index].cell) > 0]
            if len(found) == 1:
                placed[index] = found[0]
        elif len(found) == 1:
            placed[index] = found[0]
        elif columns[index].kind in _VALUE_KINDS:
            standing = [c for c in found if _overlap(c, columns[index].cell) > 0]
            if len(standing) == 1:
                placed[index] = standing[0]
        else:
            first, last = found[0], found[-1]
            placed[index] = Cell(" ".join(c.text for c in found), first.start, last.end, first.left, last.right,
                                 min(c.confidence for c in found))  # fmt: skip
    return placed


_VALUE_KINDS = ("result", "on_date", "flag", "frequency", "days")
_FLAGS = ("H", "L", "HH", "LL", "↑", "↓", "*")


def _fits(kind: str, text: str) -> bool:
    """Whether a cell's text can stand in a column of this kind (a unit is never a flag, a flag never a value)."""
    text = text.strip()
    if kind == "flag":
        return text in _FLAGS
    if kind in ("test", "drug", "diagnosis", "marker"):
        return bool(re.search(r"[A-Za-z가-힣]", text))
    if kind in ("result", "on_date"):
        return _is_value(text) or bool(re.search(r"\d", text))
    if kind in ("unit", "reference", "dose"):
        return not VALUE.fullmatch(text) or kind != "unit"
    return True


def _groups(columns: list[Column]) -> list[list[int]]:
    """Column indexes of each table side by side: a new one starts where the anchor column repeats."""
    anchor = next((c.kind for c in columns if c.kind in ANCHORS), None)
    groups: list[list[int]] = [[]]
    for index, column in enumerate(columns):
        if column.kind == anchor and groups[-1] and any(columns[i].kind == anchor for i in groups[-1]):
            groups.append([])
        groups[-1].append(index)
    return groups


def _cell(row: dict[int, Cell], columns: list[Column], group: list[int], kind: str) -> Cell | None:
    return next((row[i] for i in group if columns[i].kind == kind and i in row), None)


def _text(cell: Cell | None) -> str | None:
    return cell.text.strip() or None if cell else None


def _is_value(text: str) -> bool:
    return _value(text) is not None


def _value(text: str) -> tuple[str, str | None, str | None] | None:
    """(value, flag, unit) of a result cell: "6.4", "54 H", "양성", "5.8 x10^3/uL" (a turned table's cell), "139 ~
    mmol/L" (the value and its unit run into one cell, a speck between)."""
    text = text.strip()
    head = VALUE.match(text) or vocabulary().qualitative.match(text)
    if head is None:
        return None
    rest = text[head.end() :].strip()
    flag = next((f for f in _FLAGS if rest == f or rest.startswith(f + " ")), None)
    rest = rest[len(flag) :].strip() if flag else rest
    unit = _unit_of_cell(rest) if rest else None  # beside a speck the scan left: "139 ~ mmol/L"
    if rest and unit is None:
        return None
    return head.group(0).replace(" ", ""), flag, unit


def _labs(row: dict[int, Cell], columns: list[Column], group: list[int]) -> Iterator[dict[str, str | None]]:
    name = _test_name(_text(_cell(row, columns, group, "test")) or "")
    if not name or not re.search(r"[A-Za-z가-힣]", name):
        return
    unit, reference = _text(_cell(row, columns, group, "unit")), _text(_cell(row, columns, group, "reference"))
    if unit is None:  # a unit column whose heading was misread: its cells still say what they are ("mg/dL")
        unit = next((known for i in group if i in row and columns[i].kind == "other"
                     and (known := _unit_of_cell(row[i].text))), None)  # fmt: skip
    else:
        unit = _unit_of_cell(unit) or unit  # a unit the vocabulary does not know stays as printed
    flag, row_date = _text(_cell(row, columns, group, "flag")), _text(_cell(row, columns, group, "date"))
    reads = [(i, _value(row[i].text.strip())) for i in group if i in row and columns[i].kind in ("result", "on_date")]
    # a cumulative row's values share its unit: one the scan ran into a value's cell is the others' too
    units_read = {read[2] for _, read in reads if read and read[2]}
    shared = units_read.pop() if len(units_read) == 1 else None
    for index, read in reads:
        if read is not None:
            value, value_flag, value_unit = read
            date = columns[index].date or (dates_in(row_date)[0] if row_date and dates_in(row_date) else row_date)
            yield {"name": name, "value": value, "unit": unit or value_unit or shared, "reference_range": reference,
                   "flag": value_flag or (flag if flag in _FLAGS else None), "date": date}  # fmt: skip


def _test_name(text: str) -> str:
    """A test's name without what a scan reads from specks beside it: a quote mark before it ('"Ferritin'), marks
    after it ("PT(INR)="), or one letter of another script a space after a name the vocabulary knows ("Creatinine
    호"). A bar a space after a name the vocabulary knows only with a final I ("Troponin !", "Troponin |") is
    that I: a letter of the name, never a digit."""
    bar = re.fullmatch(r"(.+) [!|ㅣl]", text.strip())
    if bar and not is_lab_name(bar[1]) and is_lab_name(f"{bar[1]} I"):
        return f"{bar[1]} I"
    name = text.lstrip("“”\"'‘’").rstrip("=~_{}|;:!“”\"'‘’").strip()
    known, _, speck = name.rpartition(" ")
    if known and len(speck) == 1 and not speck.isascii() and is_lab_name(known):
        return known
    return name


def _unit_of_cell(text: str) -> str | None:
    """The known unit a cell holds: all of it, or beside specks the scan left ("U/L ㅋ", "ㅁ pg/mL"), which are
    one or two characters; a digit only in a speck after a unit that starts with a letter and has a slash
    ("mg/dL 7'"), never before one or beside "/uL" or "10^3/uL", where a digit may be the unit's magnitude."""
    if vocabulary().lab_unit.fullmatch(text.strip()):
        return text.strip()
    words = text.split()
    units = [i for i, w in enumerate(words) if vocabulary().lab_unit.fullmatch(w)]
    if len(units) != 1:
        return None
    unit = words[units[0]]
    digits_after = bool(re.match(r"[A-Za-zμµ]", unit)) and "/" in unit
    for i, speck in enumerate(words):
        if i != units[0] and (len(speck) > 2 or (re.search(r"\d", speck) and not (digits_after and i > units[0]))):
            return None
    return unit


def _medication(row: dict[int, Cell], columns: list[Column], group: list[int]) -> dict[str, str | None] | None:
    name_cell = _text(_cell(row, columns, group, "drug"))
    if not name_cell or not re.search(r"[A-Za-z가-힣]", name_cell):
        return None
    strength = DOSE.search(name_cell)
    name = name_cell[: strength.start()].strip(" ,(") if strength else name_cell
    name = re.sub(r"\s+(?:PO|IV|SC|IM|SL|po|iv|sc|im|sl)$", "", name)  # "Nitroglycerin SL": the route is not the name
    dose_cell = _text(_cell(row, columns, group, "dose"))
    in_cell = DOSE.search(dose_cell) if dose_cell else None
    dose = (strength or in_cell).group("dose") if strength or in_cell else dose_cell  # type: ignore[union-attr]
    usage = _text(_cell(row, columns, group, "usage"))
    frequency = _text(_cell(row, columns, group, "frequency")) or usage
    route_text = " ".join(t for t in (_text(_cell(row, columns, group, "route")), usage, dose_cell) if t)
    route = ROUTE.search(route_text)
    # a note column's heading is part of what it says: "수술 전 지시 | 중단" is a hold for the operation
    note = " ".join(f"{columns[i].cell.text} {row[i].text}" if columns[i].kind == "note" else row[i].text
                    for i in group if i in row and columns[i].kind in ("note", "usage", "dose"))  # fmt: skip
    status, stop = status_of(own_clause(note, 0))  # "자렐토 중단 동안 대신 복용": rivaroxaban's stop
    return {"name": name or name_cell, "dose": dose, "frequency": frequency, "route": route.group(0) if route else None,
            "status": status, "stop": stop}  # fmt: skip


def _known_drug(text: str) -> bool:
    vocab = vocabulary()
    return any(pattern.search(text) for pattern in (vocab.drug, vocab.product, vocab.brand, vocab.spaced_product))


def _problem(row: dict[int, Cell], columns: list[Column], group: list[int]) -> dict[str, str | None] | None:
    name, code = _text(_cell(row, columns, group, "diagnosis")), _text(_cell(row, columns, group, "diagnosis_code"))
    if not name or not re.search(r"[A-Za-z가-힣]", name):
        return None
    if code and not is_diagnosis_code(code):  # its letter read as a digit ("150.9"), the name corroborating
        printed = code.strip(" .,;:")
        misread = letter_read_as_digit(f"{printed} {name}")
        code = misread[1] if misread and misread[0].end() <= len(printed) else None
    return {"name": name, "code": code}


def read_row(table: Table, number: int, cells: list[Cell]) -> list[TableItem]:
    start, end = cells[0].start, cells[-1].end
    if table.transposed:
        apart = [piece for cell in cells for piece in results_apart(cell)]
        cells = apart if len(apart) == len(table.columns) else cells  # then read in order, one per heading
        values = _assign([Column("result", c.cell) for c in table.columns], cells)
        for index, cell in sorted(values.items()):
            read = _value(cell.text)
            if read is not None:
                table.turned[index] = TableItem("lab", {
                    "name": table.columns[index].cell.text.strip(), "value": read[0], "unit": read[2],
                    "reference_range": None, "flag": read[1], "date": None}, number, start, end)  # fmt: skip
        return list(table.turned.values())
    row = _assign(table.columns, split_straddling(cells, table.columns))
    items = []
    for group in _groups(table.columns):
        kinds = {table.columns[i].kind for i in group}
        if "test" in kinds:
            name = _cell(row, table.columns, group, "test")
            # a test the vocabulary does not know, read unsurely, is more likely a smudge ("xr Tq") than a test
            unsure = bool(name and name.confidence < LOW_CONFIDENCE and not is_lab_name(_test_name(name.text)))
            items += [TableItem("lab", lab, number, start, end, unsure=unsure)
                      for lab in _labs(row, table.columns, group)]  # fmt: skip
        elif "drug" in kinds and (med := _medication(row, table.columns, group)):
            name = _cell(row, table.columns, group, "drug")
            # as for tests: a drug no vocabulary knows, read unsurely, is more likely a smudge than a drug
            unsure = bool(name and name.confidence < LOW_CONFIDENCE and not _known_drug(name.text))
            items.append(TableItem("medication", med, number, start, end, unsure=unsure))
        elif "marker" in kinds and (marker := _text(_cell(row, table.columns, group, "marker"))):
            result = _text(_cell(row, table.columns, group, "result"))
            items.append(TableItem("ihc", {"marker": marker, "result": result or ""}, number, start, end))
        elif kinds & {"diagnosis", "diagnosis_code"} and (problem := _problem(row, table.columns, group)):
            items.append(TableItem("problem", problem, number, start, end))
    if not items and "test" in {c.kind for c in table.columns}:  # a row whose cells ran together: "WBC 6.4 x10^3/uL"
        items = [TableItem("lab", {"reference_range": None, **f.fields}, number, start, end)
                 for f in labs_in(cells[0].text)]  # fmt: skip
    return items


# what an OCR'd ruled table leaves of its rules: bars, dots and specks at a cell's edges, or a cell of its own
_RULE_EDGE = re.compile(r"^[\s|ㅣ\[\]{}_~'‘’\"`.,:;ㆍ·*\-]+|[\s|ㅣ\[\]{}_~'‘’\"`.,:;ㆍ·*]+$")
_RULE_INSIDE = re.compile(r"\s*[|ㅣ]\s*|\s{2,}")


def _clean(cells: list[Cell]) -> list[Cell]:
    """A line's cells without the table rules OCR read as text: edge specks cut, a cell split where a rule runs
    through it ("결과 ㅣ 판정"), cells of rules alone ("|", "00") dropped. Each piece keeps its exact span."""
    pieces: list[Cell] = []
    for cell in cells:
        if not cell.text:  # an empty cell of a `|` table keeps its place
            pieces.append(cell)
            continue
        width = max(len(cell.text), 1)
        position = 0
        for part in _RULE_INSIDE.split(cell.text):
            at = cell.text.find(part, position) if part else -1
            if at < 0:
                continue
            position = at + len(part)
            if vocabulary().lab_unit.fullmatch(part.strip()):  # "[U/L" is IU/L as a scan reads it: no rule to cut
                trimmed, lead_end = part.strip(), len(part) - len(part.lstrip())
            else:
                lead = _RULE_EDGE.match(part)
                trimmed, lead_end = _RULE_EDGE.sub("", part), lead.end() if lead else 0
            if not trimmed or re.fullmatch(r"0{2,}", trimmed):
                continue
            start = at + lead_end
            scale = (cell.right - cell.left) / width
            pieces.append(Cell(trimmed, cell.start + start, cell.start + start + len(trimmed),
                               cell.left + start * scale, cell.left + (start + len(trimmed)) * scale,
                               cell.confidence))  # fmt: skip
    return pieces


def _units_row(table: Table, cells: list[Cell]) -> bool:
    """The row under a turned table's values when it gives their units ("g/dL | x10^3/uL | - | %"): two known
    units or more, every other cell a dash, a speck or a unit the scan garbled (it has a slash), and no value.
    Only the known units are given to the values above them. A cell the scan ran over two columns ("uIU/mL -
    ng/dL") is split at its spaces when each word is a unit or a dash: units are no numbers to misplace. A dash
    says "no unit", so it is set aside before the units are placed."""
    cells = [piece for cell in cells for piece in
             (words_of(cell) if all(map(unit_or_dash, cell.text.split())) else [cell])
             if not DASH.fullmatch(piece.text)]  # fmt: skip
    units = _assign([Column("unit", c.cell) for c in table.columns], cells)
    known = {i: c for i, c in units.items() if vocabulary().lab_unit.fullmatch(c.text)}
    others = [c.text for i, c in units.items() if i not in known]
    if len(known) < 2 and others or not known:
        return False
    if any(_is_value(t) or not ("/" in t or len(t) <= 2 and not re.search(r"\w", t)) for t in others):
        return False
    for index, cell in known.items():
        item = table.turned.get(index)
        if item is not None and not item.fields["unit"]:
            item.fields["unit"] = cell.text
            item.end = cells[-1].end
    return True


def read_tables(cells_by_line: dict[int, list[Cell]]) -> tuple[list[TableItem], set[int]]:
    """Items of every table of a page, and the line numbers the tables take (headers and rows)."""
    cells_by_line = {n: cleaned for n, cells in cells_by_line.items() if (cleaned := _clean(cells))}
    items: list[TableItem] = []
    taken: set[int] = set()
    table: Table | None = None
    misses = 0
    for number in sorted(cells_by_line):
        cells = cells_by_line[number]
        found = header(cells)
        if found is not None:
            table, misses = found, 0
            table.line = number
            taken.add(number)
            continue
        if table is None or len(cells) < 2:
            table = None
            continue
        if table.transposed and table.turned:
            if _units_row(table, cells):
                taken.add(number)
            table = None  # a turned table is its values and perhaps their units
            continue
        row_items = read_row(table, number, cells)
        for item in row_items:
            item.header = table.line
        if row_items or (len(cells) >= 2 and is_lab_name(cells[0].text)):
            taken.add(number)  # a test's row that gives no result is not read again as text (its numbers may be rules)
            items += [item for item in row_items if not item.unsure]
        misses = 0 if number in taken else misses + 1
        if (table.transposed and not row_items) or misses >= 2:
            table = None
    return items, taken
