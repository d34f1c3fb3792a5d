"""Measurements without a window: the engine against a bare torch loop, and the memory the
window's data path keeps per step. No Qt here (the memory path uses `gui.live`, which is
plain numpy).
"""
from __future__ import annotations

import os
import time

import numpy as np
import torch

from ..core.engine import Batch, Engine, RunRows
from ..core.experiment import Experiment, Problem, Run
from ..core.optimizers import build_optimizer, get_optimizer
from ..core.surfaces import get_surface

# The eight races of the benchmark: settings that neither diverge nor converge exactly on
# Rosenbrock within a few hundred thousand steps, so every run steps to the end.
RACE = (
    ("SGD", "sgd", {"lr": 1e-4}),
    ("Momentum", "momentum", {"lr": 1e-4, "momentum": 0.9}),
    ("Nesterov", "nesterov", {"lr": 1e-4, "momentum": 0.9}),
    ("RMSprop", "rmsprop", {"lr": 1e-3}),
    ("Adagrad", "adagrad", {"lr": 0.05}),
    ("Adam", "adam", {"lr": 1e-4}),
    ("AdamW", "adamw", {"lr": 1e-3}),
    ("RAdam", "radam", {"lr": 1e-4}),
)
START = (-1.5, 2.0)


def race(runs: int, steps: int) -> Experiment:
    """`runs` runs on Rosenbrock, cycling through RACE (16 runs: each optimizer twice)."""
    chosen = []
    for i in range(runs):
        name, optimizer, hyper = RACE[i % len(RACE)]
        label = name if i < len(RACE) else f"{name} #{i // len(RACE) + 1}"
        chosen.append(Run(label, optimizer, dict(hyper)))
    return Experiment(name="benchmark", problem=Problem(surface="rosenbrock", start=START),
                      runs=chosen, steps=steps, device="cpu")


