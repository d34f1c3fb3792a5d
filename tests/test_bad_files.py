"""A bad experiment file is one ConfigError that names the line or the key: syntax errors,
unknown keys, wrong types, missing fields, a newer format, a file that cannot be read."""
import pytest

from optplayground.core import experiment as xp
from optplayground.core.experiment import Experiment
from optplayground.core.params import ConfigError


def read(text: str) -> Experiment:
    return xp.validate(xp.loads(text))


def file_refusal(text: str) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        read(text)
    return info.value


RUN = "[[runs]]\nname = 'a'\noptimizer = 'adam'\n"


@pytest.mark.parametrize("text, line", [
    ("steps = 10\nseed = = 1\n", 2),
    ("steps = 10\n[problem\nsurface = 'booth'\n", 2),
    (RUN + "[runs.hyper]\nlr = 0.1\nlr = 0.2\n", 6),
    ("name = 'unterminated\n", 1),
    ("steps = 10\n\n\nbetas = [0.9, \n", 4),
])
def test_toml_syntax_errors_give_the_line(text, line):
    error = file_refusal(text)
    assert error.field == "file" and "not valid TOML" in error.message
    assert f"line {line}" in error.message, error


@pytest.mark.parametrize("text, field", [
    ("colour = 'red'\n" + RUN, "colour"),
    ("[problem]\nsurfce = 'booth'\n" + RUN, "problem.surfce"),
    (RUN + "optimiser = 'sgd'\n", "runs[0].optimiser"),
    (RUN + "[runs.clip]\nmod = 'norm'\n", "runs[0].clip.mod"),
    (RUN + "[runs.hyper]\nzeta = 1\n", "runs[0].hyper.zeta"),
    (RUN + "[[runs.schedule]]\nname = 'step'\ngama = 0.5\n", "runs[0].schedule[0].gama"),
    (RUN + "[runs.lookahead]\nkk = 3\n", "runs[0].lookahead.kk"),
    (RUN + "[runs.switch]\nat = 5\noptimizer = 'sgd'\nwhen = 3\n", "runs[0].switch.when"),
])
def test_unknown_keys_are_named(text, field):
    error = file_refusal(text)
    assert error.field == field and "unknown" in error.message, error


@pytest.mark.parametrize("text, field", [
    ('steps = "ten"\n' + RUN, "steps"),
    ("steps = 1.5\n" + RUN, "steps"),
    ("seed = true\n" + RUN, "seed"),
    ("runs = 3\n", "runs"),
    ("runs = [1, 2]\n", "runs[0]"),
    ("problem = 3\n" + RUN, "problem"),
    ('[problem]\nstart = "a"\n' + RUN, "problem.start"),
    ('[problem]\nstart = "12"\n' + RUN, "problem.start"),
    ("[problem]\nstart = [true, false]\n" + RUN, "problem.start"),
    ("[problem]\nstart = [1979-05-27, 1]\n" + RUN, "problem.start"),
    ("[problem]\nsurface = 3\n" + RUN, "problem.surface"),
    ("[problem]\nparams = 3\n" + RUN, "problem.params"),
    ("[problem]\nsurface = 'formula'\nformula = 'x'\nbounds = 'box'\n" + RUN, "problem.bounds"),
    ("[problem]\nsurface = 'formula'\nformula = 'x'\nbounds = [[1, -1], [0, 1]]\n" + RUN,
     "problem.bounds[0]"),
    ("[problem.params]\nb = 'steep'\n" + RUN, "problem.params.b"),
    (RUN + "[runs.hyper]\nlr = \"fast\"\n", "runs[0].hyper.lr"),
    (RUN + "[runs.hyper]\nbetas = 0.9\n", "runs[0].hyper.betas"),
    (RUN + "[runs.hyper]\nbetas = [0.9, [0.99]]\n", "runs[0].hyper.betas"),
    (RUN + "[runs.hyper]\nlr = 1979-05-27\n", "runs[0].hyper.lr"),
    (RUN + "[runs.hyper]\namsgrad = 'sometimes'\n", "runs[0].hyper.amsgrad"),
    (RUN + "hyper = 3\n", "runs[0].hyper"),
    (RUN + "enabled = 'no'\n", "runs[0].enabled"),
    (RUN + "color = 3\n", "runs[0].color"),
    (RUN + "schedule = 'cosine'\n", "runs[0].schedule"),
    (RUN + "schedule = [3]\n", "runs[0].schedule[0]"),
    (RUN + "[[runs.schedule]]\nname = 3\n", "runs[0].schedule[0]"),
    (RUN + "[[runs.schedule]]\nname = 'step'\nsteps = 'x'\n", "runs[0].schedule[0].steps"),
    (RUN + "[[runs.schedule]]\nname = 'multistep'\nmilestones = {a = 1}\n",
     "runs[0].schedule[0].milestones"),
    (RUN + "[runs.clip]\nmode = 3\n", "runs[0].clip.mode"),
    (RUN + "[runs.clip]\nmax_norm = 'big'\n", "runs[0].clip.max_norm"),
    (RUN + "lookahead = 5\n", "runs[0].lookahead"),
    (RUN + "[runs.lookahead]\nk = 2.5\n", "runs[0].lookahead.k"),
    (RUN + "switch = 5\n", "runs[0].switch"),
    (RUN + "[runs.switch]\nat = 'x'\noptimizer = 'sgd'\n", "runs[0].switch.at"),
    (RUN + "[runs.switch]\nat = 5\noptimizer = 3\n", "runs[0].switch.optimizer"),
    ("format = '1'\n" + RUN, "format"),
])
def test_wrong_types_are_named(text, field):
    assert file_refusal(text).field == field


@pytest.mark.parametrize("text, field", [
    ("[[runs]]\noptimizer = 'adam'\n", "runs[0].name"),
    ("steps = 10\n", "runs"),
    (RUN + "[runs.switch]\nat = 5\n", "runs[0].switch"),
])
def test_missing_fields_are_named(text, field):
    assert file_refusal(text).field == field


def test_a_newer_format_says_so():
    error = file_refusal(f"format = {xp.FORMAT_VERSION + 1}\n" + RUN)
    assert error.field == "format" and "newer" in error.message and "update" in error.message


def test_files_that_cannot_be_read(tmp_path):
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"name = '\xff\xfe'\n")
    for path, words in ((binary, "not UTF-8"), (tmp_path / "missing.toml", "cannot read")):
        with pytest.raises(ConfigError) as info:
            xp.load(str(path))
        assert info.value.field == "file" and words in info.value.message


def test_a_valid_file_still_reads():
    exp = read(RUN + "[runs.hyper]\nlr = 0.01\nbetas = [0.9, 0.99]\n[problem]\nstart = [1, 2]\n")
    assert exp.runs[0].hyper["betas"] == (0.9, 0.99) and exp.problem.start == (1.0, 2.0)
