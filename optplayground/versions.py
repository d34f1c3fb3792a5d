"""The versions of this app and of what it runs on, read from the installed packages'
metadata: nothing is imported, so `optplayground --version` answers at once."""
from __future__ import annotations

import platform
from importlib import metadata

from . import __version__

# distribution name -> how a person calls it
PARTS = {"torch": "torch", "PySide6-Essentials": "Qt for Python (PySide6)",
         "pyqtgraph": "pyqtgraph", "numpy": "numpy"}


def installed(distribution: str) -> str:
    """The installed version, or "not found" (e.g. a bundle that carries no metadata)."""
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not found"


def version_lines() -> list[str]:
    lines = [f"optplayground {__version__}", f"Python {platform.python_version()}"]
    return lines + [f"{label} {installed(name)}" for name, label in PARTS.items()]
