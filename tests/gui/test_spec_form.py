"""SpecForm, the form generated from typed params, driven like a user drives it: typing,
Return, sliders; what it emits and what it marks invalid."""
import pytest
from PySide6.QtCore import Qt

from optplayground.core.experiment import CLIP_PARAMS, LOOKAHEAD_PARAMS
from optplayground.core.optimizers import OPTIMIZERS
from optplayground.core.schedules import SCHEDULES
from optplayground.core.surfaces import SURFACES
from optplayground.gui.controls.spec_fields import SLIDER_STEPS
from optplayground.gui.controls.spec_form import SpecForm
from .drive import Recorder, make, type_into


ALL_SPECS = [*OPTIMIZERS.values(), *SCHEDULES.values(), *SURFACES.values()]


@pytest.mark.parametrize("spec", ALL_SPECS, ids=lambda s: s.name)
def test_form_for_every_spec_round_trips_the_defaults(qtbot, spec):
    form = make(qtbot, SpecForm.from_spec(spec))
    editors = {p.name: form.editor(p.name) for p in spec.params}
    assert len(set(map(id, editors.values()))) == len(spec.params)
    kinds = {"float": "QLineEdit", "floats": "QLineEdit", "str": "QLineEdit",
             "int": "QSpinBox", "bool": "QCheckBox", "choice": "QComboBox"}
    for p in spec.params:
        assert type(editors[p.name]).__name__ == kinds[p.kind], p.name
        assert p.name in editors[p.name].toolTip()
    assert form.values() == spec.validate({})
    assert form.errors() == {}


def test_clip_and_lookahead_forms_round_trip(qtbot):
    for params in (CLIP_PARAMS, LOOKAHEAD_PARAMS):
        form = make(qtbot, SpecForm(params))
        assert form.values() == {p.name: p.default for p in params}


def test_tooltip_shows_help_range_and_formula(qtbot):
    spec = OPTIMIZERS["adam"]
    form = make(qtbot, SpecForm.from_spec(spec))
    tip = form.editor("lr").toolTip()
    assert "learning rate" in tip and "[0, inf]" in tip and "m ← β₁m" in tip


def test_invalid_text_is_marked_and_not_emitted(qtbot):
    form = make(qtbot, SpecForm.from_spec(OPTIMIZERS["adam"]))
    changed, invalid = Recorder(form.changed), Recorder(form.invalid)
    type_into(qtbot, form.editor("lr"), "-1")
    assert changed.calls == []
    assert invalid.calls == [("lr", "must be in [0, inf], got -1")]
    assert form.errors() == {"lr": "must be in [0, inf], got -1"}
    assert form.error_text("lr") == "must be in [0, inf], got -1"
    assert form.editor("lr").property("invalid") is True
    assert "must be in [0, inf]" in form.editor("lr").toolTip()
    assert form.values()["lr"] == 1e-3  # the last valid value

    type_into(qtbot, form.editor("lr"), "abc")
    assert form.errors() == {"lr": "expected a number, got 'abc'"}
    assert changed.calls == []


def test_scientific_notation_and_return_emit_all_values(qtbot):
    form = make(qtbot, SpecForm.from_spec(OPTIMIZERS["adam"]))
    changed = Recorder(form.changed)
    type_into(qtbot, form.editor("lr"), "3e-3")
    assert len(changed.calls) == 1
    values = changed.last[0]
    assert values == {**OPTIMIZERS["adam"].defaults(), "lr": 0.003}
    assert form.values() == values
    assert form.editor("lr").property("invalid") in (None, False)

    type_into(qtbot, form.editor("betas"), "0.8, 0.99")
    assert changed.last[0]["betas"] == (0.8, 0.99)
    type_into(qtbot, form.editor("betas"), "0.8")
    assert form.errors() == {"betas": "expected 2 numbers, got 1"}
    assert len(changed.calls) == 2


def test_fixing_an_invalid_field_clears_its_mark(qtbot):
    form = make(qtbot, SpecForm.from_spec(OPTIMIZERS["sgd"]))
    changed = Recorder(form.changed)
    type_into(qtbot, form.editor("lr"), "-1")
    assert "lr" in form.errors()
    form.editor("lr").clear()
    qtbot.keyClicks(form.editor("lr"), "0.5")  # typing alone clears the mark ...
    assert form.errors() == {} and changed.calls == []
    qtbot.keyClick(form.editor("lr"), Qt.Key_Return)  # ... Return applies it
    assert changed.last[0]["lr"] == 0.5


