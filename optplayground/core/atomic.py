"""Atomic writes: a temporary file beside the target, flushed to disk, then a rename.

Only regular files are written: a path that is a device (/dev/null, /dev/full), a FIFO, a
socket or a folder is refused, so a rename never replaces one. A write interrupted by a
signal leaves no temporary file: each is registered while it exists, and `remove_pending`
(the CLI's SIGTERM/Ctrl+C path) deletes what is left. Inside `all_or_nothing()` several
writes become one: every file is written first, then all are renamed; if any fails, none
of the new files stays.
"""
from __future__ import annotations

import contextlib
import os
import stat
import tempfile
import threading
from typing import Callable, Iterable, Iterator

from .params import ConfigError
from .i18n import tr

TMP_PREFIX, TMP_SUFFIX = ".optplayground-", ".tmp"
_pending: set[str] = set()  # temporary files that exist now
_group = threading.local()  # the all_or_nothing() group of this thread, if any


def check_writable(path: str, where: str, inputs: Iterable[str] = ()) -> None:
    """Fail before a long race when `path` cannot take the file: the name is empty or too
    long, its folder is missing, it is not a regular file (a folder, a device, a FIFO), it
    is one of `inputs` (the experiment file being read), or the folder refuses a new file
    (tried for real: permissions, read-only mounts and pseudo file systems all answer the
    same way then)."""
    if not isinstance(path, str) or not path:
        raise ConfigError(where, tr("needs a file name"))
    try:
        _check_target(path, where)
        for source in inputs:
            if source and os.path.exists(path) and os.path.samefile(path, source):
                raise ConfigError(where, tr("cannot write {path}: it is the experiment file being read",
                                                   path=path))
        folder = os.path.dirname(os.path.abspath(path))
        fd, probe = tempfile.mkstemp(prefix=TMP_PREFIX, suffix=TMP_SUFFIX, dir=folder)
    except ConfigError:
        raise
    except (OSError, ValueError) as e:  # ValueError: a NUL or an unencodable name
        raise ConfigError(where, tr("cannot write {path}: {error}", path=path,
                                     error=getattr(e, 'strerror', None) or e)) \
            from None
    os.close(fd)
    os.unlink(probe)


def _check_target(path: str, where: str) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        reason = (tr("cannot write {path}: {folder} is not a folder") if os.path.exists(folder)
                  else tr("cannot write {path}: {folder} does not exist"))
        raise ConfigError(where, reason.format(path=path, folder=folder))
    name = os.fsencode(os.path.basename(path))
    if not name:
        raise ConfigError(where, tr("cannot write {path}: it names a folder, not a file", path=path))
    if len(name) > _name_max(folder):
        raise ConfigError(where, tr("cannot write {path}: the file name is longer than {most} bytes",
                                    path=path, most=_name_max(folder)))
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return  # a new file
    if stat.S_ISDIR(mode):
        raise ConfigError(where, tr("cannot write {path}: it is a folder", path=path))
    if not stat.S_ISREG(mode):
        raise ConfigError(where, tr("cannot write {path}: not a regular file (a device, FIFO "
                                    "or socket)", path=path))


def _name_max(folder: str) -> int:
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (AttributeError, OSError, ValueError):  # Windows has no pathconf
        return 255


def write_atomic(path: str, write: Callable[[str], None]) -> None:
    """Call write(tmp_path), flush it to disk, then move it onto `path`. An existing file is
    never half-written. Inside `all_or_nothing()` the move waits for the group's end.

    Raises ConfigError("output", ...) with a readable reason when the place is not writable.
    """
    try:
        _check_target(path, "output")
        folder = os.path.dirname(os.path.abspath(path))
        fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, suffix=TMP_SUFFIX, dir=folder)
    except ConfigError:
        raise
    except (OSError, ValueError) as e:
        raise ConfigError("output", tr("cannot write {path}: {error}", path=path,
                                     error=getattr(e, 'strerror', None) or e)) \
            from None
    _pending.add(tmp)
    os.close(fd)
    group = getattr(_group, "files", None)
    try:
        write(tmp)
        os.chmod(tmp, _mode_for(path))  # mkstemp makes 0600; a user's file should not be
        _flush(tmp)
        if group is not None:
            group.append((tmp, path))
            return
        os.replace(tmp, path)
        _flush_folder(folder)
    except OSError as e:
        raise ConfigError("output", tr("cannot write {path}: {error}", path=path, error=e.strerror or e)) from None
    finally:
        if group is None or (tmp, path) not in group:
            _discard(tmp)


@contextlib.contextmanager
def all_or_nothing() -> Iterator[None]:
    """Every write_atomic in this block (this thread) lands together or not at all: the
    files are written as the block goes, renamed at its end; on any failure the temporary
    files go, and so do the new files already renamed (a file that existed before is
    replaced, never deleted)."""
    if getattr(_group, "files", None) is not None:  # nested: the outer group decides
        yield
        return
    files: list[tuple[str, str]] = []
    _group.files = files
    try:
        yield
        _group.files = None
        _rename_all(files)
    finally:
        _group.files = None
        for tmp, _ in files:
            _discard(tmp)


def _rename_all(files: list[tuple[str, str]]) -> None:
    created: list[str] = []
    try:
        for tmp, path in files:
            _check_target(path, "output")
            existed = os.path.lexists(path)
            os.replace(tmp, path)
            _pending.discard(tmp)
            if not existed:
                created.append(path)
        for folder in {os.path.dirname(os.path.abspath(p)) for _, p in files}:
            _flush_folder(folder)
    except BaseException as error:
        for path in created:
            with contextlib.suppress(OSError):
                os.unlink(path)
        if isinstance(error, OSError):
            raise ConfigError("output", tr("cannot write {path}: {error}", path=path,
                                               error=error.strerror or error)) \
                from None
        raise


def remove_pending() -> None:
    """Delete every temporary file still there (a signal cut a write short)."""
    for tmp in list(_pending):
        _discard(tmp)


def _discard(tmp: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(tmp)
    _pending.discard(tmp)


def _flush(path: str) -> None:
    """The file's bytes on disk before the rename makes it the real one."""
    fd = os.open(path, os.O_RDWR | getattr(os, "O_BINARY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _flush_folder(folder: str) -> None:
    """The rename itself on disk, where folders can be opened (POSIX)."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:  # some file systems refuse fsync on a folder: the data is safe anyway
        pass
    finally:
        os.close(fd)


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
