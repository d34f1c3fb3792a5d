"""Export through the real window: plots as PNG and SVG, the dashboard, the CSV, the
clipboard, and `run --png/--svg`. (Opening files, recent files, presets: test_files_menu.py.)"""
import io
import os
import subprocess
import sys
import time
import xml.dom.minidom
import xml.etree.ElementTree as ET

import numpy as np
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QMessageBox

from optplayground import cli
from optplayground.core import experiment as xp
from optplayground.core.engine import Engine
from optplayground.core.experiment import PALETTE, Experiment, Problem, Run
from optplayground.gui import export, pgcompat
from .exported import (PLOT_NAMES, SVG, near, no_temporary_files, pixels, raced, small_experiment,
                       stroke_counts, svg_texts)
from .waits import ENGINE_MS


# ---------------------------------------------------------------- pictures

def test_each_plot_exports_png_at_the_chosen_scale(window, qtbot, tmp_path):
    w = raced(qtbot, window(small_experiment()))
    plots = w.plot_widgets()
    assert set(plots) == set(PLOT_NAMES)
    for name in PLOT_NAMES:
        widget = plots[name]
        for scale in (1, 2):
            path = tmp_path / f"{name}-{scale}.png"
            assert w.files.export_plot(name, "png", str(path), scale)
            image = QImage(str(path))
            assert (image.width(), image.height()) == (widget.width() * scale, widget.height() * scale)
            assert path.stat().st_size > 5000
    # The curves are in the picture in the runs' colours, and grow with the scale: twice as
    # long and twice as wide is four times the pixels (not two: cosmetic pens are widened).
    small, large = (pixels(export.plot_image(w.loss_plot, s)) for s in (1, 2))
    for color in PALETTE[:3]:
        assert near(small, color) > 50
        assert near(large, color) > 3 * near(small, color)
    w.files.set_scale(4)
    assert w.files.export_plot("lr", "png", str(tmp_path / "lr-4.png"))
    assert QImage(str(tmp_path / "lr-4.png")).width() == w.lr_plot.width() * 4


def test_each_plot_exports_svg_with_every_run_in_its_colour(window, qtbot, tmp_path):
    w = raced(qtbot, window(small_experiment()))
    for name in PLOT_NAMES:
        path = tmp_path / f"{name}.svg"
        assert w.files.export_plot(name, "svg", str(path))
        text = path.read_text(encoding="utf-8")
        counts = stroke_counts(text)
        for color in PALETTE[:3]:
            # each run's curve, plus its legend sample where the plot has a legend
            assert counts[color] >= 2, (name, color, counts)
    # Every step of the Adam run is a point (one path, or one line per step without
    # antialiasing), and all of them lie inside the picture: the view's range is current.
    root = ET.parse(tmp_path / "loss.svg").getroot()
    width = float(root.get("viewBox").split()[2])
    points = []
    for group in root.iter(f"{SVG}g"):
        if group.get("stroke") == PALETTE[1]:
            for line in group:
                text = line.get("points") or line.get("d")
                points += [float(p.lstrip("ML").split(",")[0]) for p in text.split()]
    assert len(points) >= w.experiment.steps
    assert 0 <= min(points) and max(points) <= width


def test_the_grid_view_exports_as_one_svg_with_a_map_per_run(window, qtbot, tmp_path):
    w = raced(qtbot, window(small_experiment()))
    w.set_grid_view(True)
    w.on_frame()
    path = tmp_path / "grid.svg"
    assert w.files.export_plot("map", "svg", str(path))
    root = ET.parse(path).getroot()
    panels = [g for g in root if g.tag == f"{SVG}g" and g.get("transform", "").startswith("translate")]
    assert len(panels) == 4  # three maps and the colour bar
    counts = [stroke_counts(ET.tostring(panel, encoding="unicode")) for panel in panels]
    for color in PALETTE[:3]:  # each run's path is on one map only
        assert sum(1 for c in counts if c[color] >= 1) == 1
    ids = [e.get("id") for e in root.iter() if e.get("id")]
    assert len(ids) == len(set(ids))  # clip paths of different maps do not collide
    png = tmp_path / "grid.png"
    assert w.files.export_plot("map", "png", str(png), 1)
    assert QImage(str(png)).width() == w.grid.width()


