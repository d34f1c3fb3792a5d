"""The race the window shows, without Qt: it owns the experiment, takes every edit,
classifies it once (core/edits.py) and tells its subscribers what changed.

Three events go out (plain callbacks, napari `components/` style: the views and the worker
subscribe, the model knows none of them):

- `restarted(experiment, generation)`: a new race of this validated copy; rows of an older
  generation are stale.
- `run_edited(index, run)`: a LIVE or REBUILD edit of the racing run `index`. Once the
  race is over (`race_over`), such an edit races it again instead: what the window shows
  is then the race of the settings it shows, not of the settings before the edit.
- `restyled(experiment)`: names or colours changed (also after a live edit).
- `refused(message)`: the experiment as edited cannot race (it is kept, not raced).

Runs carry stable ids (`run_ids`, parallel to `experiment.runs`): a run keeps its id
across renames, live edits and restarts that add or remove other runs (matched by name,
names being unique).
"""
from __future__ import annotations

import dataclasses
import itertools
from typing import Callable

from . import experiment as xp
from .edits import Edit, live_edits, runs_edit
from .experiment import Experiment, Problem, Run
from .params import ConfigError


class Event:
    """A list of callbacks, called in order on `emit`."""

    def __init__(self):
        self._callbacks: list[Callable] = []

    def connect(self, callback: Callable) -> None:
        self._callbacks.append(callback)

    def emit(self, *args) -> None:
        for callback in list(self._callbacks):
            callback(*args)


class RaceModel:
    def __init__(self, experiment: Experiment):
        self.experiment = experiment
        self.generation = 0
        self.over = False  # the current race reached its end (or every run stopped)
        self._ids = itertools.count()
        self.run_ids = [next(self._ids) for _ in experiment.runs]
        self.restarted, self.run_edited = Event(), Event()
        self.restyled, self.refused = Event(), Event()

    # ------------------------------------------------------------ whole experiments

    def load(self, experiment: Experiment) -> Experiment:
        """Take a new experiment (validated here, ConfigError if it cannot run) and race it."""
        checked = xp.validate(experiment)
        self.experiment = checked
        self.run_ids = [next(self._ids) for _ in checked.runs]
        self.restart()
        return checked

    def restart(self) -> bool:
        """Race the experiment anew; False (and `refused`) if it cannot run as it is."""
        try:
            exp = xp.validate(self.experiment)
            if not exp.problem.is_dataset:
                xp.surface_of(exp.problem)  # e.g. a formula that does not parse
        except ConfigError as error:
            self.refused.emit(str(error))
            return False
        self.generation += 1
        self.over = False
        self.restarted.emit(exp, self.generation)
        return True

    def race_over(self, generation: int) -> None:
        """The race `generation` ended: an edit of a value races anew from here on."""
        if generation == self.generation:
            self.over = True

    # ------------------------------------------------------------ edits

    def set_problem(self, problem: Problem) -> None:
        self._restart_with(problem=problem)

    def set_start(self, x: float, y: float) -> None:
        self.experiment.problem.start = (x, y)
        self.restart()

    def set_seed(self, seed: int) -> None:
        self._restart_with(seed=seed)

    def set_history_cap(self, rows: int) -> None:
        self._restart_with(history_cap=rows)

    def set_device(self, device: str) -> None:
        self._restart_with(device=device)

    def check_steps(self, steps: int) -> None:
        """ConfigError if the race cannot last `steps` (a schedule too short for it)."""
        xp.validate(dataclasses.replace(self.experiment, steps=steps))

    def set_steps(self, steps: int) -> None:
        self._restart_with(steps=steps)

    def set_runs(self, runs: list[Run]) -> Edit:
        """New runs from the panel: a restart, live edits for the engine, or a restyle."""
        old, self.experiment.runs = self.experiment.runs, runs
        self.run_ids = self._match_ids(old, runs)
        edit = runs_edit(old, runs)
        if edit is Edit.RESTART or (self.over and edit > Edit.STYLE):
            self.restart()
            return edit
        for index, run in live_edits(old, runs):
            self.run_edited.emit(index, run)
        self.restyled.emit(self.experiment)
        return edit

    def _restart_with(self, **fields) -> None:
        for name, value in fields.items():
            setattr(self.experiment, name, value)
        self.restart()

    def _match_ids(self, old: list[Run], new: list[Run]) -> list[int]:
        if len(old) == len(new):  # renames, edits, enabling: the same runs in place
            return list(self.run_ids)
        by_name = {run.name: run_id for run, run_id in zip(old, self.run_ids)}
        return [by_name.pop(run.name, None) if run.name in by_name else next(self._ids)
                for run in new]
