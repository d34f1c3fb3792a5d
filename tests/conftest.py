"""Shared fixtures. Qt runs offscreen; a GUI test may not leave threads, timers or windows."""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _no_qt_leaks(request):
    """Fail a test that leaves a running QThread, an active QTimer or a top-level window."""
    yield
    if "qtbot" not in request.fixturenames:
        return
    from PySide6.QtCore import QCoreApplication, QThread, QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        return
    QCoreApplication.processEvents()
    leaks = []
    for widget in QApplication.topLevelWidgets():
        if widget.isVisible():
            leaks.append(f"visible top-level widget {type(widget).__name__}")
    for obj in _all_qobjects(app):
        if isinstance(obj, QThread) and obj.isRunning():
            leaks.append(f"running QThread {obj.objectName() or type(obj).__name__}")
        elif isinstance(obj, QTimer) and obj.isActive():
            leaks.append(f"active QTimer {obj.objectName() or '(unnamed)'}")
    assert not leaks, "test left Qt objects behind: " + "; ".join(leaks)


def _all_qobjects(app):
    from PySide6.QtCore import QObject
    from PySide6.QtWidgets import QApplication

    roots = [app, *QApplication.topLevelWidgets()]
    seen = []
    for root in roots:
        seen.append(root)
        seen.extend(root.findChildren(QObject))
    return seen
