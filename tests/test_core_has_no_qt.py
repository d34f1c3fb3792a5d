"""optplayground.core must never import Qt: it runs headless, in the CLI and in workers."""
import pkgutil
import subprocess
import sys

import optplayground.core


def test_importing_the_core_loads_no_qt():
    modules = [f"optplayground.core.{m.name}" for m in pkgutil.iter_modules(optplayground.core.__path__)]
    assert len(modules) >= 15  # every module of the package, found by walking it
    code = (
        f"import sys, optplayground.cli, {', '.join(modules)}\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('PySide6', 'shiboken6', 'pyqtgraph', 'PyQt5', 'PyQt6'))\n"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"core imported Qt modules: {out.stdout.strip()}"
