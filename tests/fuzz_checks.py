"""What the fuzz tests (test_fuzz*.py) check of every example: an error names a real field,
a valid experiment saves and reads back, and runs to its end with finite rows."""
import re
from dataclasses import fields, is_dataclass

import numpy as np
from hypothesis import HealthCheck, settings

from optplayground.core import experiment as xp
from optplayground.core.engine import Engine
from optplayground.core.experiment import Experiment
from optplayground.core.params import ConfigError
from optplayground.core.schedules import Stage

FUZZ = settings(max_examples=150, deadline=5000, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
FINAL_STATUSES = ("done", "converged", "diverged")


def assert_names_a_real_field(exp: Experiment, error: ConfigError) -> None:
    """The error's field is a path into the experiment, e.g. runs[0].schedule[1].gamma.

    A dict key may be missing only at the end of the path (a parameter left at its default).
    """
    assert error.message, error
    tokens = re.findall(r"\[\d+\]|[^.\[\]]+", error.field)
    assert tokens and "".join(t if t.startswith("[") else "." + t for t in tokens).lstrip(".") \
        == error.field, error
    node = exp
    for i, token in enumerate(tokens):
        last = i == len(tokens) - 1
        if token.startswith("["):
            assert isinstance(node, (list, tuple)) and int(token[1:-1]) < len(node), error
            node = node[int(token[1:-1])]
        elif isinstance(node, Stage) and token not in ("name", "params", "steps"):
            node = node.params.get(token) if token in node.params or last else _missing(error)
        elif is_dataclass(node):
            assert token in {f.name for f in fields(node)}, error
            node = getattr(node, token)
        else:
            assert isinstance(node, dict) and (token in node or last), error
            node = node.get(token)


def _missing(error):
    raise AssertionError(f"{error.field} is not a field of the experiment: {error}")


def assert_saves_and_reads_back(exp: Experiment) -> None:
    """Whatever validates can be written as a file that reads back to the same experiment."""
    assert xp.validate(xp.loads(xp.dumps(exp))) == exp


def assert_runs_to_the_end(exp: Experiment) -> None:
    engine = Engine(exp)
    history = engine.run_to_end()
    assert engine.done and engine.step == exp.steps
    for record in history.runs:
        rows = record.array()
        assert record.status in FINAL_STATUSES, (record.status, record.message)
        assert np.all(np.isfinite(rows)), rows
        np.testing.assert_array_equal(rows[:, 0], np.arange(len(rows)))
        if record.status == "done":
            assert len(rows) == exp.steps + 1
        else:
            assert len(rows) <= exp.steps + 1 and record.message
