"""Tesseract through its command line: TSV output with word boxes and confidences, and OSD for page rotation."""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from pathlib import Path

from PIL import Image

from referral.ocr.models import OcrWord

# One thread per Tesseract process: the workers' concurrency, not OpenMP, decides how many cores are used.
_ENV = {**os.environ, "OMP_THREAD_LIMIT": "1"}
_TIMEOUT_S = 300


class TesseractError(RuntimeError):
    pass


# the other of Tesseract's two Korean models (the Hangul script model, the kor language model)
_OTHER_KOREAN = {"Hangul": "kor", "kor": "Hangul"}


def korean_models(lang: str) -> list[str]:
    """The Korean models of a language ("Hangul" of "Hangul+eng"), then the other Korean model that reads a word a
    second time; none for a language without a Korean model."""
    korean = "+".join(model for model in lang.split("+") if model != "eng")
    return [korean, *([_OTHER_KOREAN[korean]] if korean in _OTHER_KOREAN else [])] if korean else []


def _run(image: Image.Image | list[Image.Image], args: list[str]) -> str:
    """Tesseract on one image, or on several in one process (a list file: the model loads once)."""
    with tempfile.TemporaryDirectory(prefix="ocr-") as tmp:
        images = image if isinstance(image, list) else [image]
        paths = [Path(tmp) / f"{i:05d}.png" for i in range(len(images))]
        for each, path in zip(images, paths, strict=True):
            each.save(path, dpi=(300, 300), compress_level=1)  # Tesseract reads it at once: speed over size
        source = paths[0]
        if isinstance(image, list):
            source = Path(tmp) / "images.txt"
            source.write_text("".join(f"{p}\n" for p in paths))
        try:
            done = subprocess.run(
                ["tesseract", str(source), "stdout", *args],
                capture_output=True,
                env=_ENV,
                timeout=_TIMEOUT_S,
                check=False,
            )
        except FileNotFoundError as err:
            raise TesseractError("tesseract is not installed (Debian: tesseract-ocr-script-hang)") from err
    if done.returncode != 0:
        raise TesseractError(f"tesseract exited {done.returncode}: {done.stderr.decode(errors='replace')[-300:]}")
    return done.stdout.decode("utf-8", errors="replace")


def detect_rotation(image: Image.Image) -> int:
    """Clockwise degrees (0/90/180/270) the page must be turned to read upright; 0 when OSD is unsure."""
    try:
        out = _run(image, ["--psm", "0"])
    except TesseractError:
        return 0  # too little text for OSD: leave the page as it is
    rotate = re.search(r"Rotate:\s*(\d+)", out)
    confidence = re.search(r"Orientation confidence:\s*([\d.]+)", out)
    if not rotate or not confidence or float(confidence.group(1)) < 1.5:
        return 0
    return int(rotate.group(1)) % 360


def _words(tsv: str) -> dict[int, list[OcrWord]]:
    """Words of each image (1-based) in reading order, each with its line number."""
    pages: dict[int, list[OcrWord]] = {}
    line_ids: dict[tuple[str, str, str, str], int] = {}
    for row in tsv.splitlines():
        cols = row.split("\t")
        if len(cols) < 12 or cols[0] != "5" or not cols[11].strip():
            continue
        left, top, width, height = (int(c) for c in cols[6:10])
        line = line_ids.setdefault((cols[1], cols[2], cols[3], cols[4]), len(line_ids))
        pages.setdefault(int(cols[1]), []).append(
            OcrWord(
                text=cols[11],
                box=(left, top, left + width, top + height),
                confidence=max(0.0, min(100.0, float(cols[10]))),
                line=line,
            )
        )
    return pages


def recognise_each(images: list[Image.Image], lang: str, psm: int) -> list[list[OcrWord]]:
    """Each image's words in reading order, each with its line number; all read in one Tesseract process (the
    models load once)."""
    if not images:
        return []
    found = _words(_run(images, ["-l", lang, "--psm", str(psm), "--dpi", "300", "tsv"]))
    return [found.get(i + 1, []) for i in range(len(images))]


def recognise_lines(images: list[Image.Image], lang: str) -> list[list[OcrWord]]:
    """Each image read as one line of text (crops of a page), in one Tesseract process."""
    return recognise_each(images, lang, 7)
