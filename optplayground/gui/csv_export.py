"""The CSV of every run and beside it the runs' results (`<stem>.summary.csv`, both or
neither: core/results.py), written on a thread of its own while the window and the race go on.

A copy of the rows is taken first (the race appends to the original); the thread talks to
the window only through queued signals; it keeps off the GIL while the window draws a frame
(FrameHold); closing the window cancels it (the temporary file goes, the target stays).
"""
from __future__ import annotations

import threading
import time
from typing import Callable

from PySide6.QtCore import QEvent, QObject, Signal, Slot

from ..core.atomic import check_writable
from ..core.i18n import tr
from ..core.params import ConfigError
from ..core.results import summary_path
from . import export


class CsvExport(QObject):
    _progress = Signal(str, int, int)  # path, rows written, rows in all
    _ended = Signal(str, str)  # path, error message ("" once written)

    def __init__(self, window, written: Callable[[str], None]):
        """`written(path)` is called once a file is written."""
        super().__init__(window)
        self.window = window
        self._written = written
        self._thread: threading.Thread | None = None
        self._cancel = threading.Event()
        self._progress.connect(self._on_progress)  # emitted on the export thread:
        self._ended.connect(self._on_ended)  # queued to these main-thread slots
        window.installEventFilter(self)

    @property
    def exporting(self) -> bool:
        return self._thread is not None

    def start(self, history, path: str, minima=()) -> bool:
        """Start writing `history`'s rows to `path` and their results beside it (distances
        to `minima`); False (and a message) if it cannot."""
        if self.exporting:
            self.window.show_error(tr("Cannot export"), tr("A CSV export is still being written"))
            return False
        try:
            for target in (path, summary_path(path)):  # a bad place is said now, not after the copy
                check_writable(target, "output")
        except ConfigError as error:
            self.window.show_error(tr("Cannot export"), str(error))
            return False
        rows = export.snapshot(history)  # the race appends to the original
        self._cancel = threading.Event()
        self._thread = threading.Thread(target=self._write, args=(rows, path, minima),
                                        name="csv-export", daemon=True)
        self._thread.start()
        self.window.statusBar().showMessage(tr("Exporting {path}…", path=path))
        return True

    def cancel(self, timeout_s: float = 1.0) -> None:
        """Stop a background CSV export; its temporary file goes, the target is untouched."""
        thread, self._thread = self._thread, None
        if thread is not None:
            self._cancel.set()
            thread.join(timeout_s)  # the flag is read between chunks of rows: milliseconds

    def _write(self, history, path: str, minima) -> None:
        """Runs on the export thread: talks to the window only through queued signals."""
        cancel, hold = self._cancel, self.window.frame_hold
        times = {"said": 0.0}

        def progress(done: int, total: int) -> bool:
            hold.wait()  # off the GIL while the window draws a frame
            now = time.perf_counter()
            if now - times["said"] >= 0.1 or done == total:
                times["said"] = now
                self._progress.emit(path, done, total)
            return not cancel.is_set()

        try:
            written = export.save_csv(history, path, progress, minima)
            message = "" if written else None
        except ConfigError as error:
            message = str(error)
        except Exception as error:  # noqa: BLE001 — say it in the window, never lose it
            message = tr("cannot write {path}: {error}", path=path, error=f"{type(error).__name__}: {error}")
        if message is not None:
            self._ended.emit(path, message)

    @Slot(str, int, int)
    def _on_progress(self, path: str, done: int, total: int) -> None:
        if self.exporting:
            self.window.statusBar().showMessage(tr("Exporting {path}…", path=path) + f" {100 * done // max(total, 1)}%")

    @Slot(str, str)
    def _on_ended(self, path: str, message: str) -> None:
        if not self.exporting:  # cancelled: the window is closing
            return
        self._thread.join()  # it has finished but for returning
        self._thread = None
        if message:
            self.window.show_error(tr("Cannot export"), message)
            return
        self._written(path)
        self.window.statusBar().showMessage(written_message(path), 5000)

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.Type.Close:  # watching only the window
            self.cancel()  # closing never waits for an export
        return False


def written_message(path: str) -> str:
    """The status line after a CSV export: both files it wrote."""
    return tr("Wrote {path} and {summary}", path=path, summary=summary_path(path))
