"""Help > Shortcuts (every key of the window) and Help > About: what this is, the versions
it runs on, the device, where its log is."""
from __future__ import annotations

import html
import platform
import re
from pathlib import Path

from PySide6 import QtCore
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox

from .. import __version__, applog
from ..core.i18n import tr

HOME = "https://github.com/optplayground/optplayground"


def add_help_menu(window: QMainWindow) -> QAction:
    """The window's Help menu with its About entry (the application menu's on macOS)."""
    menu = window.menuBar().addMenu(tr("&Help"))
    keys = QAction(tr("Keyboard &Shortcuts"), window)
    keys.setShortcut("F1")
    keys.triggered.connect(lambda: show_shortcuts(window))
    menu.addAction(keys)
    window.addAction(keys)
    about = QAction(tr("&About optplayground"), window)
    about.setMenuRole(QAction.MenuRole.AboutRole)
    about.triggered.connect(lambda: show_about(window))
    menu.addAction(about)
    return about


# Keys that are not menu actions: the window's input rules (gui/input_keys.py) and the map
# (tr() when shown).
MORE_KEYS = (("Escape", "give the keys back to the window (leave a field)"),
             ("Return", "take a typed value (the keys go back to the window)"),
             ("Tab", "move between the inputs"),
             ("click the map", "start every run from there (or drag the start marker)"),
             ("click a legend sample", "hide or show that run"),
             ("drag the timeline", "see the race at an earlier step"))


def shortcut_rows(window: QMainWindow) -> list[tuple[str, str]]:
    """(key, what it does) for every action of the window that has a key, then MORE_KEYS."""
    rows = []
    for action in window.actions():
        key = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        text = action.property("shortcut_text") or action.text()  # (a menu item's text may
        if key and text:  # need its menu to make sense: it says so in its own words)
            rows.append((key, re.sub(r"\(&\w\)", "", text).replace("&", "")))  # "退出(&Q)": 退出
    return rows + [(tr(key), tr(text)) for key, text in MORE_KEYS]


def show_shortcuts(window: QMainWindow) -> QMessageBox:
    box = QMessageBox(window)
    box.setObjectName("shortcuts")
    box.setWindowTitle(tr("Keyboard shortcuts"))
    box.setTextFormat(QtCore.Qt.TextFormat.RichText)
    table = "".join(f"<tr><td><b>{html.escape(key)}</b>&nbsp;&nbsp;</td>"
                    f"<td>{html.escape(text)}</td></tr>" for key, text in shortcut_rows(window))
    box.setText(f"<table>{table}</table>")
    label = box.findChild(QLabel, "qt_msgbox_label")  # its width fell short of a CJK row's
    if label is not None:
        label.setMinimumWidth(label.sizeHint().width() + 4 * label.fontMetrics().averageCharWidth())
    box.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box


def show_about(window: QMainWindow) -> QMessageBox:
    box = QMessageBox(window)
    box.setObjectName("about")
    box.setWindowTitle(tr("About optplayground"))
    box.setTextFormat(QtCore.Qt.TextFormat.RichText)
    box.setText(about_html(device_in_use(window), applog.current_path()))
    box.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextBrowserInteraction)
    icon = window.windowIcon()
    if not icon.isNull():
        box.setIconPixmap(icon.pixmap(96, 96))
    box.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()  # window-modal, returns at once
    return box


def about_html(device: str, log: Path | None) -> str:
    import numpy
    import pyqtgraph
    import PySide6
    import torch

    rows = [("Python", platform.python_version()), ("torch", torch.__version__),
            ("Qt", f"{QtCore.qVersion()} (PySide6 {PySide6.__version__})"),
            ("pyqtgraph", pyqtgraph.__version__), ("numpy", numpy.__version__),
            (tr("device in use"), device),
            (tr("log file"), str(log) if log else tr("none (not writable here)"))]
    table = "".join(f"<tr><td>{name}&nbsp;&nbsp;</td><td>{html.escape(value)}</td></tr>"
                    for name, value in rows)
    return (f"<h3>optplayground {__version__}</h3>"
            f"<p>{tr('Watch optimizers race across loss surfaces and small datasets.')}</p>"
            f"<table>{table}</table>"
            f'<p><a href="{HOME}">{HOME}</a> · {tr("MIT licence")}</p>')


def device_in_use(window) -> str:
    """The engine's device as the status bar shows it, else the experiment's choice."""
    status = getattr(window, "status", None)  # gui/status.py's RaceStatus
    label = getattr(status, "device_label", None)
    shown = label.text().removeprefix(tr("device {device}", device="")).strip() if label is not None else ""
    if shown and shown != "…":
        return shown
    experiment = getattr(window, "experiment", None)
    return (tr("{device} (not started yet)", device=experiment.device) if experiment is not None
            else tr("unknown"))
