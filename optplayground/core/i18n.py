"""The interface's language: every text a person reads goes through `tr` (core, CLI, window).

    from optplayground.core.i18n import tr
    label = tr("Learning rate")                  # -> "学习率" in Chinese, the text itself in English
    line = tr("Wrote {path}", path=out)          # placeholders are filled after translating

The English text is the key. Catalogs are JSON files, resources/i18n/<language>.json, of
{"English text": "translation"}; a text missing from the catalog shows in English and is
remembered in `misses` (tests/test_i18n.py lists them). Texts defined as data (a spec's help,
a preset's title) stay English where they are defined and are translated where they are
shown: `tr(spec.help)`. No Qt here: the core's error messages use it too.

The language: `--lang` on the command line or OPTPLAYGROUND_LANG (both set the environment,
which the engine's child process inherits), else the window's saved choice, else the
system's locale (LANGUAGE, LC_ALL, LC_MESSAGES, LANG).
"""
from __future__ import annotations

import json
import os
from importlib.resources import files

LANGUAGES = {"en": "English", "zh_CN": "简体中文"}  # code -> its own name
ENV = "OPTPLAYGROUND_LANG"

_state = {"language": None, "catalog": {}}
misses: set[str] = set()  # texts asked for in a non-English language that have no translation


def tr(text: str, /, **fields) -> str:
    """`text` in the current language, with `fields` filled in by str.format."""
    if _state["language"] is None:
        set_language(None)
    out = _state["catalog"].get(text)
    if out is None:
        out = text
        if _state["language"] != "en" and text:
            misses.add(text)
    return out.format(**fields) if fields else out


def translated(text: str) -> str:
    """`text`'s translation where the catalog has one, else `text` unchanged and not counted
    as missing: for texts that are a user's data or ours (an experiment's name, say)."""
    if _state["language"] is None:
        set_language(None)
    return _state["catalog"].get(text, text)


def language() -> str:
    if _state["language"] is None:
        set_language(None)
    return _state["language"]


def normalize(name: str | None) -> str | None:
    """A language code we have for a locale name ("zh_CN.UTF-8", "zh-Hans", "en_GB"), else None."""
    if not name:
        return None
    base = name.split(".")[0].split("@")[0].replace("-", "_").lower()
    if base in ("c", "posix") or base.startswith("en"):
        return "en"
    if base.startswith("zh"):
        return "zh_CN"  # the one Chinese catalog is in simplified characters
    return None


def system_language() -> str:
    """The locale's language if we have it (LANGUAGE may list several, first wins), else English."""
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        for name in os.environ.get(var, "").split(":"):
            if found := normalize(name):
                return found
    return "en"


def choose(saved: str | None = None) -> str:
    """The language at start-up: the environment's (--lang), else `saved`, else the system's."""
    return set_language(normalize(os.environ.get(ENV)) or normalize(saved) or system_language())


def set_language(code: str | None) -> str:
    """Switch every later `tr` to `code` (None: the environment's or the system's)."""
    code = normalize(code) or normalize(os.environ.get(ENV)) or system_language()
    _state["language"], _state["catalog"] = code, load_catalog(code)
    os.environ[ENV] = code  # child processes (the engine) speak the same language
    return code


def load_catalog(code: str, library: str = "") -> dict[str, str]:
    """Our texts in `code`; or a library's (`library.code.json`: pyqtgraph's plot menus)."""
    if code == "en":
        return {}
    name = f"{library}.{code}.json" if library else f"{code}.json"
    path = files("optplayground") / "resources" / "i18n" / name
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def translate(code: str, text: str) -> str:
    """`text` in language `code`, whatever the current one (e.g. "applies on restart")."""
    return load_catalog(normalize(code) or "en").get(text, text)

