"""Scan clean-up before Tesseract: resolution normalisation, denoising, binarisation, deskew."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter, ImageOps

TARGET_DPI = 300
NOISY = 0.01  # share of isolated dark pixels above which a page is despeckled
A4_WIDTH_IN = 8.27


def estimate_dpi(image: Image.Image) -> int:
    """The scan resolution: from the file when it says, else from the page width assuming A4/Letter paper."""
    info = image.info.get("dpi")
    if info and 70 <= float(info[0]) <= 1200:
        return int(round(float(info[0])))
    width = min(image.size)
    return max(70, min(1200, int(round(width / A4_WIDTH_IN))))


def otsu_threshold(gray: np.ndarray) -> int:
    histogram = np.bincount(gray.ravel(), minlength=256).astype(np.float64)
    total = gray.size
    cumulative = np.cumsum(histogram)
    cumulative_mean = np.cumsum(histogram * np.arange(256))
    mean_total = cumulative_mean[-1]
    background = cumulative[:-1]
    foreground = total - background
    valid = (background > 0) & (foreground > 0)
    between = np.zeros(255)
    mb = cumulative_mean[:-1][valid] / background[valid]
    mf = (mean_total - cumulative_mean[:-1][valid]) / foreground[valid]
    between[valid] = background[valid] * foreground[valid] * (mb - mf) ** 2
    return int(np.argmax(between))


def binarise(gray: Image.Image) -> Image.Image:
    array = np.asarray(gray, dtype=np.uint8)
    threshold = otsu_threshold(array)
    return Image.fromarray(np.where(array > threshold, 255, 0).astype(np.uint8), "L")


def _profile_score(binary: Image.Image, angle: float) -> float:
    rotated = binary.rotate(angle, resample=Image.Resampling.NEAREST, fillcolor=255)
    ink = 255 - np.asarray(rotated, dtype=np.float64)
    rows = ink.sum(axis=1)
    return float(np.var(rows))


def estimate_skew(binary: Image.Image, max_degrees: float = 5.0) -> float:
    """Skew by projection profile: the angle whose row sums vary most (text lines aligned)."""
    small = binary.copy()
    small.thumbnail((900, 900))
    best = 0.0
    span, step = max_degrees, 0.5
    for _ in range(3):
        candidates = np.arange(best - span, best + span + 1e-9, step)
        best = float(max(candidates, key=lambda a: _profile_score(small, float(a))))
        span, step = step, step / 5
    return round(best, 2)


def speck_noise(binary: Image.Image) -> float:
    """Share of dark pixels with no dark 8-neighbour: ~0 on a clean print, high on fax speckle."""
    ink = np.asarray(binary, dtype=np.uint8) < 128
    padded = np.pad(ink, 1)
    neighbours = sum(
        padded[1 + dy : padded.shape[0] - 1 + dy, 1 + dx : padded.shape[1] - 1 + dx]
        for dy in (-1, 0, 1) for dx in (-1, 0, 1) if dy or dx
    )  # fmt: skip
    dark = int(ink.sum())
    return float((ink & (neighbours == 0)).sum() / dark) if dark else 0.0


def normalise(image: Image.Image) -> tuple[Image.Image, int, float]:
    """Grey → scale to 300 dpi → binarise; the median filter only on a page whose measured speckle needs it,
    since it also erases thin strokes (hyphens, decimal points). Returns the page, the source dpi and the noise."""
    dpi = estimate_dpi(image)
    gray = ImageOps.exif_transpose(image).convert("L")
    noise = speck_noise(binarise(gray))  # at the scan's own resolution, before scaling smears the specks
    if noise > NOISY:
        gray = gray.filter(ImageFilter.MedianFilter(3))
    scale = max(0.5, min(3.0, TARGET_DPI / dpi))
    if abs(scale - 1.0) > 0.05:
        gray = gray.resize((int(gray.width * scale), int(gray.height * scale)), Image.Resampling.LANCZOS)
    return binarise(gray), dpi, round(noise, 4)


def deskew(binary: Image.Image) -> tuple[Image.Image, float]:
    skew = estimate_skew(binary)
    if abs(skew) >= 0.1:
        binary = binarise(binary.rotate(skew, resample=Image.Resampling.BICUBIC, fillcolor=255, expand=True))
    return binary, skew
