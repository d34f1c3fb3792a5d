"""core/race_model.py: the window's race without Qt — every edit classified once, the
subscribers told what changed, runs keep their ids."""
import copy

import pytest

from optplayground.core.experiment import Experiment, Problem, Run
from optplayground.core.params import ConfigError
from optplayground.core.race_model import RaceModel


def recorded(model):
    events = []
    model.restarted.connect(lambda exp, gen: events.append(("restarted", gen)))
    model.run_edited.connect(lambda index, run: events.append(("run_edited", index, run.hyper["lr"])))
    model.restyled.connect(lambda exp: events.append(("restyled", [r.name for r in exp.runs])))
    model.refused.connect(lambda message: events.append(("refused", message)))
    return events


def three_runs():
    return Experiment(problem=Problem(start=(-1.5, 2.0)), steps=20, runs=[
        Run("A", "adam", {"lr": 0.01}), Run("B", "sgd", {"lr": 1e-3}, enabled=False),
        Run("C", "momentum", {"lr": 1e-3})])


def test_loading_races_a_validated_copy_and_counts_generations():
    model = RaceModel(three_runs())
    events = recorded(model)
    model.load(three_runs())
    model.set_seed(3)
    assert events == [("restarted", 1), ("restarted", 2)] and model.experiment.seed == 3
    with pytest.raises(ConfigError):
        model.load(Experiment(runs=[Run("x", "nope")]))
    assert model.generation == 2


def test_a_live_edit_goes_to_the_engine_by_racing_index_and_restyles():
    model = RaceModel(three_runs())
    model.load(three_runs())
    events = recorded(model)
    runs = copy.deepcopy(model.experiment.runs)
    runs[2].hyper["lr"] = 0.5
    runs[0].name = "Renamed"
    ids = list(model.run_ids)
    model.set_runs(runs)
    assert events == [("run_edited", 1, 0.5), ("restyled", ["Renamed", "B", "C"])]
    assert model.run_ids == ids and model.generation == 1


def test_structural_edits_restart_and_runs_keep_their_ids():
    model = RaceModel(three_runs())
    model.load(three_runs())
    events = recorded(model)
    ids = list(model.run_ids)
    runs = copy.deepcopy(model.experiment.runs)
    del runs[1]
    model.set_runs(runs)
    assert events == [("restarted", 2)]
    assert model.run_ids == [ids[0], ids[2]]
    model.set_runs(runs + [Run("D", "adam", {"lr": 0.1})])
    assert model.run_ids[:2] == [ids[0], ids[2]] and model.run_ids[2] not in ids


def test_an_experiment_that_cannot_race_is_kept_and_refused():
    model = RaceModel(three_runs())
    model.load(three_runs())
    events = recorded(model)
    model.set_problem(Problem(surface="formula", formula="x +"))
    assert events[0][0] == "refused" and "formula" in events[0][1]
    assert model.generation == 1 and model.experiment.problem.formula == "x +"


def test_a_value_edited_after_the_race_ended_races_it_again():
    """A live edit of a finished race would apply at no step: the race is raced again with
    it (a rename is still only a restyle); an older race's end is no end of this one."""
    model = RaceModel(three_runs())
    model.load(three_runs())
    events = recorded(model)
    edited = copy.deepcopy(model.experiment.runs)
    edited[2].hyper["lr"] = 0.002
    model.race_over(0)  # an older generation's end
    model.set_runs(copy.deepcopy(edited))
    assert events == [("run_edited", 1, 0.002), ("restyled", ["A", "B", "C"])]
    model.race_over(1)
    assert model.over
    renamed = copy.deepcopy(edited)
    renamed[0].name = "Adam"
    model.set_runs(renamed)
    edited = copy.deepcopy(renamed)
    edited[2].hyper["lr"] = 0.003
    model.set_runs(edited)
    assert events[2:] == [("restyled", ["Adam", "B", "C"]), ("restarted", 2)]
    assert not model.over and model.experiment.runs[2].hyper["lr"] == 0.003
