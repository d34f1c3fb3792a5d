"""The window's copy of the race: every run's rows as they arrive from the worker.

Lives in the main thread; the plots read it from the repaint timer. `version` grows with
every batch, so a plot can skip work when nothing changed.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core.engine import Batch
from ..core.experiment import Clip, Experiment
from ..core.history import COLUMNS, DATASET_COLUMNS, History, RunHistory
from . import theme


@dataclass(frozen=True)
class RunStyle:
    """How one (enabled) run is shown: the same colour on every plot."""

    name: str
    color: str
    optimizer: str
    clip: Clip


def run_styles(experiment: Experiment) -> list[RunStyle]:
    """The enabled runs' styles, in the colours the theme in effect draws them."""
    return [RunStyle(r.name, theme.run_color(experiment.color_of(i)), r.optimizer, r.clip)
            for i, r in enumerate(experiment.runs) if r.enabled]


class LiveRuns:
    def __init__(self):
        self.generation = 0
        self.version = 0
        self.step = 0
        self.steps = 0  # the race's last step
        self.styles: list[RunStyle] = []
        self.history = History([], [], 1)

    def reset(self, experiment: Experiment, generation: int) -> None:
        """Start over for a (validated) experiment; batches of older generations are dropped."""
        self.generation = generation
        self.step = 0
        self.steps = experiment.steps
        self.styles = run_styles(experiment)
        columns = COLUMNS + DATASET_COLUMNS if experiment.problem.is_dataset else COLUMNS
        enabled = [r for r in experiment.runs if r.enabled]
        self.history = History([r.name for r in enabled], [r.optimizer for r in enabled],
                               experiment.history_cap, experiment.steps + 1, columns)
        self.version += 1

    def add_batch(self, generation: int, batch: Batch) -> bool:
        """Append a batch from the worker; False (ignored) if it is from an older race."""
        if generation != self.generation:
            return False
        for part in batch.runs:
            record = self.history[part.index]
            if len(part.rows):
                record.append(part.rows)
            record.status, record.message = part.status, part.message
        self.step = batch.step
        self.version += 1
        return True

    def restyle(self, experiment: Experiment) -> None:
        """Colours, names or clip settings changed without a restart."""
        self.styles = run_styles(experiment)
        for record, style in zip(self.history.runs, self.styles):
            record.name = style.name
        self.version += 1

    def __len__(self) -> int:
        return len(self.styles)

    def run(self, index: int) -> RunHistory:
        return self.history[index]

    def column(self, index: int, name: str) -> np.ndarray:
        return self.history[index].column(name)