def test_svg_export_keeps_closed_paths_as_qt_611_writes_them():
    """pyqtgraph issue #3485: Qt >= 6.11 ends closed paths with "Z"; our export keeps them."""
    import importlib

    module = importlib.import_module("pyqtgraph.exporters.SVGExporter")
    original = module.correctCoordinates
    doc = xml.dom.minidom.parseString(
        '<g><g transform="matrix(2,0,0,2,10,20)">'
        '<path d="M0,0 L1,0 L1,1 Z M5,5 L6,6 Z"/><polyline points="0,0 1,1"/></g></g>')
    with pgcompat.closed_paths_kept():
        module.correctCoordinates(doc.documentElement, [], None, {})
    path = doc.getElementsByTagName("path")[0]
    assert path.getAttribute("d") == "M10.0,20.0 L12.0,20.0 L12.0,22.0 Z M20.0,30.0 L22.0,32.0 Z"
    assert doc.getElementsByTagName("polyline")[0].getAttribute("points") == "10.0,20.0 12.0,22.0"
    assert module.correctCoordinates is original  # pyqtgraph is left as it was


def test_dashboard_and_window_pngs_and_the_clipboard(window, qtbot, tmp_path):
    w = raced(qtbot, window(small_experiment()))
    widget, rect = w.dashboard()
    assert rect.contains(w.map_area.geometry()) and rect.contains(w.step_splitter.geometry())
    assert not rect.intersects(w.sidebar.geometry())
    for scale in (1, 2):
        path = tmp_path / f"dashboard-{scale}.png"
        assert w.files.export_dashboard(str(path), scale)
        image = QImage(str(path))
        assert (image.width(), image.height()) == (rect.width() * scale, rect.height() * scale)
    rgb = pixels(QImage(str(tmp_path / "dashboard-1.png")))
    assert all(near(rgb, color) > 100 for color in PALETTE[:3])
    assert w.files.export_window(str(tmp_path / "window.png"), 1)
    assert QImage(str(tmp_path / "window.png")).size() == w.size()
    w.files.copy_plot("loss")
    assert QApplication.clipboard().image().size() == w.loss_plot.size()
    w.files.copy_dashboard()
    assert QApplication.clipboard().image().size() == rect.size()


# ---------------------------------------------------------------- CSV and experiments

def test_the_exported_csv_equals_a_headless_run_of_the_saved_experiment(window, qtbot, tmp_path):
    w = raced(qtbot, window(small_experiment(steps=60)))
    saved, from_window, from_cli = tmp_path / "race.toml", tmp_path / "w.csv", tmp_path / "c.csv"
    assert w.files.save_to(str(saved))
    assert w.files.export_csv(str(from_window))
    assert cli.main(["run", str(saved), "--csv", str(from_cli), "--quiet"]) == 0
    assert from_window.read_bytes() == from_cli.read_bytes()
    text = io.StringIO()
    Engine(xp.validate(small_experiment(steps=60))).run_to_end().write_csv(text)
    assert from_window.read_text() == text.getvalue()
    assert len(from_window.read_text().splitlines()) == 1 + 3 * 61


def test_an_unwritable_path_writes_nothing_and_says_so(window, qtbot, tmp_path):
    w = raced(qtbot, window(small_experiment(steps=10)))
    blocker = tmp_path / "file.txt"
    blocker.write_text("a file, not a folder")
    exports = {"csv": lambda path: w.files.export_csv(path),
               "png": lambda path: w.files.export_plot("loss", "png", path),
               "svg": lambda path: w.files.export_plot("map", "svg", path),
               "dashboard": lambda path: w.files.export_dashboard(path)}
    for kind, write in exports.items():
        path = str(blocker / f"out-{kind}.png")
        assert write(path) is False
        assert not os.path.exists(path) and blocker.read_text() == "a file, not a folder"
        assert f"cannot write {path}" in w.last_error
        assert f"cannot write {path}" in w.statusBar().currentMessage()
        boxes = [b for b in w.findChildren(QMessageBox) if b.isVisible()]
        assert len(boxes) == 1 and f"cannot write {path}" in boxes[0].text()
        boxes[0].close()
    assert os.listdir(tmp_path) == ["file.txt"]  # no temporary file left behind


def test_a_failed_export_leaves_the_existing_file_as_it_was(window, qtbot, tmp_path, monkeypatch):
    w = raced(qtbot, window(small_experiment(steps=10)))
    target = tmp_path / "loss.png"
    assert w.files.export_plot("loss", "png", str(target))
    before = target.read_bytes()
    monkeypatch.setattr(export, "plot_image", lambda *args, **kwargs: QImage())
    assert not w.files.export_plot("loss", "png", str(target))
    assert target.read_bytes() == before
    assert no_temporary_files(tmp_path)


# ---------------------------------------------------------------- the command line

