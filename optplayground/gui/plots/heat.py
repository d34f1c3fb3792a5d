"""The surface as a picture: a log-compressed heat map and log-spaced contour lines.

Pure numpy (no Qt), computed once per view box and shared by every map that shows it.
Loss values span many decades (Rosenbrock: 0 to 4000 in its box), so the picture is
log10(f − fmin + floor) with fmin the lowest value on the grid and floor a thousandth of
the grid's range: walls decades high do not wash out the valleys and basins, and the
scale does not spend its colours on the last digits near the minimum. Zooming in
recomputes everything for the visible box, so detail comes back where one looks.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Box = tuple[tuple[float, float], tuple[float, float]]

RESOLUTION = 200
CONTOUR_LEVELS = 12
FLOOR_FRACTION = 1e-3


@dataclass(frozen=True)
class Heat:
    """One computed picture of a surface over `box`."""

    box: Box
    xs: np.ndarray  # sample x positions (pixel centres)
    ys: np.ndarray
    image: np.ndarray  # image[j, i] = log10(f(xs[i], ys[j]) − fmin + floor); NaN where f is NaN
    fmin: float  # lowest and highest finite loss on the grid (NaN if there is none)
    fmax: float
    floor: float
    levels: tuple[float, float]  # colour range of `image`
    contour_x: np.ndarray  # segment end points, pairwise: (x[2k], y[2k]) – (x[2k+1], y[2k+1])
    contour_y: np.ndarray
    # > 0: a surface unbounded below, drawn on a symmetric log scale (symlog) instead,
    # image = sign(f)·log10(1 + |f|/symlog): zero is zero, ±10^k sit evenly on both sides.
    symlog: float = 0.0

    def loss_at(self, value: float) -> float:
        """The real loss a value of the image stands for."""
        if self.symlog:
            return float(np.sign(value) * self.symlog * (10.0 ** abs(value) - 1.0))
        return self.fmin + 10.0 ** value - self.floor

    def position_of(self, loss: float) -> float:
        """Where a real loss value sits on the image's scale (log: NaN below fmin − floor)."""
        if self.symlog:
            return float(symlog(np.float64(loss), self.symlog))
        with np.errstate(invalid="ignore", divide="ignore"):
            return float(np.log10(loss - self.fmin + self.floor))

    def symlog_ticks(self, count: int) -> list[tuple[float, str]]:
        """0 and ±10^k inside the range, every other decade where there are too many."""
        lo, hi = self.levels
        top = int(np.floor(np.log10(max(abs(self.fmin), abs(self.fmax), self.symlog))))
        low = int(np.floor(np.log10(self.symlog)))
        values = [0.0] + [sign * 10.0 ** k for k in range(low, top + 1) for sign in (-1.0, 1.0)]
        inside = sorted(v for v in values if lo <= self.position_of(v) <= hi)
        step = max(1, -(-len(inside) // (count + 1)))
        zero = [v for v in inside if v == 0.0]
        kept = sorted(set(inside[::step]) | set(zero))
        return [(self.position_of(v), format_loss(v)) for v in kept]

    def ticks(self, count: int = 6) -> list[tuple[float, str]]:
        """Colour-bar ticks at round loss values, spread evenly over the log scale.

        Where the loss is ≥ 0 everywhere a tick is the nearest 1, 2 or 5 × 10^k; else the
        loss is rounded to the decade of its height d above fmin, so the tick stays above
        fmin and still reads round: −78.18, −76, −50 near the bottom of Styblinski–Tang."""
        lo, hi = self.levels
        if not self.fmax > self.fmin:  # flat, or nothing finite: one label or none
            return [(lo, format_loss(self.fmin))] if np.isfinite(self.fmin) else []
        if self.symlog:
            return self.symlog_ticks(count)
        out: list[tuple[float, str]] = []
        for position in np.linspace(lo, hi, count + 2)[1:-1]:
            loss = self._round_loss(position)
            at = self.position_of(loss) if loss is not None else np.nan
            if lo <= at <= hi and (not out or at > out[-1][0]):
                out.append((at, format_loss(loss)))
        return out

    def _round_loss(self, position: float) -> float | None:
        above = 10.0 ** position - self.floor
        if not above > 0:
            return None
        loss = self.loss_at(position)
        if self.fmin >= 0 and loss > 0:
            decade = 10.0 ** np.floor(np.log10(loss))
            mantissas = np.array([1.0, 2.0, 5.0, 10.0])
            return float(decade * mantissas[np.argmin(np.abs(np.log(loss / decade / mantissas)))])
        quantum = 10.0 ** np.floor(np.log10(above))
        return float(round(loss / quantum) * quantum)

    def pixel_rect(self) -> tuple[float, float, float, float]:
        """x, y, width, height of the image so that pixel centres sit on the samples."""
        dx = (self.xs[-1] - self.xs[0]) / (len(self.xs) - 1)
        dy = (self.ys[-1] - self.ys[0]) / (len(self.ys) - 1)
        return (self.xs[0] - dx / 2, self.ys[0] - dy / 2,
                self.xs[-1] - self.xs[0] + dx, self.ys[-1] - self.ys[0] + dy)


def format_loss(value: float) -> str:
    """Short and exact enough for a tick label: 0.02, 3000, 2e-5, −78.18."""
    text = f"{value:.4g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text.replace("-", "−")


def symlog(z: np.ndarray, scale: float) -> np.ndarray:
    return np.sign(z) * np.log10(1.0 + np.abs(z) / scale)


def symlog_compress(z: np.ndarray) -> tuple[np.ndarray, float, float, float]:
    """sign(z)·log10(1 + |z|/c), c a decade a hundredth of the largest |z| (±inf drawn as
    the extreme finite values, NaN stays NaN); also fmin, fmax and c."""
    finite = z[np.isfinite(z)]
    if not finite.size:
        return np.full(z.shape, np.nan), np.nan, np.nan, 1.0
    fmin, fmax = float(finite.min()), float(finite.max())
    largest = max(abs(fmin), abs(fmax))
    scale = 10.0 ** (np.floor(np.log10(largest)) - 2) if largest > 0 else 1.0
    return symlog(np.clip(z, fmin, fmax), scale), fmin, fmax, float(scale)


def compute_heat(surface, params: dict, box: Box, resolution: int = RESOLUTION) -> Heat:
    """The picture of `surface` over `box`: log-compressed, or on a symmetric log scale
    where the surface is unbounded below (its lowest value in view is no floor)."""
    xs, ys, z = surface.grid(box, resolution, params)
    scale = 0.0
    if getattr(surface, "bounded_below", True):
        image, fmin, floor = log_compress(z)
        fmax = float(np.nanmax(np.where(np.isfinite(z), z, np.nan))) if np.isfinite(fmin) else fmin
    else:
        image, fmin, fmax, scale = symlog_compress(z)
        floor = 0.0
    finite = image[np.isfinite(image)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if hi <= lo:
        hi = lo + 1.0
    levels = np.linspace(lo, hi, CONTOUR_LEVELS + 2)[1:-1]
    cx, cy = contour_segments(xs, ys, image, levels)
    return Heat(((float(xs[0]), float(xs[-1])), (float(ys[0]), float(ys[-1]))), xs, ys,
                image, fmin, fmax, floor, (lo, hi), cx, cy, scale)


def log_compress(z: np.ndarray) -> tuple[np.ndarray, float, float]:
    """log10(z − fmin + floor), fmin = the lowest finite value; ±inf are drawn as the
    highest / lowest finite value, NaN stays NaN (a transparent pixel). No finite value at
    all: everything NaN, fmin NaN."""
    finite = z[np.isfinite(z)]
    if not finite.size:
        return np.full(z.shape, np.nan), np.nan, 1.0
    fmin, fmax = float(finite.min()), float(finite.max())
    floor = max((fmax - fmin) * FLOOR_FRACTION, 1e-12 * max(1.0, abs(fmin)))
    return np.log10(np.clip(z, fmin, fmax) - fmin + floor), fmin, floor


def contour_segments(xs: np.ndarray, ys: np.ndarray, v: np.ndarray,
                     levels) -> tuple[np.ndarray, np.ndarray]:
    """Marching squares, vectorized: the line segments where v[j, i] (sampled at
    (xs[i], ys[j])) crosses each level, as pairwise end points for connect='pairs'."""
    a, b, c, d = v[:-1, :-1], v[:-1, 1:], v[1:, 1:], v[1:, :-1]  # corners: bl, br, tr, tl
    x0, x1 = xs[None, :-1], xs[None, 1:]
    y0, y1 = ys[:-1, None], ys[1:, None]
    shape = a.shape
    xs_out, ys_out = [], []
    with np.errstate(divide="ignore", invalid="ignore"):
        for level in levels:
            above = [a > level, b > level, c > level, d > level]
            # Crossing points on each cell edge: bottom (a–b), right (b–c), top (d–c), left (a–d).
            edges = {
                "b": (above[0] != above[1], x0 + (level - a) / (b - a) * (x1 - x0), y0),
                "r": (above[1] != above[2], x1, y0 + (level - b) / (c - b) * (y1 - y0)),
                "t": (above[3] != above[2], x0 + (level - d) / (c - d) * (x1 - x0), y1),
                "l": (above[0] != above[3], x0, y0 + (level - a) / (d - a) * (y1 - y0)),
            }
            count = sum(e[0].astype(np.int8) for e in edges.values())
            two, four = count == 2, count == 4
            # A saddle cell (four crossings): the centre decides which corners are cut off.
            cut_bd = four & (above[0] == ((a + b + c + d) / 4 > level))
            cut_ac = four & ~cut_bd
            pairs = (("b", "r", cut_bd), ("t", "l", cut_bd), ("l", "b", cut_ac),
                     ("r", "t", cut_ac), ("b", "t", None), ("r", "l", None))
            for e1, e2, saddle in pairs:
                mask = two & edges[e1][0] & edges[e2][0]
                if saddle is not None:
                    mask |= saddle
                p1 = [np.broadcast_to(u, shape)[mask] for u in edges[e1][1:]]
                p2 = [np.broadcast_to(u, shape)[mask] for u in edges[e2][1:]]
                xs_out.append(np.column_stack((p1[0], p2[0])))
                ys_out.append(np.column_stack((p1[1], p2[1])))
    if not xs_out:
        return np.empty(0), np.empty(0)
    px, py = np.concatenate(xs_out), np.concatenate(ys_out)
    keep = np.isfinite(px).all(axis=1) & np.isfinite(py).all(axis=1)
    return px[keep].ravel(), py[keep].ravel()


def same_box(a: Box, b: Box) -> bool:
    """Equal up to rounding (a view box read back from Qt is not bit-exact)."""
    (ax0, ax1), (ay0, ay1) = a
    (bx0, bx1), (by0, by1) = b
    tol_x, tol_y = 1e-9 * abs(ax1 - ax0), 1e-9 * abs(ay1 - ay0)
    return (abs(ax0 - bx0) <= tol_x and abs(ax1 - bx1) <= tol_x
            and abs(ay0 - by0) <= tol_y and abs(ay1 - by1) <= tol_y)
