"""Atomic writes: a temporary file beside the target, then a rename."""
from __future__ import annotations

import os
import tempfile
from typing import Callable

from .params import ConfigError


def check_writable(path: str, where: str) -> None:
    """Fail before a long race when `path` cannot take the file: its folder is missing, it
    is a folder, or the folder refuses a new file (tried for real: permissions, read-only
    mounts and pseudo file systems all answer the same way then)."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        reason = "is not a folder" if os.path.exists(folder) else "does not exist"
        raise ConfigError(where, f"cannot write {path}: {folder} {reason}")
    if os.path.isdir(path):
        raise ConfigError(where, f"cannot write {path}: it is a folder")
    try:
        fd, probe = tempfile.mkstemp(prefix=".optplayground-", suffix=".tmp", dir=folder)
    except OSError as e:
        raise ConfigError(where, f"cannot write {path}: {e.strerror or e}") from None
    os.close(fd)
    os.unlink(probe)


def write_atomic(path: str, write: Callable[[str], None]) -> None:
    """Call write(tmp_path), then move it onto `path`. An existing file is never half-written.

    Raises ConfigError("output", ...) with a readable reason when the place is not writable.
    """
    folder = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(prefix=".optplayground-", suffix=".tmp", dir=folder)
    except OSError as e:
        raise ConfigError("output", f"cannot write {path}: {e.strerror or e}") from None
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, _mode_for(path))  # mkstemp makes 0600; a user's file should not be
        os.replace(tmp, path)
    except OSError as e:
        raise ConfigError("output", f"cannot write {path}: {e.strerror or e}") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _mode_for(path: str) -> int:
    """The mode of the file being replaced, else what a plain open() would give."""
    try:
        return os.stat(path).st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_text_atomic(path: str, text: str) -> None:
    def write(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            f.write(text)

    write_atomic(path, write)
