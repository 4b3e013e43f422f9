"""Malformed and hostile documents for the intake tests, built on the fly."""

from __future__ import annotations

import io
import struct
import zlib

from pypdf import PdfWriter
from pypdf.annotations import Link
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

from referral.synthetic import text_pdf


def truncated_pdf() -> bytes:
    data = text_pdf(["진료의뢰서", "진단: 본태성 고혈압 (I10)"])
    return data[: len(data) // 2]


def encrypted_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.encrypt(user_password="secret", owner_password="owner")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def decompression_bomb_png(side: int = 40_000) -> bytes:
    """A few hundred KB of PNG that decodes to side² pixels (1.6 G for the default)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)  # 1-bit greyscale
    row = b"\x00" + b"\x00" * ((side + 7) // 8)
    compressor = zlib.compressobj(9)
    body = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def zip_renamed_pdf() -> bytes:
    return b"PK\x03\x04" + b"\x00" * 200  # a .docx/.zip named referral.pdf


def _written(writer: PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _letter() -> PdfWriter:
    """A real one-page letter (our text PDF) to add active content to."""
    return PdfWriter(clone_from=io.BytesIO(text_pdf(["진료의뢰서", "진단: 본태성 고혈압 (I10)"])))


def javascript_pdf() -> bytes:
    writer = _letter()  # document-level JavaScript: /Names << /JavaScript << /Names [(open) action] >> >>
    action = writer._add_object(DictionaryObject({NameObject("/S"): NameObject("/JavaScript"),
                                                  NameObject("/JS"): TextStringObject("app.alert('x');")}))  # fmt: skip
    tree = DictionaryObject({NameObject("/Names"): ArrayObject([TextStringObject("open"), action])})
    writer._root_object[NameObject("/Names")] = DictionaryObject({NameObject("/JavaScript"): tree})
    return _written(writer)


def launch_on_open_pdf() -> bytes:
    writer = _letter()
    action = DictionaryObject({NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("cmd.exe")})
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)
    return _written(writer)


def uri_link_pdf() -> bytes:
    writer = _letter()
    writer.add_annotation(0, Link(rect=(50, 50, 200, 80), url="http://attacker.example/"))
    return _written(writer)


def embedded_file_pdf() -> bytes:
    writer = _letter()
    writer.add_attachment("invoice.exe", b"MZ\x90\x00")
    return _written(writer)


def hex_escaped_javascript_pdf() -> bytes:
    """/J#61vaScript is /JavaScript to a viewer: a byte search for the name would miss it."""
    data = javascript_pdf()
    escaped = data.replace(b"/JavaScript", b"/J#61vaScript").replace(b"/JS ", b"/J#53 ")
    assert b"/JavaScript" not in escaped and b"/JS " not in escaped
    return escaped


def html_polyglot_pdf() -> bytes:
    return b"<html><script>alert(1)</script></html>\n" + text_pdf(["진료의뢰서"])


def pdf_with_trailing_html() -> bytes:
    return text_pdf(["진료의뢰서"]) + b"\n<html><script>alert(1)</script></html>\n"


def page_link_pdf() -> bytes:
    """A link to a page of the same document and an open action to page 1: navigation, not active content."""
    writer = _letter()
    writer.add_annotation(0, Link(rect=(50, 50, 200, 80), target_page_index=0))
    writer.open_destination = writer.pages[0]
    return _written(writer)
