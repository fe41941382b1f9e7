"""Compare a screenshot with a baseline image, tolerating antialiasing noise.

Pure numpy + Pillow; no browser. A pixel *differs* when any of its channels (RGBA) is off by
more than ``tolerance`` (0-255); the images *match* when at most ``max_fraction`` of the
pixels differ. Antialiasing and font rasterisation wobble by a few levels on a few edge
pixels; a recoloured node changes hundreds of pixels by a lot.
"""
from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Union

import numpy as np

#: A pixel differs when a channel is off by more than this (0-255).
DEFAULT_TOLERANCE = 16
#: Images match when at most this fraction of pixels differ (0.001 = 0.1 %).
DEFAULT_MAX_FRACTION = 0.001

ImageLike = Union[bytes, bytearray, str, os.PathLike, "np.ndarray", "PIL.Image.Image"]  # noqa: F821


def load_image(image: ImageLike) -> np.ndarray:
    """An image as a ``(height, width, 4)`` uint8 RGBA array.

    Accepts PNG bytes, a path, a PIL image, or an array (``HxW`` grey, ``HxWx3`` RGB or
    ``HxWx4`` RGBA).
    """
    from PIL import Image

    if isinstance(image, np.ndarray):
        arr = np.asarray(image)
        if arr.dtype != np.uint8:
            raise TypeError(f"image arrays must be uint8, not {arr.dtype}")
        if arr.ndim == 2:
            arr = np.stack([arr] * 3, axis=-1)
        if arr.ndim != 3 or arr.shape[2] not in (3, 4):
            raise ValueError(f"image array must be HxW, HxWx3 or HxWx4, not {arr.shape}")
        if arr.shape[2] == 3:
            arr = np.concatenate([arr, np.full(arr.shape[:2] + (1,), 255, np.uint8)], axis=-1)
        return arr
    if isinstance(image, (bytes, bytearray)):
        img = Image.open(io.BytesIO(bytes(image)))
    elif isinstance(image, (str, os.PathLike)):
        with Image.open(image) as f:
            img = f.copy()
    elif isinstance(image, Image.Image):
        img = image
    else:
        raise TypeError(f"cannot read an image from {type(image).__name__}")
    return np.asarray(img.convert("RGBA"), dtype=np.uint8)


@dataclass
class ImageComparison:
    """The outcome of :func:`compare_images`.

    Attributes:
        matches: True when the sizes agree and ``fraction <= max_fraction``.
        differing: number of pixels with a channel off by more than ``tolerance``.
        total: number of pixels compared (of the larger image when sizes differ).
        fraction: ``differing / total``.
        max_delta: the largest channel difference anywhere (0-255).
        actual_size, expected_size: ``(width, height)`` of each image.
        tolerance, max_fraction: the thresholds used.
        mask: boolean ``(height, width)`` array of differing pixels.
    """

    matches: bool
    differing: int
    total: int
    fraction: float
    max_delta: int
    actual_size: tuple[int, int]
    expected_size: tuple[int, int]
    tolerance: int
    max_fraction: float
    mask: np.ndarray = field(repr=False)
    _actual: np.ndarray = field(repr=False, default=None)
    _expected: np.ndarray = field(repr=False, default=None)

    @property
    def size_mismatch(self) -> bool:
        return self.actual_size != self.expected_size

    def __bool__(self) -> bool:
        return self.matches

    def summary(self) -> str:
        """One line saying what differed, with the numbers."""
        if self.size_mismatch:
            return (f"image size differs: actual {self.actual_size[0]}x{self.actual_size[1]}, "
                    f"expected {self.expected_size[0]}x{self.expected_size[1]} (width x height)")
        return (f"{self.differing} of {self.total} pixels differ ({self.fraction:.4%}, allowed "
                f"{self.max_fraction:.4%}) by more than {self.tolerance} in some channel; "
                f"largest channel difference {self.max_delta}")

    def diff_image(self) -> np.ndarray:
        """An RGBA picture of the difference: differing pixels in red over a faded grey copy
        of the expected image (of the actual one where the expected image has no pixel)."""
        return _diff_image(self._actual, self._expected, self.mask)


