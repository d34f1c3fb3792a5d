"""Property tests: experiment files of any text (a valid file cut, spliced or given odd
values; random TOML lines; random text) load, or raise a ConfigError, and nothing else;
what loads and validates saves, reads back and runs to its end."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from optplayground.core import experiment as xp
from optplayground.core.experiment import Clip, Experiment, Problem, Run
from optplayground.core.params import ConfigError
from optplayground.core.schedules import Stage
from fuzz_checks import FUZZ, assert_runs_to_the_end, assert_saves_and_reads_back

pytestmark = pytest.mark.usefixtures("warm_torch")


def _mutate(text: str, data) -> str:
    """A few random edits of a valid file: cut, insert, replace a value, duplicate a line."""
    for _ in range(data.draw(st.integers(1, 3))):
        lines = text.split("\n")
        kind = data.draw(st.sampled_from(["cut", "insert", "value", "line", "swap"]))
        at = data.draw(st.integers(0, len(text)))
        if kind == "cut":
            text = text[:at] + text[at + data.draw(st.integers(1, 20)):]
        elif kind == "insert":
            text = text[:at] + data.draw(st.text(max_size=10)) + text[at:]
        elif kind == "value":
            assignments = [i for i, line in enumerate(lines) if " = " in line]
            i = data.draw(st.sampled_from(assignments))
            key = lines[i].split(" = ")[0]
            lines[i] = f"{key} = {data.draw(TOML_VALUES)}"
            text = "\n".join(lines)
        elif kind == "line":
            i = data.draw(st.integers(0, len(lines) - 1))
            text = "\n".join(lines[:i + 1] + [data.draw(TOML_LINES)] + lines[i + 1:])
        else:
            line = st.integers(0, len(lines) - 1)
            i, j = data.draw(line), data.draw(line)
            lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
    return text


TOML_SCALARS = st.sampled_from([
    '"ten"', '""', "3", "-1", "0", "9223372036854775807", "2.5", "1e308", "nan", "inf", "-inf",
    "true", "false", "1979-05-27", "1979-05-27T07:32:00Z", "07:32:00", '"0.9, 0.99"', '"nan"',
    '"1e999"', '"adam"', '"formula"', '"#00ff00"', "'sin(x)'", '"norm"', '"cuda"'])
TOML_VALUES = st.recursive(TOML_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3).map(lambda v: "[" + ", ".join(v) + "]"),
    st.lists(st.tuples(st.sampled_from(["a", "lr", "name", "k", "steps"]), inner), max_size=2,
             unique_by=lambda t: t[0]).map(
        lambda kv: "{" + ", ".join(f"{k} = {v}" for k, v in kv) + "}")), max_leaves=4)
KEYS = st.sampled_from(["name", "steps", "seed", "device", "history_cap", "format", "surface",
                        "formula", "start", "bounds", "params", "optimizer", "hyper", "clip",
                        "schedule", "lookahead", "color", "enabled", "lr", "betas", "mode",
                        "max_norm", "k", "alpha", "runs", "problem", "colour"])
TOML_LINES = st.one_of(
    st.tuples(KEYS, TOML_VALUES).map(lambda kv: f"{kv[0]} = {kv[1]}"),
    st.sampled_from(["[problem]", "[[runs]]", "[runs.hyper]", "[runs.clip]", "[[runs.schedule]]",
                     "[runs.lookahead]", "[problem.params]", "[runs]", "[[problem]]", "[clip]"]))


def _valid_file() -> str:
    exp = Experiment(
        name="fuzz", problem=Problem(surface="rosenbrock", params={"b": 50.0}, start=(-1.5, 2.0)),
        runs=[Run("Adam", "adam", {"lr": 0.01, "betas": (0.9, 0.99)}, color="#123abc",
                  schedule=[Stage("linear", {"start_factor": 0.5}, steps=5),
                            Stage("multistep", {"milestones": "3,6", "gamma": 0.5})],
                  clip=Clip(mode="norm", max_norm=5.0)),
              Run("SGD", "sgd", {"lr": 1e-3, "momentum": 0.9}, lookahead={"k": 3, "alpha": 0.5},
                  schedule=[Stage("plateau", {"patience": 2})]),
              Run("Formula", "lbfgs", {"max_iter": 3}, enabled=False)],
        steps=12, seed=3, device="cpu")
    return xp.dumps(exp)


VALID_FILE = _valid_file()


@FUZZ
@given(st.data())
def test_a_mutated_file_loads_or_raises_config_error_only(data):
    text = _mutate(VALID_FILE, data)
    try:
        exp = xp.validate(xp.loads(text))
    except ConfigError as error:  # and no other exception
        assert error.message
        return
    assert_saves_and_reads_back(exp)
    if exp.steps <= 60:  # a mutation may ask for a long race; the short ones run here
        assert_runs_to_the_end(exp)


@FUZZ
@given(st.one_of(st.text(max_size=300), TOML_LINES.map(str), st.lists(TOML_LINES, max_size=8).map(
    "\n".join)))
def test_random_text_as_a_file_loads_or_raises_config_error_only(text):
    try:
        exp = xp.loads(text)
    except ConfigError as error:
        assert error.message
        return
    try:
        xp.validate(exp)
    except ConfigError as error:
        assert error.message
