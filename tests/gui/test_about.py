"""Help > About names the versions, the device and the log file."""
import PySide6
import torch
from PySide6 import QtCore
from PySide6.QtWidgets import QMessageBox

from optplayground import __version__, applog
from optplayground.core import experiment as xp


def test_help_about_shows_versions_device_and_log_path(window, qtbot, tmp_path):
    log = applog.start(tmp_path / "optplayground.log")
    try:
        w = window(xp.default_experiment(), autoplay=False)
        [help_menu] = [a.menu() for a in w.menuBar().actions() if a.text() == "&Help"]
        [shortcuts, about] = help_menu.actions()
        assert shortcuts.text() == "Keyboard &Shortcuts"
        about.trigger()
        box = w.findChild(QMessageBox, "about")
        qtbot.waitUntil(box.isVisible, timeout=10_000)
        text = box.text()
        assert f"optplayground {__version__}" in text
        assert f"torch</td><td>{torch.__version__}" in text.replace("&nbsp;", "")
        assert f"{QtCore.qVersion()} (PySide6 {PySide6.__version__})" in text
        assert str(log) in text
        assert "device in use" in text and ("cpu" in text or "auto" in text)
        box.close()
    finally:
        applog.stop()
