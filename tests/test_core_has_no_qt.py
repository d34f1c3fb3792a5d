"""optplayground.core must never import Qt: it runs headless, in the CLI and in workers."""
import subprocess
import sys


def test_importing_the_core_loads_no_qt():
    code = (
        "import sys, optplayground.core.engine, optplayground.core.experiment, "
        "optplayground.core.surfaces, optplayground.core.expression, optplayground.core.history, "
        "optplayground.core.optimizers, optplayground.core.ranger, optplayground.core.schedules, "
        "optplayground.cli\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('PySide6', 'shiboken6', 'pyqtgraph', 'PyQt5', 'PyQt6'))\n"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"core imported Qt modules: {out.stdout.strip()}"