def _pad(arr: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    out = np.zeros(shape + (4,), np.uint8)
    out[: arr.shape[0], : arr.shape[1]] = arr
    return out


def compare_images(actual: ImageLike, expected: ImageLike, *,
                   tolerance: int = DEFAULT_TOLERANCE,
                   max_fraction: float = DEFAULT_MAX_FRACTION) -> ImageComparison:
    """Compare two images pixel by pixel.

    Args:
        actual, expected: PNG bytes, paths, PIL images or uint8 arrays.
        tolerance: a pixel differs when any RGBA channel differs by more than this (0-255).
        max_fraction: the images match when at most this fraction of pixels differ.

    Returns:
        An :class:`ImageComparison` (truthy when the images match). Images of different
        sizes never match; their comparison covers the union of both areas.
    """
    if not 0 <= tolerance <= 255:
        raise ValueError(f"tolerance must be in 0..255, not {tolerance}")
    if not 0 <= max_fraction <= 1:
        raise ValueError(f"max_fraction must be in 0..1, not {max_fraction}")
    a, e = load_image(actual), load_image(expected)
    a_size, e_size = (a.shape[1], a.shape[0]), (e.shape[1], e.shape[0])
    if a.shape != e.shape:
        shape = (max(a.shape[0], e.shape[0]), max(a.shape[1], e.shape[1]))
        inside_both = np.zeros(shape, bool)
        inside_both[: min(a.shape[0], e.shape[0]), : min(a.shape[1], e.shape[1])] = True
        a, e = _pad(a, shape), _pad(e, shape)
    else:
        inside_both = None
    delta = np.abs(a.astype(np.int16) - e.astype(np.int16)).max(axis=-1)
    mask = delta > tolerance
    if inside_both is not None:
        mask |= ~inside_both
    differing = int(mask.sum())
    total = int(mask.size)
    fraction = differing / total if total else 0.0
    return ImageComparison(
        matches=a_size == e_size and fraction <= max_fraction,
        differing=differing, total=total, fraction=fraction,
        max_delta=int(delta.max()) if delta.size else 0,
        actual_size=a_size, expected_size=e_size,
        tolerance=tolerance, max_fraction=max_fraction,
        mask=mask, _actual=a, _expected=e)


def _diff_image(actual: np.ndarray, expected: np.ndarray, mask: np.ndarray) -> np.ndarray:
    base = np.where(expected[..., 3:4] > 0, expected, actual)[..., :3].astype(np.float32)
    grey = base @ np.array([0.299, 0.587, 0.114], np.float32)
    faded = 255 - (255 - grey) * 0.25  # a light ghost of the picture, for orientation
    out = np.empty(mask.shape + (4,), np.uint8)
    out[..., :3] = faded[..., None].astype(np.uint8)
    out[..., 3] = 255
    out[mask] = (255, 0, 0, 255)
    return out


def failure_paths(baseline: str | os.PathLike) -> tuple[Path, Path]:
    """Where a failed comparison writes its images: ``<name>.actual.png``, ``<name>.diff.png``
    next to ``<name>.png``."""
    baseline = Path(baseline)
    stem = baseline.name[: -len(baseline.suffix)] if baseline.suffix else baseline.name
    return baseline.with_name(stem + ".actual.png"), baseline.with_name(stem + ".diff.png")


def environment_path(baseline: str | os.PathLike) -> Path:
    """Where a baseline's environment record lives: ``<name>.env.json`` next to ``<name>.png``."""
    baseline = Path(baseline)
    stem = baseline.name[: -len(baseline.suffix)] if baseline.suffix else baseline.name
    return baseline.with_name(stem + ".env.json")


def read_environment(baseline: str | os.PathLike) -> dict | None:
    """The environment recorded beside ``baseline`` (None when there is no record)."""
    path = environment_path(baseline)
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def write_environment(baseline: str | os.PathLike, environment: dict) -> Path:
    """Record ``environment`` beside ``baseline`` (sorted keys, so a rerun changes no byte)."""
    path = environment_path(baseline)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(environment, indent=1, sort_keys=True) + "\n")
    return path


def _describe(env: dict, keys) -> str:
    return ", ".join(f"{k} {env.get(k, '(not recorded)')}" for k in keys)


def environment_difference(recorded: dict | None, current: dict | None) -> str:
    """One sentence naming what differs between the baseline's environment and this run's
    (``""`` when nothing recorded differs, or when either side is unknown)."""
    if not recorded or not current:
        return ""
    keys = [k for k in sorted(set(recorded) | set(current))
            if recorded.get(k) != current.get(k)]
    if not keys:
        return ""
    return (f"baseline made with {_describe(recorded, keys)}; this run: "
            f"{_describe(current, keys)}")


def structure_path(baseline: str | os.PathLike) -> Path:
    """Where a baseline's structure record lives: ``<name>.structure.json``."""
    baseline = Path(baseline)
    stem = baseline.name[: -len(baseline.suffix)] if baseline.suffix else baseline.name
    return baseline.with_name(stem + ".structure.json")


