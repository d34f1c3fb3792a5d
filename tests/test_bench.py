"""`optplayground bench --quick --json`: the command works and reports every figure.

No test here asserts a time: speed depends on the machine (the table says which goals are
met), but every figure must be there and be a number.
"""
import json
import math
import os
import subprocess
import sys

from optplayground.bench import GOALS

KEYS = ("engine_ratio", "ui_frame_p50_ms", "ui_frame_p99_ms", "ui_frame_max_ms",
        "ui_map_frame_p99_ms", "ui_step_plot_frame_p50_ms", "ui_step_plot_frame_p99_ms",
        "bytes_per_run_step", "redraw_ms", "startup_ratio", "gui_steps_ratio",
        "headless_steps_per_s", "batched_speedup", "per_run_engine_run_steps_per_s",
        "whatif_ms", "swarm_updates_per_s")


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def test_quick_bench_writes_every_figure(tmp_path):
    out = tmp_path / "bench.json"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, "-m", "optplayground", "bench", "--quick",
                           "--json", str(out)], capture_output=True, text=True, env=env,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    figures = json.loads(out.read_text())
    for key in KEYS:
        assert is_number(figures[key]), (key, figures.get(key))
    rates = figures["gui_steps_per_s"]
    assert sorted(rates, key=int) == ["1", "4", "8", "16"]
    assert all(is_number(v) and v > 0 for v in rates.values()), rates
    assert figures["gui_steps_ratio"] == rates["8"] / figures["headless_steps_per_s"]
    assert figures["quick"] is True
    batched = figures["batched_run_steps_per_s"]
    assert sorted(batched, key=int) == ["1", "8", "1024", "65536"]
    assert all(is_number(v) and v > 0 for v in batched.values()), batched
    assert figures["batched_speedup"] == batched["65536"] / figures["per_run_engine_run_steps_per_s"]
    # The table shows every goal's figure, as the JSON has it.
    for goal in GOALS:
        line = next(l for l in done.stdout.splitlines() if l.startswith(goal.key + " "))
        assert line.split()[0] == goal.key
    assert "steps/s per run in the window" in done.stdout
