import pytest

from optplayground.core import experiment as xp
from optplayground.core.experiment import Clip, Experiment, Problem, Run, Switch
from optplayground.core.params import ConfigError
from optplayground.core.schedules import Stage


def rich_experiment() -> Experiment:
    return Experiment(
        name="everything \"quoted\" ünïcode",
        description="line one\nline two",
        problem=Problem(surface="formula", formula="sin(x)*y**2 + 0.1*x**2", start=(-1.25, 2.5),
                        bounds=((-3.0, 3.0), (-2.0, 4.0))),
        runs=[
            Run("Adam", "adam", {"lr": 0.1 / 3, "betas": (0.9, 0.99)}, color="#123abc",
                schedule=[Stage("linear", {"start_factor": 0.1, "total_iters": 10}, steps=10),
                          Stage("cosine", {"T_max": 90})],
                clip=Clip(mode="norm", max_norm=0.5, norm_type=2.0)),
            Run("SGD+LA", "sgd", {"lr": 1e-3}, lookahead={"k": 5, "alpha": 0.5}, enabled=False),
            Run("Adam then SGD", "adam", switch=Switch(at=50, optimizer="sgd", hyper={"lr": 0.01})),
        ],
        steps=100, seed=7, device="cpu", history_cap=5000,
    )


def test_toml_round_trips_exactly():
    exp = rich_experiment()
    text = xp.dumps(exp)
    back = xp.loads(text)
    assert back == exp
    assert xp.dumps(back) == text
    checked = xp.validate(exp)  # defaults filled in: still round-trips
    assert xp.loads(xp.dumps(checked)) == checked


def test_save_and_load_a_file(tmp_path):
    exp = xp.validate(xp.default_experiment())
    path = tmp_path / "race.toml"
    xp.save(exp, str(path))
    assert xp.load(str(path)) == exp


@pytest.mark.parametrize("text, field", [
    ("steps = [", "file"),
    ("format = 99\n", "format"),
    ("colour = 3\n", "colour"),
    ("[problem]\nsurfce = 'x'\n", "problem.surfce"),
    ("[[runs]]\noptimizer = 'adam'\n", "runs[0].name"),
    ("[[runs]]\nname = 'a'\nhyper = 3\n", "runs[0].hyper"),
    ("[[runs]]\nname = 'a'\n[runs.clip]\nmod = 'norm'\n", "runs[0].clip.mod"),
    ("[problem]\nstart = [1]\n", "problem.start"),
    ("[problem]\ndataset = 'spiral'\n[problem.params]\nn_classes = 3\n", "problem.params"),
    ("[problem]\nsurface = 'booth'\n[problem.model]\nkind = 'mlp'\n", "problem.model"),
])
def test_malformed_files_name_the_field(text, field):
    with pytest.raises(ConfigError) as info:
        xp.loads(text)
    assert info.value.field == field


@pytest.mark.parametrize("edit, field", [
    (lambda e: setattr(e, "steps", 0), "steps"),
    (lambda e: setattr(e, "device", "tpu"), "device"),
    (lambda e: setattr(e.problem, "surface", "nope"), "problem.surface"),
    (lambda e: e.problem.params.update(b=-1e400), "problem.params.b"),
    (lambda e: setattr(e, "runs", []), "runs"),
    (lambda e: e.runs[1].hyper.update(lr=-1), "runs[1].hyper.lr"),
    (lambda e: e.runs[0].hyper.update(betas=(0.9, 1.5)), "runs[0].hyper.betas"),
    (lambda e: setattr(e.runs[2], "optimizer", "nosuch"), "runs[2].optimizer"),
    (lambda e: setattr(e.runs[0].clip, "mode", "sometimes"), "runs[0].clip.mode"),
    (lambda e: setattr(e.runs[0], "color", "red"), "runs[0].color"),
    (lambda e: setattr(e.runs[1], "name", "Adam"), "runs"),
    (lambda e: setattr(e.runs[0], "lookahead", {"k": 0}), "runs[0].lookahead.k"),
])
def test_validation_names_the_field(edit, field):
    exp = Experiment(runs=[Run("Adam", "adam"), Run("SGD", "sgd"), Run("RMS", "rmsprop")])
    edit(exp)
    with pytest.raises(ConfigError) as info:
        xp.validate(exp)
    assert info.value.field.startswith(field), info.value


def test_validation_fills_defaults_and_keeps_the_original():
    exp = Experiment(runs=[Run("Adam", "adam", {"lr": "0.01"})])
    checked = xp.validate(exp)
    assert checked.runs[0].hyper["lr"] == 0.01 and checked.runs[0].hyper["betas"] == (0.9, 0.999)
    assert exp.runs[0].hyper == {"lr": "0.01"}
