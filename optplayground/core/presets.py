"""Curated experiments that each teach one thing, shipped as TOML files in the package.

The files live in `optplayground/resources/presets`, found through importlib.resources so
they load the same from a checkout, an installed wheel or a PyInstaller bundle. A preset's
name is its file stem; its title and description are the experiment's `name` and
`description`.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib.resources import files
from typing import TYPE_CHECKING

from .i18n import tr
from .params import ConfigError

if TYPE_CHECKING:
    from .experiment import Experiment

PRESET_DIR = files("optplayground") / "resources" / "presets"

# Teaching order: the learning rate, then momentum and adaptivity, noise, safety nets,
# schedules, combinations, then training on a dataset. Files not listed here follow
# alphabetically.
ORDER = (
    "lr_too_high",
    "momentum_valley",
    "saddle_escape",
    "himmelblau_basins",
    "noisy_quadratic_low_noise",
    "noisy_quadratic_high_noise",
    "clipping_tames_explosions",
    "warmup_cosine",
    "plateau_schedule",
    "adam_then_sgd",
    "lookahead_wrapper",
    "ranger_radam_adam",
    "lbfgs_vs_first_order",
    "linear_regression_tutorial",  # a dataset race, and its (w, b) surface: the bridge
    "basins_himmelblau",  # thousands of runs at once: where each start ends up,
    "lr_momentum_sweep",  # and which settings work
)


@dataclass(frozen=True)
class Preset:
    name: str         # file stem, what `--preset` takes
    title: str        # the experiment's name
    description: str  # what to watch for and why it happens


def preset_names() -> list[str]:
    """Every preset's name in teaching order."""
    found = {entry.name[:-5] for entry in PRESET_DIR.iterdir()
             if entry.name.endswith(".toml") and entry.is_file()}
    return [n for n in ORDER if n in found] + sorted(found - set(ORDER))


def list_presets() -> list[Preset]:
    """Read from the files alone: listing needs neither torch nor the registries (fast)."""
    presets = []
    for name in preset_names():
        data = tomllib.loads((PRESET_DIR / f"{name}.toml").read_text(encoding="utf-8"))
        presets.append(Preset(name, data.get("name", "untitled"), data.get("description", "")))
    return presets


def load_preset(name: str) -> Experiment:
    """The preset's experiment as its file says it (call `experiment.validate` to check it)."""
    names = preset_names()
    if name not in names:
        raise ConfigError("preset", tr("unknown preset {name} (known: {known})", name=repr(name),
                                       known=", ".join(names)))
    from . import experiment as xp

    text = (PRESET_DIR / f"{name}.toml").read_text(encoding="utf-8")
    try:
        return xp.loads(text)  # (its [swarm] table, if any: preset_swarm_view)
    except ConfigError as e:  # a broken shipped file: say which one
        where = f"preset {name}" + (f": {e.field}" if e.field else "")
        raise ConfigError(where, e.message) from None


def preset_swarm_view(name: str):
    """The preset's swarm view (core/swarm_preset.py), or None where it has none."""
    if name not in preset_names():
        return None
    data = tomllib.loads((PRESET_DIR / f"{name}.toml").read_text(encoding="utf-8"))
    if "swarm" not in data:
        return None
    from .swarm_preset import swarm_view

    return swarm_view(data["swarm"], f"preset {name}: swarm")


__all__ = ["PRESET_DIR", "ORDER", "Preset", "preset_names", "list_presets", "load_preset",
           "preset_swarm_view"]
