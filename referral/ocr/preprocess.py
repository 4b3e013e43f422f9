"""Scan clean-up before Tesseract: resolution normalisation, denoising, binarisation, deskew."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter, ImageOps

TARGET_DPI = 300
NOISY = 0.01  # share of isolated dark pixels above which a page is despeckled
SPECKLED = 0.0005  # above this share a page is a fax or copy: its table rules and lone specks are taken out
RULE_INCHES = (0.3, 0.4)  # a straight stroke longer than this, across and down, is a ruling, not a letter
SPECK_RADIUS, SPECK_MOST = 12, 16  # dark pixels with no more than SPECK_MOST others within the radius are a speck
# a fax breaks a ruling into pieces: along a stroke this long, a band of three pixels this full of ink, with ink
# in no more than this share of its length in the lines RULE_CLEAR pixels away on either side, is a ruling too (a
# letter's flat stroke has the rest of its letter, or the letter beside it, within that reach)
BROKEN_RULE_FULL, BROKEN_RULE_BESIDE, RULE_CLEAR = 0.8, 0.1, range(3, 13)
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


def normalise(image: Image.Image) -> tuple[Image.Image, Image.Image, int, float]:
    """Grey → scale to 300 dpi → binarise; the median filter only on a page whose measured speckle needs it,
    since it also erases thin strokes (hyphens, decimal points). Returns the page in black and white and in grey,
    the source dpi and the noise."""
    dpi = estimate_dpi(image)
    gray = ImageOps.exif_transpose(image).convert("L")
    noise = speck_noise(binarise(gray))  # at the scan's own resolution, before scaling smears the specks
    if noise > NOISY:
        gray = gray.filter(ImageFilter.MedianFilter(3))
    scale = max(0.5, min(3.0, TARGET_DPI / dpi))
    if abs(scale - 1.0) > 0.05:
        gray = gray.resize((int(gray.width * scale), int(gray.height * scale)), Image.Resampling.LANCZOS)
    return binarise(gray), gray, dpi, round(noise, 4)


def deskew(binary: Image.Image, gray: Image.Image) -> tuple[Image.Image, Image.Image, float]:
    """Both forms of the page turned by the skew measured on the black-and-white one (same size, same boxes)."""
    skew = estimate_skew(binary)
    if abs(skew) >= 0.1:
        binary = binarise(binary.rotate(skew, resample=Image.Resampling.BICUBIC, fillcolor=255, expand=True))
        gray = gray.rotate(skew, resample=Image.Resampling.BICUBIC, fillcolor=255, expand=True)
    return binary, gray, skew


def _on_long_run(ink: np.ndarray, length: int, axis: int) -> np.ndarray:
    """Pixels that lie on a straight run of ink at least `length` long along `axis` (0: down, 1: across)."""
    size = ink.shape[axis]
    if size < length:
        return np.zeros(ink.shape, dtype=bool)
    ink = np.moveaxis(ink, axis, 1)
    full = _window_sums(ink, length) == length  # the run starting here is all ink
    return np.moveaxis(_covered(full, length, size), 1, axis)


def _covered(starts_here: np.ndarray, length: int, size: int) -> np.ndarray:
    """Pixels, along axis 1, that lie within a run of `length` starting where `starts_here` is true."""
    starts = np.pad(np.cumsum(starts_here, axis=1, dtype=np.int32), ((0, 0), (1, 0)))
    index = np.arange(size)
    last = starts_here.shape[1] - 1
    return (starts[:, np.minimum(index, last) + 1] - starts[:, np.maximum(index - length + 1, 0)]) > 0


def _widened(ink: np.ndarray, pixels: int, axis: int) -> np.ndarray:
    out = ink.copy()
    for shift in range(1, pixels + 1):
        out |= np.roll(ink, shift, axis=axis) | np.roll(ink, -shift, axis=axis)
    return out


def _ink_around(ink: np.ndarray, radius: int) -> np.ndarray:
    """How many dark pixels lie in the square of `radius` around each pixel (an integral image)."""
    total = np.pad(ink.astype(np.int32).cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    rows, cols = np.arange(ink.shape[0]), np.arange(ink.shape[1])
    top, bottom = np.clip(rows - radius, 0, ink.shape[0]), np.clip(rows + radius + 1, 0, ink.shape[0])
    left, right = np.clip(cols - radius, 0, ink.shape[1]), np.clip(cols + radius + 1, 0, ink.shape[1])
    return total[bottom][:, right] - total[top][:, right] - total[bottom][:, left] + total[top][:, left]


def _window_sums(ink: np.ndarray, length: int) -> np.ndarray:
    """Ink in each run of `length` pixels across, by its first pixel."""
    total = np.pad(np.cumsum(ink, axis=1, dtype=np.int32), ((0, 0), (1, 0)))
    return total[:, length:] - total[:, : ink.shape[1] - length + 1]


def _on_broken_run(ink: np.ndarray, length: int, axis: int) -> np.ndarray:
    """Pixels of a straight thin stroke at least `length` long along `axis` that the fax broke into pieces: the
    band of three lines around it is mostly ink and the lines RULE_CLEAR pixels away on either side mostly not."""
    ink = np.moveaxis(ink, axis, 1)
    size = ink.shape[1]
    if size < length:
        return np.zeros(np.moveaxis(ink, 1, axis).shape, dtype=bool)
    band = _window_sums(_widened(ink, 1, 0), length)
    above = _window_sums(np.logical_or.reduce([np.roll(ink, k, axis=0) for k in RULE_CLEAR]), length)
    below = _window_sums(np.logical_or.reduce([np.roll(ink, -k, axis=0) for k in RULE_CLEAR]), length)
    most = BROKEN_RULE_BESIDE * length
    full = (band >= BROKEN_RULE_FULL * length) & (above <= most) & (below <= most)
    return np.moveaxis(_widened(_covered(full, length, size), 1, 0) & ink, 1, axis)


def clear_rules_and_specks(binary: Image.Image, dpi: int = TARGET_DPI) -> Image.Image:
    """A faxed page for reading: table rulings (a long straight stroke, followed through a slight slant, or the
    pieces a fax broke one into) and lone specks (no other ink near them) taken out. A decimal point or a hyphen
    sits beside its digits, so it stays; nothing is moved, so word boxes still point at the page as scanned."""
    ink = np.asarray(binary, dtype=np.uint8) < 128
    across, down = (int(dpi * inches) for inches in RULE_INCHES)
    rules = (_on_long_run(_widened(ink, 2, 0), across, 1) | _on_long_run(_widened(ink, 2, 1), down, 0)) & ink
    rules |= _on_broken_run(ink, across, 1) | _on_broken_run(ink, down, 0)
    kept = ink & ~rules
    kept &= _ink_around(kept, SPECK_RADIUS) > SPECK_MOST
    return Image.fromarray(np.where(kept, 0, 255).astype(np.uint8), "L")
