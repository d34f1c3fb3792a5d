"""Start the application: Qt, the look, the main window, Ctrl+C."""
from __future__ import annotations

import gc
import os
import signal
import sys
from importlib.resources import files

from PySide6.QtCore import QSettings, QTimer, qInstallMessageHandler
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from .. import applog


def make_app() -> QApplication:
    import pyqtgraph as pg

    from ..core.threads import use_torch_threads

    use_torch_threads()  # the same as `optplayground run`: the same numbers from both
    qInstallMessageHandler(_quiet_platform_notes)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("optplayground")
    app.setDesktopFileName("optplayground")  # taskbars match the window to its .desktop entry
    icon = files("optplayground") / "resources" / "icons" / "optplayground.svg"
    if icon.is_file():
        app.setWindowIcon(QIcon(str(icon)))
    app.setOrganizationName("optplayground")
    app.setStyle("Fusion")  # on every platform: its palette follows the theme (gui/theme.py)
    pg.setConfigOptions(antialias=True)
    return app


def _quiet_platform_notes(mode, context, message: str) -> None:
    """Qt's offscreen platform notes what it cannot do (propagateSizeHints); nobody needs it.
    The rest goes to stderr and, in the window, to its log file too."""
    if "propagateSizeHints" not in message:
        print(message, file=sys.stderr)
        applog.qt_message(mode.name, message)


def run_app(argv: list[str]) -> int:
    from ..core import experiment as xp
    from ..core.params import ConfigError
    from ..core.i18n import tr
    from .language import use_language
    from .main_window import MainWindow
    from .trust import load_allow_list, permit

    applog.start()  # warnings and errors to a file: a window from a menu has no terminal
    app = make_app()
    settings = QSettings()
    use_language(app, settings)  # before any text is made: --lang, the saved one, the system's
    experiment, problem = None, ""
    if argv and argv[0].endswith(".toml"):
        try:
            experiment = xp.load(argv[0])
        except ConfigError as error:  # opened from a file manager: say it in the window too
            print(tr("optplayground: error: {error}", error=error), file=sys.stderr)
            problem = str(error)
        load_allow_list(settings)
        if experiment is not None and not permit(None, experiment, argv[0], settings):
            experiment, problem = None, tr("its modules were not allowed: nothing was imported")
    # build_wait_s=0: closing right after launch, leave() exits, nothing waits
    window = MainWindow(experiment, settings, build_wait_s=0.0)
    if window.opened_given and not problem:
        window.path = argv[0]  # Ctrl+S saves back to it; it joins Open Recent
        window.files.recent.add(argv[0])
    window.firstFrame.connect(settle_heap)  # after: a full collection takes a while
    window.show()
    if problem:  # after show(): a status message shown before it overlaps the status labels
        window.show_error(tr("This file cannot be opened"), f"{argv[0]}: {problem}")
    quit_on_ctrl_c(app, window)
    return leave(app.exec(), settings)


def leave(status: int, settings: QSettings) -> int:
    """The exit status, once the loop is over. An engine thread stuck in a step (a user's
    optimizer that never returns) cannot be waited for, stopped or destroyed safely: the
    process ends at once then, with its settings saved and its output flushed."""
    from .worker import threads_left_running

    if threads_left_running():  # a QThread destroyed running would abort the process
        settings.sync()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    return status


def settle_heap() -> None:
    """Everything built so far lives for the whole session: keep the collector off it, so
    full collections stay short and do not stall the worker or the UI."""
    gc.collect()
    gc.freeze()


def quit_on_ctrl_c(app: QApplication, window) -> QTimer:
    """Ctrl+C in the terminal (or SIGTERM) closes the window cleanly (Qt's loop would
    swallow it).

    Returns the timer that lets Python run its signal handlers while Qt's loop waits."""
    for number in (signal.SIGINT, signal.SIGTERM):  # Ctrl+C, or a polite kill
        signal.signal(number, lambda *_: window.close())
    timer = QTimer(app)
    timer.setObjectName("sigint-poll")
    timer.timeout.connect(lambda: None)
    timer.start(200)
    return timer
