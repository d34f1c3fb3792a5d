"""The File menu's work for the main window: opening experiment files (the dialog, recent
files, a drop; asking before unsaved edits go), export, the clipboard, presets.

The window asks for paths with dialogs; everything after the dialog is a plain method
(`export_plot`, `export_dashboard`, `export_csv`, `load_preset`, …) that tests call directly.
A failed write is reported by the window (status bar and a non-blocking message box).
"""
from __future__ import annotations

import os
import re

from PySide6.QtCore import QMimeData, QObject, QSettings, Signal, Slot
from PySide6.QtGui import QActionGroup, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox

from ..core import experiment as xp
from ..core.i18n import tr, translated
from ..core.params import ConfigError
from . import export
from . import trust as trust_ui
from .headline import own_name
from .actions import add_action
from .csv_export import CsvExport, written_message

PLOT_TITLES = {"map": "Trajectory map", "loss": "Loss", "lr": "Learning rate",  # tr() when shown
               "grad": "Gradient norm", "metrics": "Train and test loss", "accuracy": "Accuracy"}
FORMATS = {"png": "PNG images (*.png)", "svg": "SVG drawings (*.svg)"}


class RecentFiles:
    """The last experiment files opened or saved, newest first, kept in QSettings.

    Files that no longer exist drop out of the list when it is read. Without settings (tests,
    `shot`) the list lives only as long as the window.
    """

    KEY = "recent_files"
    LIMIT = 8

    def __init__(self, settings: QSettings | None):
        self.settings = settings
        self._memory: list[str] = []

    def paths(self) -> list[str]:
        stored = self._load()
        existing = [p for p in stored if os.path.isfile(p)]
        if existing != stored:
            self._store(existing)
        return existing

    def add(self, path: str) -> None:
        path = os.path.abspath(path)
        self._store([path] + [p for p in self._load() if p != path])

    def clear(self) -> None:
        self._store([])

    def _load(self) -> list[str]:
        if self.settings is None:
            return list(self._memory)
        value = self.settings.value(self.KEY, [])
        if isinstance(value, str):  # an ini file gives one entry back as a plain string
            value = [value] if value else []
        return [p for p in value if isinstance(p, str)] if isinstance(value, list) else []

    def _store(self, paths: list[str]) -> None:
        paths = paths[:self.LIMIT]
        if self.settings is None:
            self._memory = paths
        else:
            self.settings.setValue(self.KEY, paths)
            self.settings.sync()


def dropped_experiment(mime: QMimeData) -> str | None:
    """The first local .toml file among dropped URLs."""
    if not mime.hasUrls():
        return None
    for url in mime.urls():
        if url.isLocalFile() and url.toLocalFile().lower().endswith(".toml"):
            return url.toLocalFile()
    return None