def run_cli(*args, cwd):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.run([sys.executable, "-m", "optplayground", "run", *args],
                          capture_output=True, text=True, cwd=cwd, env=env, timeout=240)


def test_run_png_and_svg_write_the_dashboard_and_one_svg_per_plot(tmp_path):
    done = run_cli("--surface", "rosenbrock", "--opt", "adam:lr=0.02", "--opt", "sgd:lr=0.001",
                   "--steps", "40", "--png", "out.png", "--svg", "out.svg", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    image = QImage(str(tmp_path / "out.png"))
    assert image.width() > 800 and image.height() > 600
    assert near(pixels(image), PALETTE[0]) > 100 and near(pixels(image), PALETTE[1]) > 100
    for name in PLOT_NAMES:
        counts = stroke_counts((tmp_path / f"out-{name}.svg").read_text(encoding="utf-8"))
        assert counts[PALETTE[0]] >= 2 and counts[PALETTE[1]] >= 2, name
    assert "wrote out.png, out-map.svg, out-loss.svg, out-lr.svg, out-grad.svg" in done.stdout
    assert "propagateSizeHints" not in done.stderr


def test_run_with_an_unwritable_picture_path_exits_2_and_writes_nothing(tmp_path):
    (tmp_path / "file.txt").write_text("")
    done = run_cli("--steps", "5", "--csv", "out.csv", "--svg", "file.txt/out.svg", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"optplayground: error: --svg: cannot write file.txt/out.svg: "
        f"{tmp_path / 'file.txt'} is not a folder"]
    assert sorted(os.listdir(tmp_path)) == ["file.txt"]


def test_a_dataset_race_exports_its_view_and_metric_plots(window, qtbot, tmp_path):
    exp = Experiment(name="circle race", problem=Problem(dataset="circle"),
                     runs=[Run("Adam", "adam", {"lr": 0.01}), Run("SGD", "sgd", {"lr": 0.1})],
                     steps=20)
    w = raced(qtbot, window(exp))
    plots = w.plot_widgets()
    assert list(plots) == ["map", "loss", "lr", "grad", "metrics", "accuracy"]
    assert plots["map"] is w.dataset_area.currentWidget()
    w.files._fill_export_menu()
    texts = [a.text() for a in w.files.export_menu.actions()]
    assert "Dataset view as SVG…" in texts and "Accuracy as PNG…" in texts
    assert texts[0] == "&CSV of All Runs…" and w.files._fixed["csv"].shortcut().toString() == "Ctrl+E"
    for name in ("metrics", "accuracy"):
        path = tmp_path / f"{name}.svg"
        assert w.files.export_plot(name, "svg", str(path))
        counts = stroke_counts(path.read_text(encoding="utf-8"))
        assert counts[PALETTE[0]] >= 1 and counts[PALETTE[1]] >= 1, (name, counts)
    assert w.files.export_plot("map", "svg", str(tmp_path / "view.svg"))
    root = ET.parse(tmp_path / "view.svg").getroot()
    texts = " ".join("".join(t.itertext()) for t in root.iter(f"{SVG}text"))
    assert "Adam" in texts and "SGD" in texts  # a decision map per run, titled by its run
    assert len(list(root.iter(f"{SVG}image"))) >= 2
    assert w.files.export_dashboard(str(tmp_path / "dashboard.png"))
    _, rect = w.dashboard()
    assert QImage(str(tmp_path / "dashboard.png")).size() == rect.size()


def test_run_exports_every_dataset_view_and_each_plot_as_png_at_the_scale(tmp_path):
    race = ("--dataset", "linear:n_points=40", "--model", "linear", "--opt", "adam:lr=0.05",
            "--opt", "sgd:lr=0.1", "--steps", "30")
    done = run_cli(*race, "--png", "out.png", "--svg", "out.svg", "--scale", "2", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    names = ("map", "loss", "lr", "grad", "metrics", "surface")  # regression: no accuracy
    assert ("wrote out.png, " + ", ".join(f"out-{n}.svg" for n in names) + ", "
            + ", ".join(f"out-{n}.png" for n in names)) in done.stdout
    # the (w, b) loss surface, though the fit is the tab in front: both paths, its heat map
    root = ET.parse(tmp_path / "out-surface.svg").getroot()
    counts = stroke_counts((tmp_path / "out-surface.svg").read_text(encoding="utf-8"))
    assert counts[PALETTE[0]] >= 1 and counts[PALETTE[1]] >= 1, counts
    assert "w (weight)" in svg_texts(root) and list(root.iter(f"{SVG}image"))
    for name in names:  # each PNG: twice the pixels of the plot (the SVG's own size)
        box = ET.parse(tmp_path / f"out-{name}.svg").getroot().get("viewBox").split()
        image = QImage(str(tmp_path / f"out-{name}.png"))
        assert (image.width(), image.height()) == (2 * int(box[2]), 2 * int(box[3])), name
    surface = pixels(QImage(str(tmp_path / "out-surface.png")))
    assert near(surface, PALETTE[0]) > 100 and near(surface, PALETTE[1]) > 100
    (tmp_path / "one").mkdir()
    done = run_cli(*race, "--png", "out.png", cwd=tmp_path / "one")
    assert done.returncode == 0, done.stderr
    assert sorted(os.listdir(tmp_path / "one")) == sorted(
        ["out.png"] + [f"out-{n}.png" for n in names])
    for name in ("out.png", "out-surface.png", "out-loss.png"):
        one, two = QImage(str(tmp_path / "one" / name)), QImage(str(tmp_path / name))
        assert two.size() == 2 * one.size(), name


def test_run_exports_the_batchnorm_histograms_of_a_batchnorm_race(tmp_path):
    done = run_cli("--dataset", "circle:n_points=80", "--model", "mlp:6,batchnorm=true",
                   "--opt", "adam:lr=0.05", "--steps", "12", "--svg", "out.svg", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    root = ET.parse(tmp_path / "out-batchnorm.svg").getroot()
    assert "before BatchNorm" in svg_texts(root) and "after" in svg_texts(root)
    assert len(list(root.iter(f"{SVG}path"))) + len(list(root.iter(f"{SVG}polyline"))) > 8
    assert not (tmp_path / "out-surface.svg").exists()  # an MLP has no (w, b) plane


def test_scale_goes_with_png(tmp_path):
    done = run_cli("--steps", "5", "--svg", "out.svg", "--scale", "2", cwd=tmp_path)
    assert done.returncode == 2 and "--scale" in done.stderr
    done = run_cli("--steps", "5", "--png", "out.png", "--scale", "3", cwd=tmp_path)
    assert done.returncode == 2 and "invalid choice" in done.stderr
    assert os.listdir(tmp_path) == []


# ---------------------------------------------------------------- CSV in the background

def test_the_csv_written_in_the_background_equals_run_csv(window, qtbot, tmp_path):
    w = raced(qtbot, window(small_experiment(steps=60)))
    saved, from_window, from_cli = tmp_path / "race.toml", tmp_path / "w.csv", tmp_path / "c.csv"
    assert w.files.save_to(str(saved))
    assert w.files.export_csv(str(from_window), background=True)
    qtbot.waitUntil(lambda: not w.files.exporting, timeout=ENGINE_MS)
    summary = tmp_path / "w.summary.csv"  # the results table beside the rows
    assert w.statusBar().currentMessage() == f"Wrote {from_window} and {summary}"
    assert cli.main(["run", str(saved), "--csv", str(from_cli), "--quiet"]) == 0
    assert from_window.read_bytes() == from_cli.read_bytes()
    assert summary.read_bytes() == (tmp_path / "c.summary.csv").read_bytes()
    assert no_temporary_files(tmp_path)


def test_closing_during_a_long_csv_export_cancels_it_and_keeps_the_old_file(window, qtbot, tmp_path):
    from optplayground.core.history import History

    w = raced(qtbot, window(Experiment(runs=[Run("a", "adam")], steps=10)))  # no more batches
    rows = 400_000
    big = History(["a"], ["adam"], rows, rows)
    big[0].append(np.random.default_rng(0).normal(size=(rows, 7)))
    w.live.history = big
    target = tmp_path / "runs.csv"
    target.write_text("the old export\n")
    assert w.files.export_csv(str(target), background=True)
    qtbot.waitUntil(lambda: "%" in w.statusBar().currentMessage(), timeout=ENGINE_MS)  # a chunk is out
    assert w.files.exporting
    started = time.perf_counter()
    w.close()
    assert time.perf_counter() - started < 1.0
    assert not w.files.exporting
    assert target.read_text() == "the old export\n"
    assert no_temporary_files(tmp_path)


def test_a_background_csv_export_reports_an_unwritable_place_at_once(window, qtbot, tmp_path):
    w = raced(qtbot, window(small_experiment(steps=10)))
    path = str(tmp_path / "missing" / "out.csv")
    assert w.files.export_csv(path, background=True) is False
    assert f"cannot write {path}" in w.last_error and not w.files.exporting
