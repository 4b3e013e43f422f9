"""The independent Korean record corpus (../shared/data/korean-records): documents, their page sets and facts.

Evaluation only: nothing here is used by the system. A fact is every string the facts JSON says is printed
verbatim in the document (its README: all string values except kind, doc_id, status, flag, sex, the
no_known_allergies flag, expected_* and the hypothetical duplicate_check plan).
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, get_args

from referral.ocr.models import GlyphReason, Reread

CORPUS = Path(
    os.environ.get("REFERRAL_RECORDS_CORPUS", Path(__file__).resolve().parents[2] / "shared/data/korean-records")
)
PAGE_SETS = ("text_layer", "scan", "fax")
_NOT_PRINTED = {"kind", "doc_id", "status", "flag", "sex", "no_known_allergies", "duplicate_check"}


@dataclass(frozen=True)
class Record:
    name: str
    folder: Path

    @cached_property
    def facts_json(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.folder / "docs" / f"{self.name}.json").read_text(encoding="utf-8"))
        return data

    @cached_property
    def pages_truth(self) -> list[str]:
        """Exact printed text per page, header band and footer included."""
        return (self.folder / "rendered" / f"{self.name}.gt.txt").read_text(encoding="utf-8").split("\f")

    @cached_property
    def printed(self) -> str:
        """The exact printed text of every page, whitespace removed (what a reading is checked against)."""
        return re.sub(r"\s+", "", "".join(self.pages_truth))

    def unprinted_glyph_readings(self, rereads: list[Reread]) -> list[Reread]:
        """Readings made from a glyph's shape that this record does not print: a 1 taken for a code's I (a digit
        of a number changed into a letter), a letter taken for a dose's 1 (a digit added), a digit taken for a
        count unit's caret (a digit removed), a u taken for its μ, or a letter taken for a lab name's 1 or a stage's
        0."""
        by_shape = get_args(GlyphReason)
        return [r for r in rereads if r.reason in by_shape and _read_by_shape(r) not in self._printed_as(r)]

    def _printed_as(self, reread: Reread) -> str:
        """The printed text a reading is checked against: for a μ, with the micro sign as the Greek mu it is
        (Unicode's compatibility form; the two are one glyph on paper)."""
        return unicodedata.normalize("NFKC", self.printed) if reread.reason == "micro" else self.printed

    @property
    def text_layer_pdf(self) -> Path:
        return self.folder / "rendered" / f"{self.name}.pdf"

    @property
    def scan_pdf(self) -> Path:
        return self.folder / "rendered" / f"{self.name}.scan.pdf"

    @property
    def fax_pages(self) -> list[Path]:
        return sorted(
            (self.folder / "rendered").glob(f"{self.name}.fax.p*.png"), key=lambda p: int(p.stem.split(".p")[-1])
        )

    @property
    def identity(self) -> dict[str, str]:
        patient: dict[str, str] = self.facts_json["patient"]
        return patient

    @property
    def expected_identity_mismatch(self) -> bool:
        return bool(self.facts_json.get("expected_identity_mismatch"))

    @cached_property
    def facts(self) -> list[str]:
        """Printed fact strings, each once."""
        found: list[str] = []
        _collect(self.facts_json, found)
        return list(dict.fromkeys(found))


def _read_by_shape(reread: Reread) -> str:
    """What a glyph reading put on the page: the word, or for a caret the power it reads ("10^3"; the unit's other
    letters are the models' reading, not the glyph's)."""
    if reread.reason == "caret":
        power = re.search(r"10\^\d", reread.after)
        return power.group() if power else reread.after
    if reread.reason == "micro":
        return "/μL"
    return reread.after.strip("()[],.;:=")


def _collect(value: Any, out: list[str], key: str = "") -> None:
    if key in _NOT_PRINTED or key.startswith("expected_"):
        return
    if isinstance(value, str):
        if value.strip():
            out.append(value)
    elif isinstance(value, list):
        for item in value:
            _collect(item, out, key)
    elif isinstance(value, dict):
        for k, v in value.items():
            _collect(v, out, k)


def records(folder: Path = CORPUS) -> Iterator[Record]:
    for path in sorted((folder / "docs").glob("d*.json")):
        yield Record(name=path.stem, folder=folder)


def available(folder: Path = CORPUS) -> bool:
    return (folder / "docs").is_dir() and (folder / "rendered").is_dir()
