"""The TOML writer escapes what TOML forbids raw: every text a person can type survives a save."""
import sys
import tomllib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optplayground.core import experiment as xp
from optplayground.core.experiment import Experiment, Run
from optplayground.core.params import ConfigError

SCALARS = [c for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF]


def _experiment(text: str) -> Experiment:
    """`text` wherever the file holds free text: names, description, a formula, a table key."""
    exp = xp.default_experiment()
    exp.name = text
    exp.description = text + "\n" + text
    exp.problem.formula = text
    exp.runs = [Run(text, "adam", {text: 0.5, "lr": 0.01}, color=text)]
    return exp


def _round_trips(text: str) -> None:
    exp = _experiment(text)
    saved = xp.dumps(exp)
    assert xp.loads(saved) == exp
    assert tomllib.loads(saved)["name"] == text


@pytest.mark.parametrize("char", [chr(c) for c in (*range(0x20), 0x7F, *range(0x80, 0xA0))],
                         ids=lambda ch: f"U+{ord(ch):04X}")
def test_every_control_character_is_escaped_and_round_trips(char):
    saved = xp.dumps(_experiment(f"a{char}b"))
    assert char not in saved.replace("\n", "")  # the file holds the escape, never the raw char
    _round_trips(f"a{char}b")


@pytest.mark.parametrize("text", ['"', "\\", '\\"', '"""', "'''", "\\u0041", "#", "[x]", "a = 1",
                                  "", " ", "\u2028\u2029", "\ufeff", "\U0001F600", "\uffff",
                                  chr(sys.maxunicode)])
def test_quotes_backslashes_and_edge_characters_round_trip(text):
    _round_trips(text)


def test_every_unicode_scalar_value_round_trips():
    chunk = 32_768  # the file holds the text six times (and escapes): under the 1 MiB limit
    for start in range(0, len(SCALARS), chunk):
        _round_trips("".join(map(chr, SCALARS[start:start + chunk])))


def test_a_name_with_delete_can_be_saved_and_reopened(tmp_path):
    exp = _experiment("Adam\x7f")
    path = tmp_path / "race.toml"
    xp.save(exp, str(path))
    assert xp.load(str(path)) == exp


@given(st.text())  # every category but surrogates, controls included
@settings(max_examples=300, deadline=None)
def test_any_text_round_trips(text):
    _round_trips(text)


def test_a_lone_surrogate_is_bad_input_not_a_broken_file():
    with pytest.raises(ConfigError, match="not valid Unicode"):
        xp.dumps(_experiment("bad \udcff byte"))
