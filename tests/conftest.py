"""Shared fixtures. Qt runs offscreen; a GUI test may not leave threads, timers or windows."""
import gc
import os
import sys
import textwrap

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["OPTPLAYGROUND_LANG"] = "en"  # the tests read English texts, whatever the locale

import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

# The suite gates every merge, so its property tests draw the same examples on every run
# (a CI run once failed on an example no local run had drawn). To hunt for new failures:
# `make test ARGS="--hypothesis-profile=explore"` (random examples, each run different).
settings.register_profile("gate", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile("gate")

pytest.register_assert_rewrite("fuzz_checks")  # a helper of the test_fuzz*.py modules


@pytest.fixture(autouse=True)
def _no_qt_leaks(request):
    """Fail a test that leaves a running QThread, an active QTimer or a top-level window."""
    yield
    if "qtbot" not in request.fixturenames:
        return
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtWidgets import QApplication

    if QApplication.instance() is None:
        return
    QCoreApplication.processEvents()
    leaks = qt_leaks()
    assert not leaks, "test left Qt objects behind: " + "; ".join(leaks)


def qt_leaks() -> list[str]:
    """What is still alive and busy: visible top-level widgets, running threads, active timers.

    Threads and timers are found among all Python objects as well as in the object trees:
    the engine's QThread has no Qt parent, and its worker's timers live in that thread."""
    from PySide6.QtCore import QThread, QTimer
    from PySide6.QtWidgets import QApplication

    leaks = [f"visible top-level widget {type(w).__name__}"
             for w in QApplication.topLevelWidgets() if w.isVisible()]
    seen = set()
    for obj in _all_qobjects(QApplication.instance()):
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, QThread) and obj.isRunning():
            leaks.append(f"running QThread {obj.objectName() or type(obj).__name__}")
        elif isinstance(obj, QTimer) and _alive(obj) and obj.isActive():
            leaks.append(f"active QTimer {obj.objectName() or '(unnamed)'}")
    return leaks


def _alive(obj) -> bool:
    import shiboken6

    return shiboken6.isValid(obj)


def _all_qobjects(app):
    from PySide6.QtCore import QObject, QThread, QTimer
    from PySide6.QtWidgets import QApplication

    seen, collecting = [], gc.isenabled()
    gc.disable()  # a widget in a reference cycle freed by the collector mid-scan would
    try:  # leave a dead root in this list ("Internal C++ object already deleted")
        for root in [app, *QApplication.topLevelWidgets()]:
            seen.append(root)
            seen.extend(root.findChildren(QObject))
    finally:
        if collecting:
            gc.enable()
    # type(), not isinstance(): that would ask lazy module proxies for __class__ (warnings)
    seen.extend(o for o in gc.get_objects() if issubclass(type(o), (QThread, QTimer)))
    return seen


@pytest.fixture(autouse=True)
def _import_policy_per_test():
    """Each test starts with nothing allowed to import (core/trust.py) and leaves it so."""
    from optplayground.core.trust import POLICY

    POLICY.reset()
    yield
    POLICY.reset()


@pytest.fixture
def allow_fake_optimizers():
    """Allow tests/fake_optimizers.py, as --allow-import or the window's dialog would."""
    from optplayground.core.trust import POLICY

    POLICY.allow("fake_optimizers")


@pytest.fixture
def marker_module(tmp_path, monkeypatch):
    """make(name) -> marker: a module `name` in tmp_path/"mods", put on sys.path, whose
    top-level code appends "x" to the marker file (so a test sees whether it was imported)
    and which defines `Opt`, a torch.optim.SGD subclass. Forgotten by sys.modules after."""
    folder = tmp_path / "mods"
    names = []

    def make(name: str):
        marker = tmp_path / "imported"
        folder.mkdir(exist_ok=True)
        (folder / f"{name}.py").write_text(textwrap.dedent(f"""
            open({str(marker)!r}, "a").write("x")
            import torch
            class Opt(torch.optim.SGD):
                pass
        """))
        monkeypatch.syspath_prepend(str(folder))
        sys.modules.pop(name, None)
        names.append(name)
        return marker

    yield make
    for name in names:
        sys.modules.pop(name, None)


@pytest.fixture(scope="module")
def warm_torch():
    """torch's first optimizer step imports a lot (seconds): not inside a timed example."""
    from optplayground.core.engine import Engine
    from optplayground.core.experiment import Experiment, Run

    Engine(Experiment(runs=[Run("warm", "sgd")], steps=1, device="cpu")).run_to_end()
