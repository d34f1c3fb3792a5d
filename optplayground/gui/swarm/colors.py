"""Colours of swarm cells: a swarm frame's per-row numbers -> an RGBA image (numpy).

Numbers (final loss, steps) use cividis, perceptually uniform and readable by colour-blind
eyes, bright enough at its low end on the dark plots; losses are coloured on a log scale.
Minima get one fixed, distinct colour each (Okabe–Ito), shaded darker the longer the run
took to settle there. A cell with no value (diverged, never reached) gets its own colour.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg

COLORMAP = "cividis"
# Okabe–Ito: distinct for colour-blind eyes; the minima of Himmelblau get the first four.
MINIMUM_COLORS = ((230, 159, 0), (86, 180, 233), (0, 158, 115), (204, 121, 167),
                  (240, 228, 66), (0, 114, 178), (213, 94, 0))
NO_MINIMUM = (150, 150, 150)  # ended somewhere else
DIVERGED = (120, 20, 40)  # deep red: diverged
NO_VALUE = NO_MINIMUM  # grey, as "no known minimum": never reached the threshold, never diverged
RUNNING = (70, 70, 70)  # not settled yet (minimum mode, while racing)


def colormap() -> pg.ColorMap:
    return pg.colormap.get(COLORMAP)


_LUT: np.ndarray | None = None


def lut() -> np.ndarray:
    global _LUT
    if _LUT is None:
        _LUT = colormap().getLookupTable(0.0, 1.0, 256, alpha=False).astype(np.uint8)
    return _LUT


@dataclass(frozen=True)
class Scale:
    """How values map onto the colour map: lo..hi, in log10 when `log`."""

    lo: float
    hi: float
    log: bool
    label: str


def scale_for(values: np.ndarray, log: bool, label: str) -> Scale:
    finite = values[np.isfinite(values)]
    if log:
        finite = finite[finite > 0]
        finite = np.log10(finite) if finite.size else finite
    if not finite.size:
        return Scale(0.0, 1.0, log, label)
    lo, hi = float(finite.min()), float(finite.max())
    return Scale(lo, hi if hi > lo else lo + 1.0, log, label)


def numbers_rgba(values: np.ndarray, scale: Scale, alpha: int = 255, missing=DIVERGED,
                 diverged: np.ndarray | None = None) -> np.ndarray:
    """(N,) values -> (N, 4) uint8; NaN, ±inf (and ≤ 0 on a log scale) get `missing`, the
    rows flagged `diverged` DIVERGED whatever their value."""
    v = np.asarray(values, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        if scale.log:
            v = np.where(v > 0, np.log10(np.where(v > 0, v, 1.0)), np.nan)
        t = (v - scale.lo) / (scale.hi - scale.lo)
    ok = np.isfinite(t)
    index = np.clip(np.nan_to_num(t * 255, nan=0.0), 0, 255).astype(np.intp)
    rgb = lut()[index]
    rgb[~ok] = missing
    if diverged is not None:
        rgb[diverged] = DIVERGED
    return _with_alpha(rgb, alpha)


SHADES = 16  # darker steps for later arrivals: a table lookup, not float math per cell


def _minima_table() -> np.ndarray:
    """(colour, shade) -> rgb: colour k < len(MINIMUM_COLORS) darkens by up to 45 %."""
    palette = np.array(MINIMUM_COLORS + (NO_MINIMUM,), dtype=np.float64)
    shade = 1.0 - 0.45 * np.linspace(0.0, 1.0, SHADES)
    table = palette[:, None, :] * shade[None, :, None]
    table[-1] = palette[-1]  # "no known minimum" is not shaded
    return np.round(table).astype(np.uint8)


_MINIMA = _minima_table()


def minima_rgba(minimum: np.ndarray, stopped: np.ndarray, steps: int, diverged: np.ndarray,
                alpha: int = 255) -> np.ndarray:
    """One colour per minimum, darker the later the run got there (`stopped`: the update at
    which it settled or `steps`); grey elsewhere, DIVERGED where it diverged."""
    index = np.where(minimum >= 0, minimum % len(MINIMUM_COLORS), len(MINIMUM_COLORS))
    shade = np.minimum(stopped.astype(np.int64) * (SHADES - 1) // max(steps, 1), SHADES - 1)
    rgb = _MINIMA[index, np.maximum(shade, 0)]
    rgb[diverged] = DIVERGED
    return _with_alpha(rgb, alpha)


def _with_alpha(rgb: np.ndarray, alpha: int) -> np.ndarray:
    out = np.empty((len(rgb), 4), dtype=np.uint8)
    out[:, :3] = rgb
    out[:, 3] = alpha
    return out


def log_ticks(lo: float, hi: float) -> list[tuple[float, str]]:
    """Ticks at the powers of ten within [lo, hi] (log10 positions), at least the ends."""
    first, last = int(np.ceil(lo - 1e-9)), int(np.floor(hi + 1e-9))
    step = max(1, (last - first) // 6 + 1)
    ticks = [(float(k), f"1e{k}") for k in range(first, last + 1, step)]
    return ticks or [(lo, f"{10 ** lo:.3g}"), (hi, f"{10 ** hi:.3g}")]
