"""The window's log file: its warnings and errors, kept where the platform keeps logs.

A window started from a menu (or the Windows build, which has no console) has nowhere to
print, so Python warnings, uncaught exceptions (the main thread's, Qt slots', other
threads') and Qt's own messages also go to a rotating file; Help > About shows its path.
No Qt here: gui/app.py hands Qt's messages over through `qt_message`.

    Linux    $XDG_STATE_HOME/optplayground/optplayground.log (~/.local/state/optplayground/…)
    macOS    ~/Library/Logs/optplayground/optplayground.log
    Windows  %LOCALAPPDATA%\\optplayground\\Logs\\optplayground.log
"""
from __future__ import annotations

import logging
import os
import sys
import threading
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Mapping

LOGGER = logging.getLogger("optplayground")
MAX_BYTES = 1_000_000  # then optplayground.log.1, .2, .3: a few MB at most
BACKUPS = 3
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
QT_LEVELS = {"QtDebugMsg": logging.DEBUG, "QtInfoMsg": logging.INFO,
             "QtWarningMsg": logging.WARNING, "QtCriticalMsg": logging.ERROR,
             "QtFatalMsg": logging.CRITICAL}

_started: dict = {}  # while logging: the handler, the path and the hooks it replaced


def log_dir(platform: str = sys.platform, environ: Mapping[str, str] = os.environ,
            home: Path | None = None) -> Path:
    home = Path.home() if home is None else home
    if platform == "darwin":
        return home / "Library" / "Logs" / "optplayground"
    if platform == "win32":
        return Path(environ.get("LOCALAPPDATA") or home / "AppData" / "Local") / "optplayground" / "Logs"
    state = environ.get("XDG_STATE_HOME", "")
    base = Path(state) if os.path.isabs(state) else home / ".local" / "state"  # XDG: absolute only
    return base / "optplayground"


def start(path: Path | None = None) -> Path | None:
    """Send warnings and errors to the rotating file at `path` (default: the platform's).
    Returns the path, or None where it cannot be written (the app runs on without it)."""
    stop()
    path = Path(path) if path is not None else log_dir() / "optplayground.log"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = RotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS,
                                      encoding="utf-8")
    except (OSError, ValueError):  # not a folder, no permission, a NUL in the path
        return None
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter(FORMAT))
    for logger in (LOGGER, logging.getLogger("py.warnings")):
        logger.addHandler(handler)
        logger.setLevel(min(logger.getEffectiveLevel(), logging.WARNING))
    logging.captureWarnings(True)
    _started.update(handler=handler, path=path, excepthook=sys.excepthook,
                    threading_excepthook=threading.excepthook)
    sys.excepthook = _log_uncaught
    threading.excepthook = _log_uncaught_in_thread
    return path


def stop() -> None:
    """Undo `start` (the window closed; tests)."""
    if not _started:
        return
    handler = _started["handler"]
    for logger in (LOGGER, logging.getLogger("py.warnings")):
        logger.removeHandler(handler)
    handler.close()
    logging.captureWarnings(False)
    if sys.excepthook is _log_uncaught:
        sys.excepthook = _started["excepthook"]
    if threading.excepthook is _log_uncaught_in_thread:
        threading.excepthook = _started["threading_excepthook"]
    _started.clear()


def current_path() -> Path | None:
    return _started.get("path")


def qt_message(kind: str, message: str) -> None:
    """A Qt message (`kind` is the QtMsgType's name, e.g. "QtWarningMsg")."""
    LOGGER.getChild("qt").log(QT_LEVELS.get(kind, logging.WARNING), message)


def _log_uncaught(kind, error, traceback) -> None:
    if not issubclass(kind, KeyboardInterrupt):
        LOGGER.error("uncaught exception", exc_info=(kind, error, traceback))
    _started.get("excepthook", sys.__excepthook__)(kind, error, traceback)


def _log_uncaught_in_thread(args) -> None:
    if args.exc_type is not SystemExit:
        name = args.thread.name if args.thread else "?"
        LOGGER.error("uncaught exception in thread %s", name,
                     exc_info=(args.exc_type, args.exc_value, args.exc_traceback))
    _started.get("threading_excepthook", threading.__excepthook__)(args)
