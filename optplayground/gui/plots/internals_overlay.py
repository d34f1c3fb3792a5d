"""The selected run's update drawn on the map: arrows for −g (raw and clipped), −m (the
momentum buffer or first moment) and the actual update Δθ; an ellipse for an adaptive
method's per-coordinate effective step lr/(√v̂+ε); Lookahead's slow weights as a path of
their own with the syncs marked.

Legible at any zoom: lengths are in screen pixels, recomputed whenever the view moves. The
gradient-like arrows share one scale (the longest is ARROW_PX); the update is drawn at its
true length, kept between MIN_PX and UPDATE_MAX_PX. A key in the map's top-left corner
gives their sizes (labels at the tips covered the arrows they named).
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from ...core.i18n import tr, translated
from ...core.internals import Internals
from ...core.update_math import effective_label, effective_step, first_moment

ARROW_PX, MIN_PX, UPDATE_MAX_PX, HEAD_PX, ELLIPSE_PX = 80.0, 14.0, 160.0, 9.0, 36.0
# kind: (label, colour); the order is the panel's toggles'
# (colours apart from the runs' palette, each drawn over a dark shadow: legible on any ground)
KINDS = {"grad": ("−g", "#ff4fd8"), "clipped": ("−g clipped", "#ffe14f"),
         "moment": ("−m", "#3ff0ff"), "update": ("Δθ", "#b6ff3f"),
         "effective": ("η (step size)", "#e0b0ff"), "slow": ("slow weights", "#ffffff")}
SHADOW = pg.mkPen((0, 0, 0, 150), width=4.5)


class InternalsOverlay:
    """Items added to a TrajectoryMap's plot; `show(snapshot, snapshots)` places them."""

    def __init__(self, plot: pg.PlotWidget):
        self.plot = plot
        self.vb = plot.plotItem.vb
        self.enabled = {kind: True for kind in KINDS}
        self._snapshot: Internals | None = None
        self._curves, self._shadows = {}, {}
        self._key_lines: dict[str, str] = {}
        for z, (kind, (_, color)) in enumerate(KINDS.items()):
            dash = Qt.PenStyle.DashLine if kind == "slow" else Qt.PenStyle.SolidLine
            curve = pg.PlotCurveItem(pen=pg.mkPen(color, width=2.2, style=dash),
                                     connect="all" if kind == "slow" else "pairs",
                                     skipFiniteCheck=True)
            curve.setZValue(45 + 2 * z)
            shadow = pg.PlotCurveItem(pen=SHADOW, connect="all" if kind == "slow" else "pairs",
                                      skipFiniteCheck=True)
            shadow.setZValue(44 + 2 * z)
            for item in (shadow, curve):
                plot.plotItem.addItem(item, ignoreBounds=True)
            self._curves[kind], self._shadows[kind] = curve, shadow
        # the key: in the view's own pixels (a child of the ViewBox, not of its data group)
        self.key = pg.TextItem(anchor=(0, 0), fill=(10, 14, 28, 200))
        self.key.setParentItem(self.vb)
        self.key.setPos(6, 6)
        self.key.setZValue(60)
        self.syncs = pg.ScatterPlotItem(symbol="d", size=9, brush=(255, 255, 255, 200),
                                        pen=pg.mkPen("k", width=1))
        self.syncs.setZValue(58)
        plot.plotItem.addItem(self.syncs, ignoreBounds=True)
        self._slow_path: tuple[np.ndarray, np.ndarray] = (np.empty(0), np.empty(0))
        self.vb.sigRangeChanged.connect(self._place)
        self.vb.sigResized.connect(self._place)
        self.clear()

    # ------------------------------------------------------------ what is shown

    def set_enabled(self, kind: str, on: bool) -> None:
        self.enabled[kind] = on
        self._place()

    def show(self, snapshot: Internals | None, history: Sequence[Internals] = ()) -> None:
        """The update `snapshot` (None: nothing), Lookahead's slow path from `history`."""
        self._snapshot = snapshot
        self._slow_path = slow_path(history, snapshot)
        self._place()

    def clear(self) -> None:
        self.show(None)

    # ------------------------------------------------------------ drawing

    def _place(self, *_args) -> None:
        s = self._snapshot
        pixel = self.vb.viewPixelSize() if s is not None else (1.0, 1.0)
        if not (pixel[0] > 0 and pixel[1] > 0):
            return
        vectors = {}
        if s is not None:
            vectors["grad"] = _neg(s.grad)
            if s.clipped != s.grad:
                vectors["clipped"] = _neg(s.clipped)
            moment = first_moment(s)
            if moment is not None:
                vectors["moment"] = _neg(moment)
        shared = max((math.hypot(v[0] / pixel[0], v[1] / pixel[1]) for v in vectors.values()),
                     default=0.0)
        for kind in ("grad", "clipped", "moment"):
            vector = vectors.get(kind)
            length = ARROW_PX * _px_norm(vector, pixel) / shared if vector and shared else 0.0
            self._arrow(kind, s.before if s else None, vector, length, pixel)
        if s is not None:
            true_px = _px_norm(s.update, pixel)
            self._arrow("update", s.before, s.update, min(max(true_px, MIN_PX), UPDATE_MAX_PX), pixel)
        else:
            self._arrow("update", None, None, 0.0, pixel)
        self._ellipse(s, pixel)
        self._slow()
        lines = [self._key_lines[kind] for kind in KINDS if kind in self._key_lines]
        if s is not None and lines:
            lines.insert(0, "<b>" + tr("update {n}", n=s.step) + "</b>")
        self.key.setHtml("<br>".join(lines))
        self.key.setVisible(bool(lines))

    def _set(self, kind: str, xs, ys, key: str = "") -> None:
        self._curves[kind].setData(xs, ys)
        self._shadows[kind].setData(xs, ys)
        if len(xs) and key:
            color = KINDS[kind][1]
            self._key_lines[kind] = f"<span style='color:{color}'>━ {key}</span>"
        else:
            self._key_lines.pop(kind, None)

    def _arrow(self, kind, origin, vector, length_px, pixel) -> None:
        norm = _px_norm(vector, pixel) if vector else 0.0
        if not (self.enabled[kind] and origin and norm > 0 and math.isfinite(norm)):
            self._set(kind, [], [])
            return
        length_px = max(length_px, MIN_PX)
        ux, uy = vector[0] / pixel[0] / norm, vector[1] / pixel[1] / norm  # unit, in pixels
        tip = (ux * length_px, uy * length_px)
        points = [(0.0, 0.0), tip]
        for turn in (2.6, -2.6):  # the head's two barbs, ~150° from the shaft
            c, s = math.cos(turn), math.sin(turn)
            points += [tip, (tip[0] + HEAD_PX * (c * ux - s * uy), tip[1] + HEAD_PX * (s * ux + c * uy))]
        xs = [origin[0] + px * pixel[0] for px, _ in points]
        ys = [origin[1] + py * pixel[1] for _, py in points]
        self._set(kind, xs, ys, f"{translated(KINDS[kind][0])}  {math.hypot(*vector):.3g}")

    def _ellipse(self, s: Internals | None, pixel) -> None:
        step = effective_step(s) if s is not None and self.enabled["effective"] else None
        if step is None or not all(math.isfinite(v) and v > 0 for v in step):
            self._set("effective", [], [])
            return
        big = max(step)
        ax, ay = (max(ELLIPSE_PX * v / big, 3.0) for v in step)
        angle = np.linspace(0, 2 * np.pi, 65)
        xs = s.after[0] + ax * np.cos(angle) * pixel[0]
        ys = s.after[1] + ay * np.sin(angle) * pixel[1]
        self._set("effective", np.repeat(xs, 2)[1:-1], np.repeat(ys, 2)[1:-1],  # pairs: a ring
                  f"η = {effective_label(s)} = ({step[0]:.3g}, {step[1]:.3g})")

    def _slow(self) -> None:
        xs, ys = self._slow_path
        on = self.enabled["slow"] and len(xs) > 1
        self._set("slow", xs if on else [], ys if on else [],
                  tr("slow weights: {n} syncs ◆", n=len(xs) - 1))
        self.syncs.setData(xs[1:] if on else [], ys[1:] if on else [])


