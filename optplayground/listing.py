"""`optplayground list WHAT`: what can be chosen, with parameters and defaults.

Listing is for a person at a terminal, so it must answer at once: each kind imports only
the module that defines it, with torch deferred (core/lazy.py), and `presets` reads the
files alone. Nothing runs torch's code (3-4 s here).
"""
from __future__ import annotations

import textwrap
from dataclasses import replace

KINDS = ("surfaces", "optimizers", "schedules", "datasets", "losses", "presets")


def list_kind(what: str) -> int:
    if what == "presets":
        return _list_presets()
    for spec in _specs(what):
        print(f"{spec.name:<18} {_title(what, spec)}")
        if what == "optimizers" and (why := _not_batched(spec.name)):
            print(f"    (not batched: {why})")
        for p in spec.params:
            print(f"    {p.name:<22} = {_default(p.default):<14} {p.range_text():<16} {p.help}")
    if what == "optimizers":
        print(f"{'module:Class':<18} any torch.optim.Optimizer by import path "
              f"(not batched: {_not_batched('module:Class')})")
    return 0


def _not_batched(name: str) -> str | None:
    from .core.batched.coverage import not_batched_reason

    return not_batched_reason(name)


def _specs(what: str) -> list:
    from .core.lazy import defer_torch

    defer_torch()  # the registries' modules import torch, but reading them never uses it
    if what == "surfaces":
        from .core.surfaces import SURFACES

        return list(SURFACES.values())
    if what == "optimizers":
        from .core.optimizers import LOOKAHEAD, OPTIMIZERS

        return [*OPTIMIZERS.values(), replace(LOOKAHEAD, title=f"{LOOKAHEAD.title}: wraps any of "
                                                               "the above (--lookahead k=…,alpha=…)")]
    if what == "schedules":
        from .core.schedules import SCHEDULES

        return list(SCHEDULES.values())
    if what == "datasets":
        from .core.datasets import DATASETS

        return list(DATASETS.values())
    if what == "losses":
        from .core.losses import LOSSES

        return list(LOSSES.values())
    raise ValueError(f"unknown kind {what!r}")


def _title(what: str, spec) -> str:
    """Datasets and losses say which task they are for: a loss must suit its dataset."""
    if what == "datasets":
        classes = f", {spec.n_classes} classes" if spec.task == "classification" else ""
        return f"{spec.title} ({spec.task}{classes}; default loss {spec.default_loss})"
    if what == "losses":
        return f"{spec.title} ({spec.task})"
    return spec.title


def _default(value) -> str:
    from .core.params import format_value

    return format_value(value)


def _list_presets() -> int:
    """Each preset's name and title, then the first sentence of its description."""
    from .core.presets import list_presets

    for preset in list_presets():
        print(f"{preset.name:<28} {preset.title}")
        first = preset.description.split(". ")[0].rstrip(".") + "."
        print("    " + textwrap.shorten(first, 96, placeholder=" …"))
    return 0