def compare_structure(actual: list, expected: list, limit: int = 5) -> list[str]:
    """The differences between two records of what was drawn (each a list of
    ``{"renderer", "glyph", "fields"}``), as at most ``limit`` sentences; ``[]`` when equal.

    Unlike pixels, this record does not depend on the browser or its fonts: the same boxes,
    labels and colours make the same record everywhere."""
    problems: list[str] = []

    def key(item):
        return f"{item.get('renderer') or '(unnamed)'} ({item.get('glyph')})"

    exp = {}
    for item in expected:
        exp.setdefault(key(item), []).append(item)
    act = {}
    for item in actual:
        act.setdefault(key(item), []).append(item)
    for k in sorted(set(exp) | set(act)):
        e, a = exp.get(k, []), act.get(k, [])
        if len(e) != len(a):
            problems.append(f"{k}: {len(a)} drawn, {len(e)} in the baseline")
            continue
        for ei, ai in zip(e, a):
            ef, af = ei.get("fields", {}), ai.get("fields", {})
            for field in sorted(set(ef) | set(af)):
                if ef.get(field) != af.get(field):
                    problems.append(f"{k}.{field}: {_short(af.get(field))} "
                                    f"(baseline {_short(ef.get(field))})")
    return problems[:limit] + ([f"... and {len(problems) - limit} more"]
                               if len(problems) > limit else [])


def _short(value, width: int = 80) -> str:
    text = json.dumps(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def _save_png(arr_or_bytes, path: Path) -> None:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(arr_or_bytes, (bytes, bytearray)):
        path.write_bytes(bytes(arr_or_bytes))
    else:
        Image.fromarray(arr_or_bytes, "RGBA").save(path, optimize=False)


def _as_png_bytes(image: ImageLike) -> bytes:
    if isinstance(image, (bytes, bytearray)):
        return bytes(image)
    if isinstance(image, (str, os.PathLike)):
        return Path(image).read_bytes()
    buf = io.BytesIO()
    from PIL import Image

    Image.fromarray(load_image(image), "RGBA").save(buf, format="PNG")
    return buf.getvalue()


def assert_matches_baseline(png: ImageLike, baseline: str | os.PathLike, *,
                            tolerance: int = DEFAULT_TOLERANCE,
                            max_fraction: float = DEFAULT_MAX_FRACTION,
                            update: bool = False,
                            environment: dict | None = None) -> ImageComparison | None:
    """Assert that an image matches the baseline PNG at ``baseline``.

    On failure, writes ``<name>.actual.png`` (the image given) and ``<name>.diff.png``
    (differing pixels in red over a faded copy of the baseline) next to the baseline and
    raises ``AssertionError`` naming both files and the numbers. On success, stale
    ``.actual``/``.diff`` files from an earlier failure are removed.

    Args:
        png: the new image (PNG bytes, path, PIL image or uint8 array), e.g. from
            :func:`gradviz.testing.snapshot`.
        baseline: path of the expected PNG.
        tolerance: per-pixel, per-channel tolerance (0-255); default 16.
        max_fraction: largest fraction of differing pixels that still passes; default 0.001.
        update: write ``png`` as the new baseline instead of comparing (returns ``None``).
        environment: what made ``png`` (browser, fonts, versions: see
            :meth:`SnapshotSession.environment`). Written beside the baseline on ``update``
            (``<name>.env.json``); on a mismatch, compared with the recorded one, and the
            message says what differs ("baseline made with ...; this run: ...").

    Returns:
        The :class:`ImageComparison` when the images match.

    Raises:
        AssertionError: the baseline is missing (the image is written to
            ``<name>.actual.png`` so it can be reviewed and copied), or the images differ.
    """
    baseline = Path(baseline)
    actual_path, diff_path = failure_paths(baseline)
    if update:
        _save_png(_as_png_bytes(png), baseline)
        if environment is not None:
            write_environment(baseline, environment)
        for stale in (actual_path, diff_path):
            stale.unlink(missing_ok=True)
        return None
    if not baseline.exists():
        _save_png(_as_png_bytes(png), actual_path)
        raise AssertionError(
            f"baseline image {baseline} does not exist. The new image was written to "
            f"{actual_path}; look at it, and if it is right, create the baseline by running "
            f"pytest with --update-baselines (or copy {actual_path.name} to {baseline.name}).")
    result = compare_images(png, baseline, tolerance=tolerance, max_fraction=max_fraction)
    if result.matches:
        for stale in (actual_path, diff_path):
            stale.unlink(missing_ok=True)
        return result
    _save_png(_as_png_bytes(png), actual_path)
    _save_png(result.diff_image(), diff_path)
    differs = environment_difference(read_environment(baseline), environment)
    why = f"The environment differs: {differs}.\n" if differs else ""
    raise AssertionError(
        f"image does not match baseline {baseline}: {result.summary()}.\n"
        f"{why}"
        f"  actual image: {actual_path}\n"
        f"  diff image:   {diff_path} (differing pixels in red)\n"
        f"If the change is intended, rerun pytest with --update-baselines.")
