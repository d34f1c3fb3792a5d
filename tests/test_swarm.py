"""Swarms (core/swarm.py): what the window's basin map and sweep show, and the presets whose
CSV is a basin's or a sweep's."""
import numpy as np

from optplayground import cli
from optplayground.core import experiment as xp
from optplayground.core.batched.race import BatchedRace
from optplayground.core.swarm import BasinJob, Swarm, SweepAxis, SweepJob, grid_starts


def _experiment(surface="himmelblau", steps=60, **hyper):
    return xp.validate(xp.Experiment(problem=xp.Problem(surface=surface),
                                     runs=[xp.Run("a", "adam", hyper or {"lr": 0.1})], steps=steps))


def test_basin_frame_marks_the_first_step_under_the_threshold_as_the_paths_say():
    exp = _experiment()
    job = BasinJob(exp, 0, 4, threshold=1.0)
    swarm = Swarm(job)
    while not swarm.done:
        swarm.advance(7)  # chunks that do not divide the steps
    frame = swarm.frame()
    from optplayground.core.surfaces import get_surface

    starts = grid_starts(get_surface("himmelblau").bounds, 4)
    race = BatchedRace(get_surface("himmelblau"), {}, [exp.runs[0]] * 16, starts, 60, 0,
                       paths=range(16)).run_to_end()
    paths = race.take_paths()
    for row in range(16):
        below = np.flatnonzero(paths[row][:, 3] <= 1.0)
        assert frame.reached[row] == (int(paths[row][below[0], 0]) if len(below) else -1)
        assert frame.x[row] == paths[row][-1, 1] and frame.loss[row] == paths[row][-1, 3]
    assert {0, 1, 2, 3} <= set(frame.minimum.tolist())  # all four of Himmelblau's, from 16 starts


def test_sweep_frame_rows_are_the_cells_in_order():
    exp = _experiment("rosenbrock", 40, lr=0.01)
    axes = (SweepAxis("lr", 1e-3, 1e-1, 3, log=True), SweepAxis("eps", 1e-8, 1e-6, 2))
    swarm = Swarm(SweepJob(exp, 0, axes))
    swarm.advance(100)
    frame = swarm.frame()
    assert frame.done and frame.meta["cells"][3] == (0.01, 1e-6)
    assert np.allclose(frame.meta["cells"][2], (0.01, 1e-8))
    assert frame.meta["current"] == (0.01, 1e-8)


def test_sweep_preset_csv_is_the_sweep_commands(tmp_path):
    ours, theirs = tmp_path / "preset.csv", tmp_path / "sweep.csv"
    assert cli.main(["run", "--preset", "lr_momentum_sweep", "--steps", "30", "--quiet",
                     "--csv", str(ours)]) == 0
    assert cli.main(["sweep", "--surface", "rosenbrock", "--start", "-1.5,2",
                     "--opt", "sgd:lr=0.001,momentum=0.9", "--vary", "lr=1e-5..1e-2:log:40",
                     "--vary", "momentum=0..0.99:40", "--steps", "30", "--quiet",
                     "--csv", str(theirs)]) == 0
    assert ours.read_bytes() == theirs.read_bytes()


def test_basin_preset_csv_is_one_basin_per_run(tmp_path):
    ours, theirs = tmp_path / "preset.csv", tmp_path / "basin.csv"
    assert cli.main(["run", "--preset", "basins_himmelblau", "--steps", "20", "--quiet",
                     "--csv", str(ours)]) == 0
    lines = ours.read_text().splitlines()
    assert lines[0] == "run,start_x,start_y,step,x,y,loss,status,minimum,best_loss"
    assert cli.main(["basin", "--surface", "himmelblau", "--opt", "adam:lr=0.05", "--grid", "64",
                     "--steps", "20", "--quiet", "--csv", str(theirs)]) == 0
    adam = [line.split(",", 1)[1] for line in lines[1:] if line.startswith("Adam,")]
    assert adam == theirs.read_text().splitlines()[1:]
    assert len(lines) == 1 + 3 * 64 * 64
