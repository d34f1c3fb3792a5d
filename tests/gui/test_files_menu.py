"""The File menu through the real window: a bad file is one message and the experiment
stays; recent files, a dropped file, the presets menu."""
import html
import os

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, QSettings, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QMessageBox

from optplayground.core import experiment as xp
from optplayground.core.presets import list_presets
from optplayground.gui.files import RecentFiles
from .exported import small_experiment


@pytest.mark.parametrize("text, message", [
    ("name = 'x'\nsteps = [1,\n", "not valid TOML"),
    ("format = 99\nname = 'from the future'\n", "newer than this app reads"),
    ("[[runs]]\nname = 'x'\noptimizer = 'nope'\n", "unknown optimizer"),
])
def test_a_bad_file_shows_one_message_and_keeps_the_experiment(window, qtbot, tmp_path, text, message):
    w = window(small_experiment(steps=10))
    bad = tmp_path / "bad.toml"
    bad.write_text(text)
    assert not w.files.open_path(str(bad))
    assert message in w.last_error
    boxes = [b for b in w.findChildren(QMessageBox) if b.isVisible()]
    assert len(boxes) == 1 and message in boxes[0].text()
    assert w.experiment.name == "export race" and w.path is None
    assert [r.name for r in w.experiment.runs] == ["Momentum", "Adam", "SGD"]
    assert w.files.recent.paths() == []


def test_recent_files_update_and_survive_a_settings_round_trip(window, qtbot, tmp_path):
    ini = str(tmp_path / "settings.ini")
    w = window(small_experiment(steps=10), settings=QSettings(ini, QSettings.IniFormat))
    first, second = str(tmp_path / "first.toml"), str(tmp_path / "second.toml")
    assert w.files.save_to(first) and w.files.save_to(second)
    assert w.files.open_path(first)
    assert w.files.recent.paths() == [first, second]
    w.files._fill_recent_menu()
    entries = [a for a in w.files.recent_menu.actions() if a.data()]
    assert [a.data() for a in entries] == [first, second]
    entries[1].trigger()
    assert w.path == second
    assert RecentFiles(QSettings(ini, QSettings.IniFormat)).paths() == [second, first]
    os.remove(first)  # a file that went away drops out of the list, and out of the store
    assert w.files.recent.paths() == [second]
    assert RecentFiles(QSettings(ini, QSettings.IniFormat))._load() == [second]
    store = RecentFiles(QSettings(str(tmp_path / "many.ini"), QSettings.IniFormat))
    names = [tmp_path / f"e{i}.toml" for i in range(10)]
    for name in names:
        name.write_text("")
        store.add(str(name))
    assert store.paths() == [str(n) for n in reversed(names)][:RecentFiles.LIMIT]


def test_dropping_a_toml_on_the_window_opens_it(window, qtbot, tmp_path):
    w = window(small_experiment(steps=10))
    dropped = tmp_path / "dropped.toml"
    xp.save(small_experiment(steps=10, name="dropped race"), str(dropped))
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tmp_path / "notes.txt")), QUrl.fromLocalFile(str(dropped))])
    enter = QDragEnterEvent(QPoint(50, 50), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(w, enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(50, 50), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(w, drop)
    assert drop.isAccepted()
    assert w.experiment.name == "dropped race" and w.path == str(dropped)
    assert w.files.recent.paths() == [str(dropped)]
    other = QMimeData()
    other.setUrls([QUrl.fromLocalFile(str(tmp_path / "notes.txt"))])
    refused = QDragEnterEvent(QPoint(50, 50), Qt.CopyAction, other, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(w, refused)
    assert not refused.isAccepted()


def test_the_presets_menu_lists_every_preset_and_loads_one(window, qtbot):
    w = window(small_experiment(steps=10))
    assert "Three runs &amp; a &lt;short&gt; race." in w.about_label.text()
    presets = list_presets()
    actions = w.files.presets_menu.actions()
    assert [a.text() for a in actions] == [p.title for p in presets]
    assert [a.toolTip() for a in actions] == [p.description for p in presets]
    assert [a.data() for a in actions] == [p.name for p in presets]
    w.path = "somewhere.toml"
    chosen = presets[1]
    actions[1].trigger()
    assert w.experiment.name == chosen.title and w.path is None
    assert html.escape(chosen.description) in w.about_label.text()
    assert w.windowTitle().startswith(chosen.title)
    assert w.about_label.isVisible()


class UserClose:
    """A close of the window by the user (its title bar's ✕): Qt's event is spontaneous."""

    def __init__(self):
        self.ignored = False

    def spontaneous(self) -> bool:
        return True

    def ignore(self) -> None:
        self.ignored = True


def test_quitting_with_unsaved_edits_asks_to_save_discard_or_stay(window, qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    w = window(small_experiment(), autoplay=False)
    answers, asked = [QMessageBox.Cancel, QMessageBox.Cancel, QMessageBox.Save], []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: asked.append(box.text()) or answers.pop(0))
    w.model.set_steps(7)  # an edit
    w.quit_asking()  # File ▸ Quit, Cancel: the window stays
    assert w.isVisible() and "Quit and discard them?" in asked[0]
    close = UserClose()
    w.closeEvent(close)  # the title bar's ✕, Cancel
    assert close.ignored and w.isVisible()
    target = tmp_path / "kept.toml"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    w.quit_asking()  # Save: saved, then closed
    assert xp.load(str(target)).steps == 7 and not w.isVisible()
    assert len(asked) == 3