def rss_bytes() -> int:
    """Resident memory of this process (Linux /proc; 0 where there is none)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


# ---------------------------------------------------------------- engine vs a bare loop

def engine_ratio(steps: int, rounds: int = 10) -> dict:
    """Bare-loop time / engine time for the same updates of the eight RACE runs.

    The two alternate in `rounds` slices, so a load change on the machine hits both alike.
    The bare loop is what a user would write: zero_grad, f(p), backward, step.
    """
    torch.set_num_threads(1)  # as in the window: tiny tensors, no intra-op threads
    engine = Engine(race(len(RACE), steps), keep_history=False)
    bare = [_bare_run(optimizer, hyper) for _, optimizer, hyper in RACE]
    surface = get_surface("rosenbrock")
    params = surface.validate({})
    _bare_steps(bare, surface, params, 20)  # warm both paths up (first-step state, caches)
    warm = Engine(race(len(RACE), 20), keep_history=False)
    warm.advance(20)
    bare_s = engine_s = 0.0
    per_round = -(-steps // rounds)
    rss_before = rss_bytes()
    done = 0
    while done < steps:
        n = min(per_round, steps - done)
        t0 = time.perf_counter()
        _bare_steps(bare, surface, params, n)
        t1 = time.perf_counter()
        engine.advance(n)
        t2 = time.perf_counter()
        bare_s, engine_s, done = bare_s + t1 - t0, engine_s + t2 - t1, done + n
    stopped = [s.config.name for s in engine.runs if s.status != "done"]
    if stopped:
        raise RuntimeError(f"benchmark runs stopped early: {', '.join(stopped)}")
    return {"engine_ratio": bare_s / engine_s,
            "engine_s": engine_s, "bare_s": bare_s,
            "engine_us_per_step": engine_s / (steps * len(RACE)) * 1e6,
            "bare_us_per_step": bare_s / (steps * len(RACE)) * 1e6,
            "headless_steps_per_s": steps / engine_s,  # per run, eight runs in lockstep
            "engine_rss_growth_mb": (rss_bytes() - rss_before) / 2**20}


def _bare_run(optimizer: str, hyper: dict):
    point = torch.tensor(START, dtype=torch.float64, requires_grad=True)
    return point, build_optimizer(get_optimizer(optimizer), [point], hyper)


def _bare_steps(bare, surface, params, n: int) -> None:
    fn = surface.fn
    for point, optimizer in bare:
        for _ in range(n):
            optimizer.zero_grad()
            fn(point, params).backward()
            optimizer.step()


# ---------------------------------------------------------------- the batched engine

BATCH_SIZES = (1, 8, 1024, 65536)


def batched_rates(seconds: float) -> dict:
    """Run-steps per second of Adam on Rosenbrock as N rows of one BatchedRace (N in
    BATCH_SIZES), and `batched_speedup`: the rate at 65,536 rows over the per-run engine's
    racing the eight RACE runs, both in this process on one thread (as the window, `basin`
    and `sweep` run: on a busy 2-core machine a second intra-op thread made the rows ten
    times slower). The per-run engine is timed before and after the rows, so a change of
    load on the machine hits both."""
    from ..core.batched.race import BatchedRace
    from ..core.experiment import validate_run

    torch.set_num_threads(1)
    per_run = Engine(race(len(RACE), 10**8), keep_history=False, batched=False)
    per_run.advance(20)

    def engine_rate() -> float:
        return _rate(lambda: per_run.advance(10), 10 * len(RACE), seconds / 4)

    before = engine_rate()
    adam = validate_run(Run("adam", "adam", {"lr": 1e-4}), "adam")
    rates = {}
    for n in BATCH_SIZES:
        rows = BatchedRace(get_surface("rosenbrock"), {}, [adam] * n, [START] * n, 10**8, 0)
        rows.advance(3)
        rates[str(n)] = _rate(lambda: rows.advance(1), n, seconds / 4)
    engine = (before + engine_rate()) / 2
    return {"batched_run_steps_per_s": rates, "per_run_engine_run_steps_per_s": engine,
            "batched_speedup": rates[str(BATCH_SIZES[-1])] / engine}


def _rate(work, run_steps: int, seconds: float) -> float:
    """Run-steps per second of repeating `work` (run_steps each) for about `seconds`."""
    done, start = 0, time.perf_counter()
    while True:
        work()
        done += run_steps
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return done / elapsed


# ---------------------------------------------------------------- memory of the data path

def feed(live, generation: int, experiment: Experiment, steps: int, real_steps: int = 2000,
         rows_per_batch: int = 1000) -> None:
    """Fill the window's LiveRuns with `steps` steps of every run, as the worker does:
    batches of rows from an engine with keep_history=False. The first `real_steps` come
    from a real engine (a million real steps of eight runs would take many minutes); the
    rest repeat its last batch's losses, LRs and gradient norms while each point crawls on
    towards the surface's minimum, as a long race does. What memory keeps depends only on
    the number of rows."""
    engine = Engine(experiment, keep_history=False)
    last = None
    while engine.step < min(real_steps, steps) and not engine.done:
        last = engine.advance(min(rows_per_batch, real_steps - engine.step, steps - engine.step))
        live.add_batch(generation, last)
    step = start = engine.step
    minima = engine.surface.minima_for(engine.surface_params) if engine.surface else ()
    while step < steps:
        n = min(rows_per_batch, steps - step, len(last.runs[0].rows))
        done = (np.arange(step, step + n) - start + 1) / max(1, steps - start)
        runs = []
        for part in last.runs:
            rows = part.rows[:n].copy()
            rows[:, 0] = np.arange(step, step + n)
            here = part.rows[-1, 1:3]
            there = np.asarray(minima[0]) if minima else here
            rows[:, 1:3] = here + np.outer(done, there - here)
            runs.append(RunRows(part.index, rows, "running"))
        step += n
        live.add_batch(generation, Batch(step=step, runs=runs, done=step >= steps))


MEASUREMENTS = {
    "engine": lambda quick: engine_ratio(400 if quick else 20_000, 4 if quick else 10),
    "batched": lambda quick: batched_rates(0.5 if quick else 4.0),
}

