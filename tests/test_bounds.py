"""Memory stays bounded on long runs: the cap keeps rows exactly, the tail decimates."""
import numpy as np

from optplayground.core.engine import Engine
from optplayground.core.experiment import Experiment, Problem, Run
from optplayground.core.history import COLUMNS, History


def test_a_million_step_soak_keeps_memory_within_the_cap():
    cap = 10_000
    history = History(["a", "b"], ["sgd", "adam"], cap, expected_rows=1_000_001)
    sizes = []
    chunk = np.ones((5000, len(COLUMNS)))
    for start in range(0, 1_000_000, 5000):
        chunk[:, 0] = np.arange(start, start + 5000)
        for record in history.runs:
            record.append(chunk)
        if start % 200_000 == 0:
            sizes.append(sum(r.nbytes() for r in history.runs))
    bound = 2 * (cap + max(1024, cap // 4)) * len(COLUMNS) * 8
    assert max(sizes) <= bound and sum(r.nbytes() for r in history.runs) <= bound
    steps = history[0].column("step")
    np.testing.assert_array_equal(steps[:cap], np.arange(cap))
    assert steps[-1] == 999_999  # the tail ends with the newest row
    assert history[0].rows_seen == 1_000_000


def test_an_engine_past_its_cap_writes_the_exact_rows_then_a_thinned_tail():
    exp = Experiment(problem=Problem(surface="quadratic", start=(2.0, -1.0)),
                     runs=[Run("sgd", "sgd", {"lr": 1e-4})], steps=3000, history_cap=500)
    exact = Engine(Experiment(problem=exp.problem, runs=exp.runs, steps=3000)).run_to_end()[0]
    capped = Engine(exp).run_to_end()[0]
    rows = capped.array()
    np.testing.assert_array_equal(rows[:500], exact.array()[:500])
    tail_steps = rows[500:, 0].astype(int)
    np.testing.assert_array_equal(rows[500:], exact.array()[tail_steps])  # real rows, thinned
    assert len(rows) < 1600 and tail_steps[-1] == 3000  # the final row always shows
