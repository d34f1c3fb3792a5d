"""`optplayground bench`: how fast and how lean the app is on this machine.

Every measurement runs in a fresh process (the window ones offscreen), and the figures are
ratios or per-step costs where that makes them comparable across machines. Nothing here
fails on a slow machine: the table says which goals are met.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Callable

PYTHON = sys.executable
BARE_IMPORT = "import torch, PySide6.QtWidgets, pyqtgraph, time; print(time.monotonic())"


@dataclass(frozen=True)
class Goal:
    key: str
    what: str
    unit: str
    ok: Callable[[float], bool] | None  # None: reported only
    text: str = ""


GOALS = (
    Goal("engine_ratio", "bare torch loop time / engine time (8 runs)", "",
         lambda v: v >= 0.8, "≥ 0.8"),
    Goal("batched_speedup", "run-steps/s: 65,536 batched rows / the per-run engine's 8 runs",
         "", lambda v: v >= 1000, "≥ 1000"),
    Goal("ui_frame_p50_ms", "interval between the window's frames, median", "ms", None, ""),
    Goal("ui_frame_p99_ms", "interval between the window's frames, 99th percentile", "ms",
         lambda v: v <= 20, "≤ 20"),
    Goal("ui_frame_max_ms", "interval between the window's frames, longest", "ms",
         lambda v: v <= 50, "≤ 50"),
    Goal("ui_map_frame_p99_ms", "interval between repaints of the map, 99th percentile", "ms",
         None, ""),
    Goal("ui_step_plot_frame_p50_ms", "interval between repaints of a step plot, median", "ms",
         None, ""),
    Goal("gui_steps_ratio", "window / headless steps per second (8 runs)", "",
         lambda v: v >= 0.7, "≥ 0.7"),
    Goal("bytes_per_run_step", "memory kept per run and step", "B", lambda v: v <= 64, "≤ 64"),
    Goal("redraw_ms", "redraw every plot with the full history", "ms",
         lambda v: v <= 16, "≤ 16"),
    Goal("whatif_ms", "slider move -> what-if fan (4 runs × 500 steps) raced and drawn, median",
         "ms", lambda v: v <= 50, "≤ 50"),
    Goal("swarm_updates_per_s", "basin map updates drawn per second, 65,536 starts racing",
         "", lambda v: v >= 10, "≥ 10"),
    Goal("startup_ratio", "launch to first frame / bare imports", "",
         lambda v: v <= 1.5, "≤ 1.5"),
)


def child_env() -> dict:
    """Offscreen Qt and a throwaway settings folder: the user's saved window is not touched."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    env["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="optplayground-bench-")
    return env


def measure(module: str, names: list[str], quick: bool, timeout_s: float = 600) -> dict:
    """Run measurements in a fresh process; their JSON result (the last line it prints)."""
    args = [PYTHON, "-m", "optplayground.bench", module, *names] + (["--quick"] if quick else [])
    done = subprocess.run(args, capture_output=True, text=True, env=child_env(), timeout=timeout_s)
    if done.returncode != 0:
        raise RuntimeError(f"benchmark {' '.join(names)} failed:\n{done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def launch_time(args: list[str], key: str | None) -> float:
    """Seconds from launching a process to the time.monotonic() it reports."""
    start = time.monotonic()
    done = subprocess.run(args, capture_output=True, text=True, env=child_env(), timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{done.stderr.strip()[-2000:]}")
    last = done.stdout.strip().splitlines()[-1]
    return (json.loads(last)[key] if key else float(last)) - start


def startup(quick: bool) -> dict:
    """Launch to the window's first painted frame vs launch to the end of the bare imports
    (medians; the two alternate so a busy moment hits both)."""
    app_s, bare_s = [], []
    for _ in range(1 if quick else 3):
        bare_s.append(launch_time([PYTHON, "-c", BARE_IMPORT], None))
        app_s.append(launch_time([PYTHON, "-m", "optplayground.bench", "gui", "first-frame"],
                                 "first_frame_at"))
    app, bare = statistics.median(app_s), statistics.median(bare_s)
    return {"startup_ratio": app / bare, "startup_s": app, "bare_import_s": bare}


def run_bench(quick: bool = False, progress: Callable[[str], None] = lambda text: None) -> dict:
    """Every figure, by key."""
    results: dict = {"quick": quick}
    parts = [("engine against a bare torch loop", "core", ["engine"]),
             ("batched races of 1 to 65,536 rows", "core", ["batched"]),
             ("repaint intervals while 8 runs race", "gui", ["frames"]),
             ("steps per second in the window", "gui", ["rates"]),
             ("memory and redraw with a full history", "gui", ["memory"])]
    if quick:  # one process for all: each start-up costs seconds
        parts = [("everything, briefly", "gui", ["engine", "batched", "frames", "rates", "memory",
                                                 "swarm"])]
    else:
        parts.append(("the what-if fan and a 65,536-start basin map", "swarm", ["swarm"]))
    steps = [(title, lambda module=module, names=names: measure(module, names, quick))
             for title, module, names in parts]
    steps.append(("start-up", lambda: startup(quick)))
    for title, run in steps:
        progress(f"measuring {title} …")
        results.update(run())
    results["gui_steps_ratio"] = results["gui_steps_per_s"]["8"] / results["headless_steps_per_s"]
    return results


def table(results: dict) -> str:
    """The figures against their goals, then the steps per second for each run count."""
    width = max(len(goal.key) for goal in GOALS)
    lines = [f"{'figure':<{width}} {'value':>10}  {'goal':<7} {'':<6} what", "-" * (width + 80)]
    for goal in GOALS:
        value = results[goal.key]
        verdict = "" if goal.ok is None else ("ok" if goal.ok(value) else "MISSED")
        shown = f"{value:.3g}{goal.unit}" if goal.unit else f"{value:.3f}"
        lines.append(f"{goal.key:<{width}} {shown:>10}  {goal.text:<7} {verdict:<6} {goal.what}")
    per_run = ", ".join(f"{n} runs {v:,.0f}" for n, v in results["gui_steps_per_s"].items())
    lines.append(f"\nsteps/s per run in the window: {per_run}; headless (8 runs): "
                 f"{results['headless_steps_per_s']:,.0f}")
    batched = ", ".join(f"{int(n):,} rows {v:,.0f}"
                        for n, v in results["batched_run_steps_per_s"].items())
    lines.append(f"run-steps/s of batched Adam on Rosenbrock: {batched}; "
                 f"per-run engine (8 runs): {results['per_run_engine_run_steps_per_s']:,.0f}")
    lines.append(f"engine {results['engine_us_per_step']:.1f} µs per run-step, bare loop "
                 f"{results['bare_us_per_step']:.1f} µs; redraw: {results['redraw_prepare_ms']:.1f} ms "
                 f"of it preparing data; start-up {results['startup_s']:.2f} s, bare imports "
                 f"{results['bare_import_s']:.2f} s")
    if results.get("quick"):
        lines.append("(--quick: short runs, the figures are rough)")
    return "\n".join(lines)
