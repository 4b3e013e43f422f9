"""Malformed and hostile documents for the intake tests, built on the fly."""

from __future__ import annotations

import io
import struct
import zlib

from pypdf import PdfWriter

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
