"""What stands above the panels and in the window's title: the experiment's name and what
it shows — while its problem is the one it was opened with. Once another surface, formula
or dataset is chosen, the name and description no longer describe it: the problem does."""
from __future__ import annotations

import html

from ..core import experiment as xp
from ..core.datasets import DATASETS
from ..core.experiment import Experiment, Problem
from ..core.i18n import tr, translated


def same_problem_kind(a: Problem, b: Problem) -> bool:
    """The same surface, formula or dataset (its start, parameters or noise aside)."""
    return (a.surface, a.formula, a.dataset) == (b.surface, b.formula, b.dataset)


def problem_title(problem: Problem) -> str:
    if problem.is_dataset:
        spec = DATASETS.get(problem.dataset)  # its title, as the problem panel shows it
        return tr("dataset {name}", name=translated(spec.title if spec else problem.dataset))
    if problem.surface == "formula":
        return f"f = {problem.formula}"
    return translated(xp.surface_of(problem).title)


def own_name(exp: Experiment, opened: Experiment | None) -> tuple[str, str]:
    """(name, description) of `exp`, opened as `opened`: its own while it races the problem
    it was opened with, else the problem's (a file saved then keeps these: a formula race
    saved as "Rosenbrock race" reopened under the Rosenbrock text)."""
    if opened is not None and not same_problem_kind(exp.problem, opened.problem):
        return tr("Your race: {problem}", problem=problem_title(exp.problem)), ""
    return exp.name, exp.description


def headline(exp: Experiment, opened: Experiment | None) -> tuple[str, str, str]:
    """(window title, rich text above the panels, its tooltip) for `exp`, opened as
    `opened`."""
    name, description = (translated(text) for text in own_name(exp, opened))  # ours: presets
    text = f"<b>{html.escape(name)}</b>"
    if description:
        text += f"<br>{html.escape(description)}"
    return (f"{name} — optplayground" if name else "optplayground"), text, description
