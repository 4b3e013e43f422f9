"""Dates as Korean records print them (2026-06-10, 2026.06.10, 2026/06/22, 2026. 06. 18., 26/06/10,
2026년 6월 12일), found in a line and read as calendar dates; the printed text is what evidence quotes."""

from __future__ import annotations

import re
from datetime import date

DATE = re.compile(
    r"(?<![\d.])(?:(?P<y>(?:19|20)\d{2})\s*(?:[-./]\s*|년\s*)(?P<m>0?[1-9]|1[0-2])\s*(?:[-./]\s*|월\s*)"
    r"(?P<d>0?[1-9]|[12]\d|3[01])(?:\s*일|\.(?!\d))?"
    r"|(?P<yy>\d{2})(?P<sep>[/.])(?P<mm>0[1-9]|1[0-2])(?P=sep)(?P<dd>0[1-9]|[12]\d|3[01]))(?![\d])"
)


def dates_in(text: str) -> list[str]:
    """Every printed date of `text`, as printed: "2026. 06. 18." keeps its last full stop, which is part of that
    style; "2026.06.18." ends a sentence."""
    return [_printed(m.group(0)) for m in DATE.finditer(text)]


def _printed(text: str) -> str:
    text = text.strip()
    return text if not text.endswith(".") or re.search(r"\.\s", text) else text[:-1]


def as_date(printed: str) -> date | None:
    match = DATE.search(printed)
    if match is None:
        return None
    if match["y"]:
        year, month, day = int(match["y"]), int(match["m"]), int(match["d"])
    else:
        year, month, day = 2000 + int(match["yy"]), int(match["mm"]), int(match["dd"])
    try:
        return date(year, month, day)
    except ValueError:
        return None
