"""The window's log file: where it lives, what reaches it, that it rotates."""
import logging
import sys
import threading
import warnings
from pathlib import Path

import pytest

from optplayground import applog


@pytest.fixture
def log(tmp_path):
    path = applog.start(tmp_path / "logs" / "optplayground.log")
    yield path
    applog.stop()


def read(path: Path) -> str:
    for handler in applog.LOGGER.handlers:
        handler.flush()
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize("platform, environ, expected", [
    ("linux", {}, "/home/u/.local/state/optplayground"),
    ("linux", {"XDG_STATE_HOME": "/var/state"}, "/var/state/optplayground"),
    ("linux", {"XDG_STATE_HOME": "relative/state"}, "/home/u/.local/state/optplayground"),
    ("darwin", {}, "/home/u/Library/Logs/optplayground"),
    ("win32", {"LOCALAPPDATA": "C:/Users/u/AppData/Local"}, "C:/Users/u/AppData/Local/optplayground/Logs"),
    ("win32", {}, "/home/u/AppData/Local/optplayground/Logs"),
])
def test_the_platforms_log_folder(platform, environ, expected):
    assert applog.log_dir(platform, environ, Path("/home/u")) == Path(expected)


def test_warnings_errors_and_qt_messages_reach_the_file_debug_does_not(log):
    assert applog.current_path() == log and log.parent.is_dir()
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.warn("a Python warning", RuntimeWarning)
    applog.LOGGER.error("an error")
    applog.qt_message("QtWarningMsg", "a Qt warning")
    applog.qt_message("QtDebugMsg", "a Qt debug note")
    text = read(log)
    assert "RuntimeWarning: a Python warning" in text and "ERROR optplayground: an error" in text
    assert "WARNING optplayground.qt: a Qt warning" in text and "debug note" not in text


def test_uncaught_exceptions_are_logged_and_still_reported(log, monkeypatch):
    seen = []
    applog._started["excepthook"] = lambda *info: seen.append(info[0])  # the previous hook
    try:
        raise ValueError("boom")
    except ValueError:
        sys.excepthook(*sys.exc_info())
    thread = threading.Thread(target=lambda: 1 / 0, name="worker-x")
    monkeypatch.setitem(applog._started, "threading_excepthook", lambda args: None)
    thread.start()
    thread.join()
    text = read(log)
    assert seen == [ValueError]
    assert "uncaught exception" in text and "ValueError: boom" in text
    assert "uncaught exception in thread worker-x" in text and "ZeroDivisionError" in text


def test_an_unwritable_place_means_no_log_and_no_hooks(tmp_path):
    before = sys.excepthook, threading.excepthook
    (tmp_path / "a-file").write_text("")
    assert applog.start(tmp_path / "a-file" / "optplayground.log") is None
    assert applog.current_path() is None and (sys.excepthook, threading.excepthook) == before


def test_the_file_rotates(log, monkeypatch):
    handler = applog._started["handler"]
    monkeypatch.setattr(handler, "maxBytes", 2000)
    for i in range(100):
        applog.LOGGER.warning("line %d %s", i, "x" * 50)
    assert log.with_name("optplayground.log.1").exists()
    assert not log.with_name(f"optplayground.log.{applog.BACKUPS + 1}").exists()
    applog.stop()
    assert sys.excepthook is not applog._log_uncaught
    assert not any(isinstance(h, logging.handlers.RotatingFileHandler)
                   for h in applog.LOGGER.handlers)
