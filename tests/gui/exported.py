"""Reading what an export wrote (a PNG's pixels and colours, an SVG's strokes and texts),
and the small race the export tests export."""
import os
import xml.etree.ElementTree as ET
from collections import Counter

import numpy as np
from PySide6.QtGui import QImage

from optplayground.core.experiment import Experiment, Problem, Run
from .waits import ENGINE_MS

SVG = "{http://www.w3.org/2000/svg}"
PLOT_NAMES = ("map", "loss", "lr", "grad")


def small_experiment(steps=40, name="export race"):
    return Experiment(
        name=name, description="Three runs & a <short> race.",
        problem=Problem(surface="rosenbrock", start=(-1.5, 2.0)),
        runs=[Run("Momentum", "momentum", {"lr": 1e-3}), Run("Adam", "adam", {"lr": 0.02}),
              Run("SGD", "sgd", {"lr": 1e-3})],
        steps=steps)


def raced(qtbot, w):
    qtbot.waitUntil(lambda: w.live.step >= w.experiment.steps
                    and all(w.live.run(i).status != "running" for i in range(len(w.live))),
                    timeout=ENGINE_MS)
    w.on_frame()
    return w


def pixels(image: QImage) -> np.ndarray:
    """height x width x 3 RGB array of an image."""
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    data = np.frombuffer(image.constBits(), np.uint8, image.bytesPerLine() * image.height())
    return data.reshape(image.height(), image.bytesPerLine())[:, :image.width() * 3].reshape(
        image.height(), image.width(), 3).copy()  # the image's memory goes with it


def near(rgb: np.ndarray, color: str, tolerance: int = 12) -> int:
    """How many pixels are within `tolerance` of `color` in every channel."""
    target = np.array([int(color[i:i + 2], 16) for i in (1, 3, 5)])
    return int(np.all(np.abs(rgb.astype(int) - target) <= tolerance, axis=2).sum())


def stroke_counts(svg_text: str) -> Counter:
    """How many drawn lines (<path>, <polyline>) each stroke colour has."""
    root = ET.fromstring(svg_text)
    counts = Counter()
    for group in root.iter(f"{SVG}g"):
        lines = [c for c in group if c.tag in (f"{SVG}path", f"{SVG}polyline")]
        if lines and group.get("stroke"):
            counts[group.get("stroke").lower()] += len(lines)
    return counts


def no_temporary_files(folder) -> bool:
    return not [p for p in os.listdir(folder) if p.startswith(".optplayground-")]


def svg_texts(root) -> str:
    return " ".join("".join(t.itertext()) for t in root.iter(f"{SVG}text"))
