"""The swarm views in the window: the basin map layer, the sweep heat map and the what-if
fan, driven by RaceModel's events and raced in the swarm child (client.py).

The views follow the run selected in the runs panel: a new race or a live edit of it
recomputes the basin (and a sweep shown), a cell click races that start or that setting.
"""
from __future__ import annotations

import dataclasses
import math
import time

import numpy as np

from PySide6.QtCore import QObject, Qt, QTimer, Slot
from PySide6.QtWidgets import QDockWidget, QFileDialog, QSlider

from ...core import experiment as xp
from ...core.i18n import tr
from ...core.batched.groups import batchable
from ...core.optimizers import get_optimizer
from ...core.swarm import BasinJob, SweepJob
from .. import theme
from ..controls.runs_panel import next_color, unique_name
from .basin_layer import BasinLayer
from .client import SwarmClient
from .fan import FAN_STEPS, WhatIfFan, fan_runs, fan_values
from .lr_test import LRTest
from .panel import SwarmPanel

RECOMPUTE_MS = 250  # a burst of edits (a slider drag) recomputes once it pauses
DOCK_HEIGHT = 300
FAN_HIDE_MS = 1500  # the fan goes once no slider has been held for this long


class SwarmViews(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.client = SwarmClient(self)
        self.panel = SwarmPanel()
        self.sweep_map = self.panel.sweep_map
        self.basin = BasinLayer(window.map)
        self.fan = WhatIfFan(window.map)
        self.dock = QDockWidget(tr("Swarm views"), window)
        self.dock.setObjectName("swarm-dock")
        self.dock.setWidget(self.panel)
        window.addDockWidget(Qt.BottomDockWidgetArea, self.dock)
        self.dock.hide()
        self.dock.visibilityChanged.connect(self._dock_shown)
        self.action = self.dock.toggleViewAction()
        self.action.setText(tr("S&warm Views (basin map, sweep)"))
        self._basin_key = None  # what the basin shown was raced for
        self._sweep_key = None
        self._tickets = {"basin": 0, "sweep": 0, "fan": 0, "fan_table": 0}
        self._sweep_wanted = False
        self._started: dict[str, float] = {}
        self._fan_asked = 0.0
        self.fan_latency_s: list[float] = []  # slider move -> fan drawn (the bench reads it)
        self.fan_direct_s: list[float] = []  # the child's time for a fan raced on its own
        self._recompute = QTimer(self, singleShot=True, interval=RECOMPUTE_MS)
        self._recompute.timeout.connect(self.refresh)
        self._fan_hide = QTimer(self, interval=250)
        self._fan_hide.timeout.connect(self._maybe_hide_fan)
        self._fan_last_drag = 0.0
        self._fan_run = None  # the selected run as last seen: a live edit is compared with it
        self._fan_table: dict | None = None  # every slider position's path (see request_fan)
        self._fan_table_key = None
        self._fan_names: tuple = ("", [])
        self._panel_run = None

        panel = self.panel
        panel.basinToggled.connect(self._basin_toggled)
        panel.basinChanged.connect(self.refresh)
        panel.modeChanged.connect(self.basin.set_mode)
        panel.sweepRequested.connect(self.start_sweep)
        panel.metricChanged.connect(self.sweep_map.set_metric)
        self.basin.cellPicked.connect(self._start_picked)
        self.sweep_map.cellPicked.connect(self._setting_picked)
        self.client.frameReady.connect(self._on_frame)
        self.client.failed.connect(self._on_failed)
        self.client.fanReady.connect(self._on_fan)
        self.client.exported.connect(self._on_exported)
        self.lr_test = LRTest(window, self.client, panel)
        self.lr_plot = panel.lr_plot
        window.model.restarted.connect(lambda _exp, _gen: self._recompute.start())
        window.model.run_edited.connect(self._on_run_edited)
        window.runs_panel.list.currentRowChanged.connect(lambda _row: self._recompute.start())

    @Slot(bool)
    def _dock_shown(self, shown: bool) -> None:
        if shown and not self.dock.isFloating():  # room for it, the map keeps most
            height = min(DOCK_HEIGHT, self.window.height() // 3)  # 720 px: the plots keep room
            self.window.resizeDocks([self.dock], [height], Qt.Vertical)

    # ------------------------------------------------------------ which run, which job

    def selected_run(self):
        """(the experiment, validated, with the selected run only) or None where the views
        cannot race it (a dataset race, an optimizer without a batched rule)."""
        exp = self.window.experiment
        runs = exp.runs
        if exp.problem.is_dataset or not runs:
            return None
        row = self.window.runs_panel.selected()
        row = row if 0 <= row < len(runs) else 0
        run = dataclasses.replace(runs[row], color=xp.run_color(runs, row))  # as the race shows it
        try:
            checked = xp.validate(dataclasses.replace(exp, runs=[run]))
        except Exception:  # noqa: BLE001 — the race reports it; the views wait for a good one
            return None
        return checked if batchable(checked.runs[0]) else None

    def threshold(self, exp) -> float | None:
        value = self.panel.threshold_value()
        if value is not None:
            return value
        surface = xp.surface_of(exp.problem)
        minima = surface.minima_for(exp.problem.params)
        if not minima:
            return None
        import torch

        best = surface.value(torch.tensor(minima, dtype=torch.float64), exp.problem.params)
        return float(best.min()) + 1e-3

    @Slot()
    def refresh(self) -> None:
        """Recompute what is shown for the selected run as it is now."""
        dataset = self.window.experiment.problem.is_dataset
        self.panel.set_dataset_mode(dataset)
        if dataset:
            self.basin.hide()
            self.lr_test.show_run()
            return
        exp = self.selected_run()
        if exp is None:
            self.basin.hide()
            self.panel.run_label.setText(tr("Swarm views race a batchable optimizer on a surface."))
            return
        run = self._fan_run = exp.runs[0]
        if self._run_changed(run):
            self.panel.set_run(run, get_optimizer(run.optimizer))
        if self.panel.show_basin.isChecked():
            self.start_basin(exp)
        if self._sweep_wanted:
            self.start_sweep(force=False)

    def _run_changed(self, run) -> bool:
        key = (run.name, run.optimizer)
        changed, self._panel_run = key != self._panel_run, key
        return changed

    def start_basin(self, exp=None) -> None:
        exp = exp or self.selected_run()
        if exp is None:
            return
        threshold = self.threshold(exp)
        basis = dataclasses.replace(exp, problem=dataclasses.replace(exp.problem, start=None))
        key = (xp.dumps(basis), self.panel.grid(), threshold)
        if key == self._basin_key:
            return
        self._basin_key = key
        surface = xp.surface_of(exp.problem)
        self.basin.threshold = threshold
        self.basin.start_job(self.panel.grid(), surface.bounds, surface.minima_for(exp.problem.params))
        self._tickets["basin"] = self.client.submit("basin", BasinJob(exp, 0, self.panel.grid(),
                                                                      threshold=threshold))
        self._started["basin"] = time.perf_counter()
        self.panel.basin_status.setText(tr("starting…"))

    @Slot()
    def start_sweep(self, force: bool = True) -> None:
        """Race the sweep as the panel says (`force`: even if it is the one shown)."""
        exp = self.selected_run()
        if exp is None:
            self.panel.sweep_status.setText(tr("Sweeps race a batchable optimizer on a surface."))
            return
        try:
            axes = self.panel.axes()
        except ValueError as error:
            self.panel.sweep_status.setText(str(error))
            return
        if len(axes) == 2 and axes[0].name == axes[1].name:
            self.panel.sweep_status.setText(tr("{name} is chosen twice", name=axes[0].name))
            return
        self._sweep_wanted = True
        threshold = self.threshold(exp)
        key = (xp.dumps(exp), tuple(axes), threshold)
        if key == self._sweep_key and not force:
            return  # (a restart that changed nothing it depends on)
        self._sweep_key = key
        self.sweep_map.threshold = threshold
        self.sweep_map.frame = None  # "done" is the new job's from now on
        self._tickets["sweep"] = self.client.submit("sweep", SweepJob(exp, 0, tuple(axes), threshold))
        self._started["sweep"] = time.perf_counter()
        self.panel.sweep_status.setText(tr("starting…"))

    # ------------------------------------------------------------ answers

    @Slot(str, int, object)
    def _on_frame(self, slot: str, ticket: int, frame) -> None:
        if ticket != self._tickets.get(slot):
            return  # a job since replaced
        took = time.perf_counter() - self._started.get(slot, time.perf_counter())
        status = tr("{runs} runs · step {step}/{steps} · {state} · {seconds} s", runs=f"{len(frame.x):,}",
                    step=f"{frame.step:,}", steps=f"{frame.steps:,}",
                    state=tr("done") if frame.done else tr("racing"), seconds=f"{took:.1f}")
        if slot == "basin":
            if self.panel.show_basin.isChecked():
                self.basin.show_frame(frame)
            counts = ""
            if frame.minimum is not None and frame.minimum.size:
                import numpy as np

                found = np.bincount(frame.minimum[frame.minimum >= 0], minlength=len(self.basin.minima))
                counts = " · " + tr("per minimum: {counts}", counts=" / ".join(f"{n:,}" for n in found))
            self.panel.basin_status.setText(status + counts)
        else:
            if frame.meta:
                self.sweep_map.start_job(frame.meta["axes"], frame.meta["cells"], frame.meta["current"])
            self.sweep_map.show_frame(frame)
            self.panel.sweep_status.setText(status)

    @Slot(str, int, str)
    def _on_failed(self, slot: str, ticket: int, message: str) -> None:
        if ticket == self._tickets.get(slot):
            label = self.panel.basin_status if slot == "basin" else self.panel.sweep_status
            label.setText(tr("Cannot race it: {message}", message=message))

    @Slot(bool)
    def _basin_toggled(self, on: bool) -> None:
        if on:
            self._basin_key = None
            self.refresh()
        else:
            self.client.cancel("basin")
            self._basin_key = None
            self.basin.hide()

    # ------------------------------------------------------------ clicks

    @Slot(float, float)
    def _start_picked(self, x: float, y: float) -> None:
        """A basin cell: race every run from its start (runs share their start)."""
        self.window.on_start_picked(x, y)

    @Slot(object)
    def _setting_picked(self, values: dict) -> None:
        """A sweep cell: a copy of the run with that setting joins the race."""
        row = self.window.runs_panel.selected()
        runs = self.window.runs_panel.runs()
        base = runs[row if 0 <= row < len(runs) else 0]
        label = " ".join(f"{k}={v:.3g}" for k, v in values.items())
        new = dataclasses.replace(base, hyper=dict(base.hyper, **values),
                                  name=unique_name(f"{base.name} {label}", {r.name for r in runs}),
                                  color=next_color(runs))
        if len(runs) >= xp.MAX_RUNS:
            self.window.statusBar().showMessage(tr("At most {n} runs", n=xp.MAX_RUNS), 5000)
            return
        runs.append(new)
        self.window.runs_panel.set_runs(runs)
        self.window.model.set_runs(runs)
        self.window.runs_panel.select(row if row >= 0 else 0)

    # ------------------------------------------------------------ the what-if fan

    def _on_run_edited(self, index: int, run) -> None:
        self._recompute.start()  # the basin and sweep follow a live edit
        exp = self.selected_run()
        if exp is None or exp.runs[0].name != run.name:
            return
        old, self._fan_run = self._fan_run, exp.runs[0]
        if not self.panel.whatif.isChecked() or not self._slider_held() or old is None:
            return
        name = _changed_float(old, exp.runs[0])
        if name is not None:
            self.request_fan(exp, name)

    def request_fan(self, exp, name: str) -> None:
        """The fan of `name` around the run's value: drawn at once from the table of every
        slider position's path once the child has raced it (one batched race of ~1,000
        rows, ~1.5 s here, asked for on the first move of a drag); until then the fan's four
        runs are raced on their own."""
        run = exp.runs[0]
        self._fan_asked = time.perf_counter()
        self._fan_color = theme.run_color(run.color)
        self._fan_last_drag = time.monotonic()
        self._fan_hide.start()
        param = next(p for p in get_optimizer(run.optimizer).params if p.name == name)
        value = float(run.hyper[name])
        steps = min(exp.steps, FAN_STEPS)
        slider_values = self._slider_values(name)
        key = (_without(exp, name), name, steps, tuple(slider_values))
        table = self._fan_table
        if table is not None and table["key"] == key and value in table["index"]:
            self._show_fan(name, [value, *fan_values(param, value)[1:]], table)
            return
        values = fan_values(param, value)
        if not values:
            return
        self._fan_names = (name, values)
        self._tickets["fan"] = self.client.fan(exp, fan_runs(run, name, values), steps)
        if slider_values and self._fan_table_key != key:
            self._fan_table_key = key
            self._tickets["fan_table"] = self.client.fan(exp, fan_runs(run, name, slider_values), steps)

    def _slider_values(self, name: str) -> list[float]:
        try:
            return self.window.runs_panel.editor.hyper_form().slider_values(name)
        except (KeyError, AttributeError):
            return []

    @Slot(int, object, float)
    def _on_fan(self, ticket: int, paths, seconds: float) -> None:
        if ticket == self._tickets.get("fan_table"):
            key = self._fan_table_key
            values = list(key[3])
            self._fan_table = {"key": key, "paths": paths, "values": np.array(values),
                               "index": {v: i for i, v in enumerate(values)}}
            return
        if ticket != self._tickets["fan"]:
            return
        self.fan_direct_s.append(seconds)
        name, values = self._fan_names
        self._draw_fan(name, values, paths)

    def _show_fan(self, name: str, wanted: list[float], table: dict) -> None:
        """The fan from the table: the value itself, ghosts at the nearest slider values."""
        values = table["values"]
        chosen = [wanted[0]] + [float(values[np.abs(values - w).argmin()]) for w in wanted[1:]]
        self._draw_fan(name, chosen, [table["paths"][table["index"][v]] for v in chosen])

    def _draw_fan(self, name: str, values: list[float], paths) -> None:
        text = tr("{name} = {value} (white); faint: {others}", name=name, value=f"{values[0]:.3g}",
                  others=", ".join(f"{v:.3g}" for v in values[1:]))
        self.fan.show(paths, self._fan_color, text)
        self.fan_latency_s.append(time.perf_counter() - self._fan_asked)

    def _slider_held(self) -> bool:
        held = any(s.isSliderDown() for s in self.window.runs_panel.findChildren(QSlider))
        if held:
            self._fan_last_drag = time.monotonic()
        return held

    @Slot()
    def _maybe_hide_fan(self) -> None:
        if self._slider_held():
            return
        if time.monotonic() - self._fan_last_drag > FAN_HIDE_MS / 1000:
            self.fan.hide()
            self._fan_hide.stop()

    # ------------------------------------------------------------ a preset's view

    def show_view(self, view) -> None:
        """Show a preset's swarm view (core/swarm_preset.SwarmView) and race it."""
        from ...core.swarm import parse_axis
        from .panel import GRIDS

        self.dock.show()
        panel = self.panel
        if view.run < len(self.window.experiment.runs):
            self.window.runs_panel.select(view.run)
        self.refresh()
        if view.view == "basin":
            grid = min(GRIDS, key=lambda n: abs(n - view.grid))
            panel.grid_size.setCurrentIndex(GRIDS.index(grid))
            panel.mode.setCurrentIndex(panel.mode.findData(view.colour))
            panel.show_basin.setChecked(True)
            self.start_basin()
            return
        exp = self.selected_run()
        if exp is None:
            return
        optimizer = exp.runs[0].optimizer
        axes = [parse_axis(text, optimizer, "swarm.vary") for text in view.vary]
        for editor, axis in zip((panel.axis1, panel.axis2), axes + [None]):
            editor.show_axis(axis)
        panel.metric_box.setCurrentIndex(panel.metric_box.findData(view.colour))
        self.start_sweep()

    @Slot(str)
    def preset_chosen(self, name: str) -> None:
        """A preset became the window's experiment (File ▸ Presets): show its view. (Not on
        the menu's `triggered`: that comes before the preset is loaded, or if it is not.)"""
        from ...core.presets import preset_swarm_view

        try:
            view = preset_swarm_view(name)
        except Exception:  # noqa: BLE001 — a broken shipped view: the race goes on without
            return
        if view is not None and not self.window.experiment.problem.is_dataset:
            self.show_view(view)

    def view_done(self, view) -> bool:
        """The preset's view has raced to its end and is drawn."""
        frame = self.basin.frame if view.view == "basin" else self.sweep_map.frame
        return frame is not None and frame.done

    # ------------------------------------------------------------ export and shutdown

    def plot_widgets(self) -> dict:
        """The sweep heat map for File ▸ Export, while the dock shows one."""
        if self.dock.isVisible() and self.sweep_map.frame is not None:
            return {"sweep": self.sweep_map}
        return {}

    def add_export_actions(self, menu) -> None:
        """Called as File ▸ Export fills: the basin's and the sweep's CSVs."""
        for slot, title in (("basin", tr("Basin map CSV…")), ("sweep", tr("Sweep CSV…"))):
            shown = (self.basin.frame is not None and self.panel.show_basin.isChecked()
                     if slot == "basin" else self.sweep_map.frame is not None)
            if shown:
                action = menu.addAction(title)
                action.triggered.connect(lambda _=False, s=slot: self._ask_csv(s))

    def _ask_csv(self, slot: str) -> None:
        title = tr("Export the basin map CSV") if slot == "basin" else tr("Export the sweep CSV")
        path, _ = QFileDialog.getSaveFileName(self.window, title,
                                              f"{slot}.csv", "CSV (*.csv)")
        if path:
            self.export_csv(slot, path)

    def export_csv(self, slot: str, path: str) -> None:
        self.client.export_csv(slot, path)

    @Slot(str, str)
    def _on_exported(self, path: str, error: str) -> None:
        message = (tr("Wrote {path}", path=path) if not error
                   else tr("Cannot write {path}: {error}", path=path, error=error))
        self.window.statusBar().showMessage(message, 8000)

    def shutdown(self) -> None:
        self._recompute.stop()
        self._fan_hide.stop()
        self.client.shutdown()


def _without(exp, name: str) -> str:
    """The experiment as text with the run's `name` left out: what a fan table depends on."""
    run = exp.runs[0]
    hyper = {k: v for k, v in run.hyper.items() if k != name}
    return xp.dumps(dataclasses.replace(exp, runs=[dataclasses.replace(run, hyper=hyper)]))


def _changed_float(old, new) -> str | None:
    """The float hyperparameter that differs between two versions of a run."""
    for key, value in new.hyper.items():
        before = old.hyper.get(key)
        if isinstance(value, float) and isinstance(before, float) and value != before:
            if math.isfinite(value):
                return key
    return None
