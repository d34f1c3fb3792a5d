"""The window's menu bar (File, Run, View, Help) and its view toolbar: what each entry does
lives with the window or the panel it acts on; this module only lays the entries out."""
from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDoubleSpinBox, QLabel

from ..core.i18n import tr
from .about import add_help_menu
from .actions import add_action
from .files import FileActions
from .inside import Inside
from .language import add_language_menu
from .session import settings_text
from .theme import add_theme_menu


def build_menus(window) -> None:
    """File, Run, View and Help, and the view toolbar; the actions other code reads back
    (play, grid, log loss, equal axes, reopen) become attributes of the window."""
    menu = window.menuBar()
    _file_menu(window, menu.addMenu(tr("&File")))
    run = menu.addMenu(tr("&Run"))
    window.play_action = add_action(window, run, tr("&Play / Pause"), "Space",
                                    lambda _=False: window.set_playing(not window.playing))
    add_action(window, run, tr("&Step"), "Right", window.step_once)
    add_action(window, run, tr("&Reset"), "R", window.model.restart)
    _view_menu(window, menu.addMenu(tr("&View")))
    _view_bar(window)
    add_help_menu(window)  # Help > About, Keyboard Shortcuts


def _file_menu(window, file) -> None:
    window.files = FileActions(window)  # open, recent, presets, save, export, copy
    window.files.build(file)
    window.reopen_action = add_action(window, file, tr("Reopen &Last Experiment"), None,
                                      window.reopen_last)
    window.reopen_action.setEnabled(bool(settings_text(window.settings, "last_experiment")))
    file.addSeparator()
    add_action(window, file, tr("&Quit"), QKeySequence.Quit, window.quit_asking)


def _view_menu(window, view) -> None:
    view.addAction(window.swarm.action)
    window.grid_action = _checkable(window, view, tr("Side by side (&grid)"), "G",
                                    window.set_grid_view, False)
    window.log_loss_action = _checkable(window, view, tr("&Log loss axis"), "L",
                                        window.loss_plot.set_log_y, window.loss_plot.log_y)
    window.aspect_action = _checkable(window, view, tr("&Equal axes on the map (1:1)"), "E",
                                      window.set_equal_aspect, True)
    add_action(window, view, tr("&View All on the map"), "A", window.map.view_all)
    view.addAction(window.dataset_area.epoch_action)
    window.inside = Inside(window)  # the selected run's update: map overlay, panel, RAdam phase
    window.inside.add_to(view, window.view_bar)
    window.theme_switch = add_theme_menu(window, view)  # System / Light / Dark, saved
    add_language_menu(window, view)


def _checkable(window, menu, text: str, shortcut: str, slot, checked: bool) -> QAction:
    action = add_action(window, menu, text, shortcut, slot)
    action.setCheckable(True)
    action.setChecked(checked)
    return action


def _view_bar(window) -> None:
    bar = window.view_bar
    for action in (window.grid_action, window.log_loss_action, window.dataset_area.epoch_action):
        bar.addAction(action)
    bar.addWidget(QLabel("  " + tr("smoothing") + " "))
    smoothing = window.smoothing = QDoubleSpinBox()
    smoothing.setRange(0.0, 0.999)
    smoothing.setSingleStep(0.1)
    smoothing.setDecimals(3)
    smoothing.setToolTip(tr("Debiased exponential moving average of the loss curve "
                            "(0 = raw). The LR is never smoothed."))
    smoothing.valueChanged.connect(window.loss_plot.set_smoothing)
    bar.addWidget(smoothing)
