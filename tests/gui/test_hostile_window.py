"""The window meets a stranger's files: open, drop, recent files and start-up never raise,
a bad file is one message box while the current experiment stays, and an import-path
optimizer is imported only after the user allows it in the dialog."""
import os

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, QSettings, Qt, QTimer, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QMessageBox

from optplayground.core import experiment as xp
from optplayground.core.experiment import Experiment, Problem, Run
from optplayground.core.trust import POLICY
from optplayground.gui import trust as trust_ui

RACE = Experiment(name="current race", problem=Problem(start=(-1.5, 2.0)), steps=30,
                  runs=[Run("Adam", "adam", {"lr": 0.02})])
FILE = 'name = "{name}"\nsteps = 20\n[[runs]]\nname = "a"\noptimizer = "{opt}"\n'


@pytest.fixture
def evil(tmp_path, marker_module):
    """A module `evil_gui` on sys.path (the engine's processes inherit it) whose top-level
    code appends to a marker file, and an experiment file naming it."""
    marker = marker_module("evil_gui")
    path = tmp_path / "shared.toml"
    path.write_text(FILE.format(name="shared race", opt="evil_gui:Opt"))
    return marker, str(path)


def _answer(monkeypatch, choice):
    asked = []
    monkeypatch.setattr(trust_ui, "ask_user",
                        lambda parent, modules, source: asked.append((modules, source)) or choice)
    return asked


def test_cancel_imports_nothing_and_keeps_the_current_race(window, evil, monkeypatch):
    marker, path = evil
    asked = _answer(monkeypatch, trust_ui.CANCEL)
    w = window(RACE)
    assert w.files.open_path(path) is False
    assert asked == [(["evil_gui"], path)]
    assert w.experiment.name == "current race" and not marker.exists()
    assert "nothing was imported" in w.statusBar().currentMessage()


def test_allow_once_imports_and_races_the_users_optimizer(window, evil, monkeypatch, qtbot):
    marker, path = evil
    _answer(monkeypatch, trust_ui.ONCE)
    settings = QSettings(os.path.join(os.path.dirname(path), "s.ini"), QSettings.IniFormat)
    w = window(RACE, settings=settings)
    assert w.files.open_path(path) is True
    assert w.experiment.name == "shared race" and marker.exists()
    qtbot.waitUntil(lambda: w.live.run(0).status == "done", timeout=120000)
    w.on_frame()
    assert len(w.live.run(0).column("step")) == 21
    assert trust_ui.allowed_modules(settings) == []  # once: not remembered


def test_always_allow_is_remembered_and_reopens_in_the_next_session(window, evil, monkeypatch):
    marker, path = evil
    settings = QSettings(os.path.join(os.path.dirname(path), "s.ini"), QSettings.IniFormat)
    _answer(monkeypatch, trust_ui.ALWAYS)
    w = window(RACE, settings=settings)
    assert w.files.open_path(path) is True
    assert trust_ui.allowed_modules(settings) == ["evil_gui"]
    w.close()  # saves the experiment as the last one
    POLICY.reset()  # a new session
    asked = _answer(monkeypatch, trust_ui.CANCEL)
    again = window(None, settings=settings)
    assert again.reopen_last()
    assert again.experiment.name == "shared race" and asked == []


def test_the_last_experiment_is_not_reopened_without_the_allow_list(window, evil, monkeypatch):
    marker, path = evil
    settings = QSettings(os.path.join(os.path.dirname(path), "s.ini"), QSettings.IniFormat)
    settings.setValue("last_experiment", FILE.format(name="shared race", opt="evil_gui:Opt"))
    asked = _answer(monkeypatch, trust_ui.ONCE)
    w = window(None, settings=settings)
    assert not w.reopen_last()
    assert asked == [] and not marker.exists()
    assert w.experiment.name == xp.default_experiment().name
    assert "evil_gui" in w.statusBar().currentMessage() and "allow-list" in w.statusBar().currentMessage()


def test_the_dialog_names_the_module_and_the_file_and_cancel_is_the_default(qtbot, evil):
    marker, path = evil
    seen = {}

    def answer():
        box = next(b for b in QApplication.topLevelWidgets()
                   if isinstance(b, QMessageBox) and b.objectName() == "trust-dialog")
        seen["text"] = box.text()
        seen["buttons"] = [b.text() for b in box.buttons()]
        box.defaultButton().click()

    QTimer.singleShot(200, answer)
    assert trust_ui.permit(None, xp.load(path), path, None) is False
    assert "evil_gui" in seen["text"] and path in seen["text"]
    assert {"Allow once", "Always allow this module", "Cancel"} <= set(seen["buttons"])
    assert not marker.exists()


def _fifo(tmp_path):
    os.mkfifo(tmp_path / "fifo.toml")
    return tmp_path / "fifo.toml"


@pytest.mark.parametrize("make, words", [
    (_fifo, "not a regular file"),
    (lambda p: (p / "dir.toml").mkdir() or p / "dir.toml", "not a regular file"),
    (lambda p: p / "missing.toml", "cannot read"),
    (lambda p: (p / "deep.toml").write_text("a = " + "[" * 50000 + "]" * 50000) and p / "deep.toml",
     "nested more than 16 levels"),
    (lambda p: (p / "n.toml").write_text("steps = " + "9" * 5000) and p / "n.toml", "4300 digits"),
    (lambda p: (p / "big.toml").write_text("#" * (2 << 20)) and p / "big.toml", "larger than"),
    (lambda p: (p / "b.toml").write_bytes(b"\xff\x00\xfe") and p / "b.toml", "not UTF-8"),
    (lambda p: str(p / "\ud800.toml"), "cannot read"),
])
def test_a_hostile_file_opened_or_dropped_is_one_message_and_the_race_stays(
        window, qtbot, tmp_path, make, words):
    path = str(make(tmp_path))
    w = window(RACE)
    assert w.files.open_path(path) is False
    assert words in w.last_error and w.experiment.name == "current race"
    w.last_error = ""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(path)])
    enter = QDragEnterEvent(QPoint(50, 50), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(w, enter)
    drop = QDropEvent(QPointF(50, 50), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(w, drop)  # raises nothing out of dropEvent
    assert words in w.last_error and w.experiment.name == "current race"
    assert w.findChild(QMessageBox, "error-box") is not None


def test_an_unexpected_error_while_opening_is_a_message_not_a_crash(window, tmp_path, monkeypatch):
    path = tmp_path / "e.toml"
    path.write_text(FILE.format(name="x", opt="adam"))

    def explode(exp):
        raise RecursionError("maximum recursion depth exceeded")

    w = window(RACE)
    monkeypatch.setattr(xp, "validate", explode)
    assert w.files.open_path(str(path)) is False
    assert "RecursionError" in w.last_error and w.experiment.name == "current race"


def test_corrupt_settings_never_stop_the_window(window, tmp_path):
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat)
    settings.setValue("last_experiment", "a = " + "[" * 100000)
    settings.setValue(trust_ui.ALLOW_LIST_KEY, ["ok_mod", "../../etc", 7, "a b"])
    settings.setValue("recent_files", [str(tmp_path / "\udcff.toml"), 3])
    settings.setValue("export_scale", "9" * 5000)
    w = window(None, settings=settings)
    assert w.experiment.name == xp.default_experiment().name
    assert trust_ui.allowed_modules(settings) == ["ok_mod"]
    assert w.files.recent.paths() == []