def test_log_slider_moves_the_value_on_a_log_scale(qtbot):
    form = make(qtbot, SpecForm.from_spec(OPTIMIZERS["adam"]))  # lr 1e-3: window 1e-5 … 1e-1
    changed = Recorder(form.changed)
    slider = form.slider("lr")
    assert slider.value() == SLIDER_STEPS // 2
    for position in (0, SLIDER_STEPS // 4, SLIDER_STEPS // 2, 3 * SLIDER_STEPS // 4, SLIDER_STEPS):
        slider.setValue(position)
    assert [call[0]["lr"] for call in changed.calls] == [1e-5, 1e-4, 1e-3, 1e-2, 1e-1]
    assert form.editor("lr").text() == "0.1"
    # the text re-centres the window: 1 is now the middle of 0.01 … 100
    type_into(qtbot, form.editor("lr"), "1")
    assert slider.value() == SLIDER_STEPS // 2
    slider.setValue(3 * SLIDER_STEPS // 4)
    assert changed.last[0]["lr"] == 10.0


def test_linear_slider_and_zero_slot(qtbot):
    form = make(qtbot, SpecForm.from_spec(OPTIMIZERS["momentum"]))
    changed = Recorder(form.changed)
    assert form.slider("momentum").value() == 900
    form.slider("momentum").setValue(500)
    assert changed.last[0]["momentum"] == 0.5
    assert form.editor("momentum").text() == "0.5"
    # weight decay (log, default 0): the leftmost position is exactly 0
    assert form.slider("weight_decay").value() == 0
    form.slider("weight_decay").setValue(SLIDER_STEPS)
    assert changed.last[0]["weight_decay"] == 0.1
    form.slider("weight_decay").setValue(0)
    assert changed.last[0]["weight_decay"] == 0.0


def test_cross_field_rule_is_shown_and_not_emitted(qtbot):
    spec = OPTIMIZERS["nesterov"]
    form = make(qtbot, SpecForm.from_spec(spec))
    changed, invalid = Recorder(form.changed), Recorder(form.invalid)
    type_into(qtbot, form.editor("dampening"), "0.5")
    message = "Nesterov momentum needs momentum > 0 and dampening = 0"
    assert form.message() == message and form.errors() == {"": message}
    assert invalid.calls == [("", message)]
    assert changed.calls == [] and form.values()["dampening"] == 0.0
    type_into(qtbot, form.editor("dampening"), "0")
    assert form.message() == "" and changed.calls == []  # back to the last valid values
    type_into(qtbot, form.editor("momentum"), "0.5")
    assert changed.last[0] == {**spec.defaults(), "momentum": 0.5}


def test_other_editors_emit(qtbot):
    form = make(qtbot, SpecForm.from_spec(OPTIMIZERS["lbfgs"]))
    changed = Recorder(form.changed)
    spin = form.editor("max_iter")
    spin.clear()
    qtbot.keyClicks(spin, "7")
    qtbot.keyClick(spin, Qt.Key_Return)
    assert changed.last[0]["max_iter"] == 7
    assert form.editor("max_eval").text() == "auto"  # optional int: empty means None
    form.editor("max_eval").setValue(30)
    assert changed.last[0]["max_eval"] == 30
    form.editor("line_search_fn").setCurrentIndex(1)
    assert changed.last[0]["line_search_fn"] == "strong_wolfe"
    adam = make(qtbot, SpecForm.from_spec(OPTIMIZERS["adam"]))
    flags = Recorder(adam.changed)
    adam.editor("amsgrad").click()
    assert flags.last[0]["amsgrad"] is True


def test_set_values_does_not_emit(qtbot):
    form = make(qtbot, SpecForm.from_spec(OPTIMIZERS["adam"]))
    changed = Recorder(form.changed)
    form.set_values({"lr": 0.02, "betas": (0.5, 0.6)})
    assert changed.calls == []
    assert form.values()["lr"] == 0.02 and form.editor("betas").text() == "0.5, 0.6"
    assert form.slider("lr").value() == SLIDER_STEPS // 2  # re-centred on the new value