def slug(text: str) -> str:
    """A file-name friendly form of an experiment's name."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "experiment"


def remembered_scale(settings: QSettings | None) -> int:
    """The PNG scale last picked (1 without settings or a stored value that is not one)."""
    try:
        scale = int(settings.value("export_scale", 1)) if settings is not None else 1
    except (TypeError, ValueError):
        scale = 1
    return scale if scale in export.SCALES else 1


class FileActions(QObject):
    """Builds the File menu of `window` and carries out its exports, recent files, presets."""

    presetLoaded = Signal(str)  # a preset's name, once it is the window's experiment

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.recent = RecentFiles(window.settings)
        self.scale = remembered_scale(window.settings)
        self._folder = ""  # where the last export went: the next dialog starts there
        self.csv = CsvExport(window, self._wrote)  # the menu's CSV, on a thread of its own

    # ------------------------------------------------------------ the menu

    def build(self, menu: QMenu) -> None:
        add_action(self.window, menu, tr("&Open…"), QKeySequence.Open, self.open_dialog)
        self.recent_menu = menu.addMenu(tr("Open &Recent"))
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self._fill_recent_menu()
        self.presets_menu = menu.addMenu(tr("&Presets"))
        self._fill_presets_menu()
        menu.addSeparator()
        add_action(self.window, menu, tr("&Save"), QKeySequence.Save, self.save)
        add_action(self.window, menu, tr("Save &As…"), QKeySequence.SaveAs, self.save_as)
        menu.addSeparator()
        # Both list the plots the window shows now (a dataset race has others): they are
        # filled when they open; the actions with shortcuts belong to self and stay.
        self.export_menu = menu.addMenu(tr("&Export"))
        self.export_menu.aboutToShow.connect(self._fill_export_menu)
        self.copy_menu = menu.addMenu(tr("&Copy to Clipboard"))
        self.copy_menu.aboutToShow.connect(self._fill_copy_menu)
        ask = self._ask_then
        self._fixed = {
            "csv": add_action(self.window, None, tr("&CSV of All Runs…"), "Ctrl+E", lambda _=False: ask(
                tr("Export CSV of all runs"), ".csv", "CSV (*.csv)",
                lambda path: self.export_csv(path, background=True))),
            "dashboard": add_action(self.window, None, tr("&Dashboard as PNG…"), "Ctrl+Shift+E", lambda _=False: ask(
                tr("Export the dashboard as PNG"), "-dashboard.png", FORMATS["png"],
                self.export_dashboard)),
            "window": add_action(self.window, None, tr("&Window as PNG…"), None, lambda _=False: ask(
                tr("Export the window as PNG"), "-window.png", FORMATS["png"], self.export_window)),
            "copy": add_action(self.window, None, tr("&Dashboard"), "Ctrl+Shift+C",
                              self.copy_dashboard)}
        # Its menu says where it copies; Help ▸ Shortcuts lists it alone (gui/about.py)
        self._fixed["copy"].setProperty("shortcut_text", tr("Copy the dashboard to the clipboard"))
        self.scale_menu = self._build_scale_menu()
        self._fill_export_menu()
        self._fill_copy_menu()

    @Slot()
    def _fill_export_menu(self) -> None:
        menu = self.export_menu
        menu.clear()
        menu.addActions([self._fixed[k] for k in ("csv", "dashboard", "window")])
        menu.addSeparator()
        for name, title in self.plot_titles().items():
            for fmt in FORMATS:
                action = menu.addAction(tr("{title} as {format}…", title=title, format=fmt.upper()))
                action.triggered.connect(lambda _=False, n=name, f=fmt: self._ask_plot(n, f))
        menu.addSeparator()
        menu.addMenu(self.scale_menu)

    @Slot()
    def _fill_copy_menu(self) -> None:
        menu = self.copy_menu
        menu.clear()
        menu.addAction(self._fixed["copy"])
        for name, title in self.plot_titles().items():
            action = menu.addAction(title)
            action.triggered.connect(lambda _=False, n=name: self.copy_plot(n))

    def plot_titles(self) -> dict[str, str]:
        """The plots the window shows now, by name, with their menu titles."""
        titles = {name: tr(PLOT_TITLES.get(name, name.capitalize()))
                  for name in self.window.plot_widgets()}
        if self.window.experiment.problem.is_dataset and "map" in titles:
            titles["map"] = tr("Dataset view")
        return titles

    def _build_scale_menu(self) -> QMenu:
        scales = QMenu(tr("PNG &Scale"), self.window)
        group = QActionGroup(self)
        self.scale_actions = {}
        for scale in export.SCALES:
            action = scales.addAction(f"{scale}×")
            action.setCheckable(True)
            action.setChecked(scale == self.scale)
            action.setStatusTip(tr("PNG exports get {scale}× the pixels of the screen", scale=scale))
            action.triggered.connect(lambda _=False, s=scale: self.set_scale(s))
            group.addAction(action)
            self.scale_actions[scale] = action
        return scales

    @Slot()
    def _fill_recent_menu(self) -> None:
        menu = self.recent_menu
        menu.clear()
        paths = self.recent.paths()
        for i, path in enumerate(paths, 1):
            action = menu.addAction(f"&{i} {os.path.basename(path)}")
            action.setToolTip(path)
            action.setStatusTip(path)
            action.setData(path)
            action.triggered.connect(lambda _=False, p=path:
                                     self.edits_may_go() and self.open_path(p))
        if paths:
            menu.addSeparator()
        clear = menu.addAction(tr("Clear List"))
        clear.setEnabled(bool(paths))
        clear.triggered.connect(self.recent.clear)
        menu.setToolTipsVisible(True)

    def _fill_presets_menu(self) -> None:
        from ..core.presets import list_presets

        menu = self.presets_menu
        menu.setToolTipsVisible(True)
        try:
            presets = list_presets()
        except ConfigError as error:
            menu.addAction(tr("(presets unavailable: {error})", error=error)).setEnabled(False)
            return
        for preset in presets:
            action = menu.addAction(tr(preset.title))
            action.setToolTip(tr(preset.description))
            action.setStatusTip(tr(preset.description))
            action.setData(preset.name)
            action.triggered.connect(lambda _=False, n=preset.name:
                                     self.edits_may_go() and self.load_preset(n))

    # ------------------------------------------------------------ what the menu does

    def edits_may_go(self, quitting: bool = False) -> bool:
        """Before another experiment replaces this one (or the window closes): True when
        nothing was edited since it was opened or saved, or the user saves the edits or
        agrees to discard them."""
        if self.window.experiment == self.window.saved:
            return True
        text = (tr("This experiment has edits that are not saved. Quit and discard them?")
                if quitting else tr("This experiment has edits that are not saved. Open "
                                    "another one and discard them?"))
        box = QMessageBox(QMessageBox.Question, tr("Discard your edits?"), text,
                          QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel,
                          self.window)
        box.setObjectName("discard-box")
        box.setDefaultButton(QMessageBox.Cancel)
        answer = box.exec()
        return answer == QMessageBox.Discard or (answer == QMessageBox.Save and self.save())

    def open_path(self, path: str) -> bool:
        """Open an experiment file (the Open dialog, Open Recent, a drop). Never raises: a
        file that cannot be opened gets a message box and the current experiment stays. Its
        import-path optimizers are imported only once the user allows them (gui/trust.py)."""
        try:
            exp = xp.load(path)
            if not trust_ui.permit(self.window, exp, path, self.window.settings):
                self.window.statusBar().showMessage(tr("Not opened: {path} (its modules were not "
                                                       "allowed; nothing was imported)", path=path),
                                                    10000)
                return False
            if not self.window.load_experiment(exp):
                return False
            self.window.path = path
            self.recent.add(path)
            return True
        except ConfigError as error:
            self.window.show_error(tr("Cannot open the experiment"), f"{path}\n\n{error}")
        except Exception as error:  # noqa: BLE001 — a stranger's file: say it, never crash
            self.window.show_error(tr("Cannot open the experiment"),
                                   f"{path}\n\n{type(error).__name__}: {error}")
        return False

    @Slot()
    def open_dialog(self) -> None:
        if not self.edits_may_go():
            return
        path, _ = QFileDialog.getOpenFileName(self.window, tr("Open experiment"), "", tr("Experiments (*.toml)"))
        if path:
            self.open_path(path)

    @Slot()
    def save(self) -> bool:
        """Save to the experiment's file (or ask for one); whether it was saved."""
        return self.save_to(self.window.path) if self.window.path else self.save_as()

    @Slot()
    def save_as(self) -> bool:
        path, _ = QFileDialog.getSaveFileName(self.window, tr("Save experiment"), "experiment.toml",
                                              tr("Experiments (*.toml)"))
        return bool(path) and self.save_to(path)

    def save_to(self, path: str) -> bool:
        exp = self.window.experiment
        exp.name, exp.description = own_name(exp, getattr(self.window, "saved", None))  # as shown
        try:
            xp.save(exp, path)
        except ConfigError as error:
            self.window.show_error(tr("Cannot save"), str(error))
            return False
        self.window.path = path
        self.window.mark_saved()
        self.recent.add(path)
        self.window.statusBar().showMessage(tr("Saved {path}", path=path), 5000)
        return True

    def load_preset(self, name: str) -> bool:
        from ..core.presets import load_preset

        try:
            experiment = load_preset(name)
        except ConfigError as error:
            self.window.show_error(tr("Cannot load the preset"), str(error))
            return False
        if not self.window.load_experiment(experiment):
            return False
        self.window.path = None  # Save asks for a file: the preset itself stays as shipped
        self.window.statusBar().showMessage(tr("Preset: {name}", name=translated(experiment.name)), 5000)
        self.presetLoaded.emit(name)
        return True

    def set_scale(self, scale: int) -> None:
        self.scale = scale
        if hasattr(self, "scale_actions"):
            self.scale_actions[scale].setChecked(True)
        if self.window.settings is not None:
            self.window.settings.setValue("export_scale", scale)

    def export_plot(self, name: str, fmt: str, path: str, scale: int | None = None) -> bool:
        """One plot of `window.plot_widgets()` ("map", "loss", "lr", "grad", …) as PNG or
        SVG; the map as it is shown (overlay or grid)."""
        widget = self._plots()[name]
        if fmt == "svg":
            return self._write(path, lambda: export.save_plot_svg(widget, path))
        return self._write(path, lambda: export.save_plot_png(widget, path, scale or self.scale))

    def export_dashboard(self, path: str, scale: int | None = None) -> bool:
        """The map and the step plots as one PNG."""
        widget, rect = self._dashboard()
        return self._write(path, lambda: export.save_plot_png(widget, path, scale or self.scale, rect))

    def export_window(self, path: str, scale: int | None = None) -> bool:
        self._draw_latest()
        return self._write(path, lambda: export.save_plot_png(self.window, path, scale or self.scale))

    def export_csv(self, path: str, background: bool = False) -> bool:
        """Every row of every run and their results beside it (`<stem>.summary.csv`): the
        same files as `optplayground run --csv`.

        In the `background` (the menu's way) a copy of the rows is written on a thread of
        its own, so the window and the race go on; True then means it started, and the
        status bar shows its progress and its end. Closing the window cancels it."""
        history, minima = self.window.live.history, self.window.results.minima  # as its table
        if background:
            return self.csv.start(history, path, minima)
        return self._write(path, lambda: export.save_csv(history, path, minima=minima),
                           written_message(path))

    @property
    def exporting(self) -> bool:
        return self.csv.exporting

    @Slot()
    def copy_dashboard(self) -> None:
        widget, rect = self._dashboard()
        export.copy_image(export.plot_image(widget, 1, rect))
        self.window.statusBar().showMessage(tr("Copied the dashboard"), 3000)

    def copy_plot(self, name: str) -> None:
        export.copy_image(export.plot_image(self._plots()[name]))
        title = self.plot_titles().get(name, name)
        self.window.statusBar().showMessage(tr("Copied: {title}", title=title), 3000)

    # ------------------------------------------------------------ internals

    def _plots(self) -> dict:
        self._draw_latest()
        return self.window.plot_widgets()

    def _dashboard(self):
        self._draw_latest()
        return self.window.dashboard()

    def _draw_latest(self) -> None:
        self.window.on_frame()  # rows that arrived since the last frame are in the picture

    def _write(self, path: str, write, message: str = "") -> bool:
        try:
            write()
        except ConfigError as error:
            self.window.show_error(tr("Cannot export"), str(error))
            return False
        self._wrote(path)
        self.window.statusBar().showMessage(message or tr("Wrote {path}", path=path), 5000)
        return True

    def _wrote(self, path: str) -> None:
        self._folder = os.path.dirname(os.path.abspath(path))  # the next dialog starts there

    def _ask(self, title: str, suffix: str, filter_text: str) -> str:
        name = f"{slug(self.window.experiment.name)}{suffix}"
        start = os.path.join(self._folder or os.path.dirname(self.window.path or ""), name)
        path, _ = QFileDialog.getSaveFileName(self.window, title, start, filter_text)
        return path

    def _ask_then(self, title: str, suffix: str, filter_text: str, then) -> None:
        """Ask for a path (a dialog), then `then(path)` unless the dialog was cancelled."""
        path = self._ask(title, suffix, filter_text)
        if path:
            then(path)

    def _ask_plot(self, name: str, fmt: str) -> None:
        title = self.plot_titles().get(name, name)
        self._ask_then(tr("Export: {title} as {format}", title=title, format=fmt.upper()), f"-{name}.{fmt}",
                       FORMATS[fmt], lambda path: self.export_plot(name, fmt, path))
