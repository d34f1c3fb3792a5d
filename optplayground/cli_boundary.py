"""The command line's boundary: whatever goes wrong becomes one line and an exit status.

Bad input is a ConfigError (one line on stderr, exit 2, no file written). What Python
itself raises on hostile input (a name that cannot be encoded, a recursion or memory
limit, an OS error) is said the same way; a closed pipe (`optplayground list … | head -1`)
ends quietly; SIGTERM and Ctrl+C stop the command and leave no temporary file behind.
"""
from __future__ import annotations

import os
import signal
import sys
import threading
from typing import Callable

from .core.atomic import remove_pending
from .core import i18n
from .core.i18n import tr
from .core.params import ConfigError

EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_PIPE_CLOSED, EXIT_TERMINATED = 2, 130, 141, 143
SIZE_RANGE = (100, 8192)  # `shot --size`: each side, in pixels


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the program is, so that clean-ups run as for Ctrl+C (a race
    step does not swallow it: the engine lets KeyboardInterrupt through on the main thread)."""


def guarded(command: Callable[[], int]) -> int:
    """Run `command` and turn every way it can fail into an exit status."""
    _prepare()
    try:
        return command()
    except ConfigError as error:
        say(tr("optplayground: error: {error}", error=error))
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        _quiet_stdout()
        return EXIT_PIPE_CLOSED
    except Terminated:
        remove_pending()
        return EXIT_TERMINATED
    except KeyboardInterrupt:
        remove_pending()
        return EXIT_INTERRUPTED
    except (OSError, RecursionError, MemoryError, UnicodeError, OverflowError) as error:
        remove_pending()
        say(tr("optplayground: error: {error}", error=f"{type(error).__name__}: {error}"))
        return EXIT_BAD_INPUT


def take_lang_option(argv: list[str]) -> list[str]:
    """`--lang CODE` (or `--lang=CODE`) anywhere on a command line: set the language for this
    process and its children, and return the other arguments. An unknown code is bad input."""
    out, it = [], iter(argv)
    for arg in it:
        if arg == "--lang" or arg.startswith("--lang="):
            value = arg.partition("=")[2] if "=" in arg else next(it, "")
            code = i18n.normalize(value)
            if code is None:
                raise ConfigError("--lang", tr("unknown language {value} (known: {known})",
                                               value=repr(value), known=", ".join(i18n.LANGUAGES)))
            i18n.set_language(code)  # the environment too: the engine's process inherits it
        else:
            out.append(arg)
    return out


def say(line: str) -> None:
    try:
        print(line, file=sys.stderr)
    except (OSError, ValueError):  # stderr is gone too
        pass


def _prepare() -> None:
    """Text that cannot be encoded (a file name of undecodable bytes) prints escaped, and
    SIGTERM becomes an exception (its default ends the process where it stands)."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate)


def _terminate(signum, frame) -> None:
    raise Terminated()


def _quiet_stdout() -> None:
    """Python would complain once more when it flushes stdout at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def parse_size(text: str) -> tuple[int, int]:
    """'1600x1000' -> (1600, 1000), each side within SIZE_RANGE."""
    low, high = SIZE_RANGE
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise ConfigError("--size", f"expected WIDTHxHEIGHT, got {text!r}") from None
    if not (low <= width <= high and low <= height <= high):
        raise ConfigError("--size", f"each side must be {low} to {high} pixels, got {text!r}")
    return width, height


def check_outputs(outputs: dict[str, str | None], inputs: tuple[str, ...]) -> None:
    """Every output path given (flag -> path) can take its file, is not an input, and no
    two flags name the same file. An empty name is refused, not taken for "none"."""
    from .core.atomic import check_writable

    seen: dict[str, str] = {}
    for flag, path in outputs.items():
        if path is None:
            continue
        check_writable(path, flag, inputs)
        key = os.path.normcase(os.path.abspath(path))
        if key in seen:
            raise ConfigError(flag, f"names the same file as {seen[key]}: {path}")
        seen[key] = flag
