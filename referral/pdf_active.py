"""Active content in a PDF, found by walking its object graph (names are compared after pypdf has decoded them, so
`/J#61vaScript` and objects inside compressed object streams count): JavaScript, actions that launch a program,
open a URI, submit or import data or go to another file, embedded files, XFA forms, rich media. A clinical document
needs none of these, and a PDF viewer at the receiving hospital could run them. Also a PDF that is another file
as well (a polyglot: HTML or a script before its header or after its end), which a browser could open as that."""

from __future__ import annotations

import re

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject, PdfObject

# keys whose presence is active content, and action types (/S) that are; a page destination (/GoTo) is not
_ACTIVE_KEYS = {"/JS": "JavaScript", "/JavaScript": "JavaScript", "/EmbeddedFiles": "embedded file",
                "/EmbeddedFile": "embedded file", "/XFA": "XFA form", "/RichMedia": "rich media"}  # fmt: skip
_ACTIVE_ACTIONS = {"/JavaScript": "JavaScript", "/Launch": "launch action", "/URI": "URI action",
                   "/SubmitForm": "form submission", "/ImportData": "data import", "/GoToR": "link to another file",
                   "/GoToE": "link to an embedded file", "/RichMediaExecute": "rich media",
                   "/Rendition": "media rendition"}  # fmt: skip
_MAX_OBJECTS = 500_000  # a graph larger than this is refused rather than walked for ever
_TRAILING = re.compile(rb"%%EOF[\s\x00]*$")


def active_content(reader: PdfReader) -> list[str]:
    """What active content the PDF holds, by kind (empty when none)."""
    found: set[str] = set()
    seen: set[tuple[int, int]] = set()
    stack: list[PdfObject | None] = [reader.trailer]
    visited = 0
    while stack:
        node = stack.pop()
        if isinstance(node, IndirectObject):
            if (node.idnum, node.generation) in seen:
                continue
            seen.add((node.idnum, node.generation))
            node = node.get_object()  # None for a dangling reference
        visited += 1
        if visited > _MAX_OBJECTS:
            return ["object graph too large to check"]
        if isinstance(node, DictionaryObject):
            for key, value in node.items():
                if key in _ACTIVE_KEYS:
                    found.add(_ACTIVE_KEYS[key])
                if key == "/S" and isinstance(value, NameObject) and value in _ACTIVE_ACTIONS:
                    found.add(_ACTIVE_ACTIONS[value])
                if key not in ("/Parent", "/P"):  # back-references: the page tree is reached from the root
                    stack.append(value)
        elif isinstance(node, ArrayObject):
            stack.extend(node)
    return sorted(found)


def polyglot(data: bytes) -> bool:
    """A PDF that does not start with its header (after whitespace) or has content after its last end marker."""
    start = data.find(b"%PDF-")
    if start < 0 or data[:start].strip():
        return True
    end = data.rfind(b"%%EOF")
    return end < 0 or not _TRAILING.match(data, end)