def slow_path(history: Sequence[Internals], upto: Internals | None) -> tuple[np.ndarray, np.ndarray]:
    """Lookahead's slow weights: where they started and where each sync up to `upto` put them
    (the wrapper's `slow`, Ranger's `slow_buffer`)."""
    if upto is None:
        return np.empty(0), np.empty(0)
    points = []
    for s in history:
        if s.step > upto.step:
            break
        key = "slow" if "slow" in s.state else "slow_buffer" if "slow_buffer" in s.state else None
        if key is None:
            return np.empty(0), np.empty(0)
        if not points:  # where the slow weights were when the record began
            points.append(s.before if synced(s) else s.state[key])
        if synced(s):
            points.append(s.state[key])
    array = np.array(points, dtype=float).reshape(-1, 2)
    return array[:, 0], array[:, 1]


def synced(s: Internals) -> bool:
    """This update ended with a Lookahead sync."""
    if "steps_since_sync" in s.state:
        return s.state["steps_since_sync"] == 0
    k = s.hyper.get("k")
    return bool(k) and int(s.state.get("step", s.step)) % int(k) == 0


def _neg(v):
    return -v[0], -v[1]


def _px_norm(vector, pixel) -> float:
    return math.hypot(vector[0] / pixel[0], vector[1] / pixel[1]) if vector else 0.0
