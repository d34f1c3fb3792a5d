"""TOML text within the limits a stranger's file must keep, and a writer for ours.

Reading: only a regular file of at most MAX_FILE_BYTES, UTF-8, tables and arrays nested at
most MAX_DEPTH deep; every failure is one ConfigError("file", ...). Writing: a small TOML
writer for the experiment's own structure (experiment.py says what goes in it).
"""
from __future__ import annotations

import math
import os
import stat
import sys
import tomllib
from typing import Any

from .i18n import tr
from .params import ConfigError

MAX_FILE_BYTES = 1 << 20  # 1 MiB; a file of 100 runs is ~10 KiB
MAX_DEPTH = 16  # tables and arrays nested in each other (ours go 4 deep)


def parse_toml(text: str) -> dict:
    """The tables of TOML `text`; whatever the text holds, the only error is a ConfigError."""
    if len(text) > MAX_FILE_BYTES:
        raise ConfigError("file", tr("larger than {size} KiB", size=MAX_FILE_BYTES // 1024))
    try:
        data = tomllib.loads(text.removeprefix("\ufeff"))  # a BOM some editors write
    except tomllib.TOMLDecodeError as e:
        # An error at the end of the text comes without a line: name the last one.
        last = tr("(at the end, line {n})", n=text.rstrip().count(chr(10)) + 1)
        raise ConfigError("file", tr("not valid TOML: {error}", error=str(e).replace("(at end of document)", last))) \
            from None
    except RecursionError:
        raise ConfigError("file", tr("nested more than {depth} levels deep", depth=MAX_DEPTH)) from None
    except MemoryError:
        raise ConfigError("file", tr("too large to read")) from None
    except ValueError as e:  # an integer past Python's digit limit
        if "digits" in str(e):
            e = tr("a whole number has more than {n} digits", n=sys.get_int_max_str_digits())
        raise ConfigError("file", tr("not valid TOML: {error}", error=e)) from None
    check_depth(data)
    return data


def check_depth(data: Any) -> None:
    """Refuse tables and arrays nested more than MAX_DEPTH deep (without recursing)."""
    level = [data]
    for _ in range(MAX_DEPTH + 1):
        level = [v for item in level
                 for v in (item.values() if isinstance(item, dict) else item)
                 if isinstance(v, (dict, list))]
        if not level:
            return
    raise ConfigError("file", tr("nested more than {depth} levels deep", depth=MAX_DEPTH))


def read_limited(path: str, limit: int = MAX_FILE_BYTES) -> bytes:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except (OSError, ValueError) as e:  # ValueError: a NUL in the name
        raise ConfigError("file", tr("cannot read {path}: {error}", path=path,
                                         error=getattr(e, 'strerror', None) or e)) \
            from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ConfigError("file", tr("cannot read {path}: not a regular file", path=path))
        with os.fdopen(fd, "rb", closefd=False) as f:
            raw = f.read(limit + 1)
    except OSError as e:
        raise ConfigError("file", tr("cannot read {path}: {error}", path=path, error=e.strerror or e)) from None
    finally:
        os.close(fd)
    if len(raw) > limit:
        raise ConfigError("file", tr("{path} is larger than {size} KiB", path=path, size=limit // 1024))
    return raw


def decode(raw: bytes, path: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError("file", tr("{path} is not UTF-8 text", path=path)) from None


def to_toml(data: dict, prefix: str = "") -> str:
    """A small TOML writer for our own structure: scalars, arrays, tables, arrays of tables.

    None (an optional value left empty, e.g. L-BFGS max_eval) is left out: reading the file
    back gives the default, None, again."""
    scalars = [(k, v) for k, v in data.items()
               if v is not None and (not isinstance(v, (dict, list)) or _is_array(v))]
    tables = [(k, v) for k, v in data.items() if isinstance(v, dict)]
    table_lists = [(k, v) for k, v in data.items() if isinstance(v, list) and not _is_array(v)]
    lines = [f"{_key(k)} = {_value(v)}" for k, v in scalars]
    for key, table in tables:
        lines.append(f"\n[{prefix}{_key(key)}]")
        lines.append(to_toml(table, f"{prefix}{_key(key)}.").strip("\n"))
    for key, items in table_lists:
        for item in items:
            lines.append(f"\n[[{prefix}{_key(key)}]]")
            lines.append(to_toml(item, f"{prefix}{_key(key)}.").strip("\n"))
    return "\n".join(line for line in lines if line != "") + "\n"


def _is_array(v: Any) -> bool:
    return isinstance(v, (list, tuple)) and not any(isinstance(x, dict) for x in v)


def _key(k: str) -> str:
    return k if k.replace("_", "").replace("-", "").isalnum() and k.isascii() else _value(k)


# TOML basic strings: `"`, `\` and every control character must be escaped (TOML forbids
# U+0000-U+001F and U+007F raw); the C1 controls U+0080-U+009F are escaped too, being invisible.
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f",
            "\r": "\\r"}
_ESCAPES.update({chr(c): f"\\u{c:04X}" for c in (*range(0x20), *range(0x7F, 0xA0))
                 if chr(c) not in _ESCAPES})


def _basic_string(text: str) -> str:
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in text):  # e.g. undecodable bytes in argv
        raise ConfigError("", tr("TOML cannot store {text}: it is not valid Unicode text",
                                 text=repr(text)))
    return '"' + "".join(_ESCAPES.get(ch, ch) for ch in text) + '"'


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return _basic_string(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if v is None:
        raise ConfigError("", tr("TOML cannot store an empty value"))
    raise TypeError(f"cannot write {type(v).__name__} to TOML")
