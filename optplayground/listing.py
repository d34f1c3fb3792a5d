"""`optplayground list WHAT`: what can be chosen, with parameters and defaults.

Listing is for a person at a terminal, so it must answer at once: each kind imports only
the module that defines it, with torch deferred (core/lazy.py), and `presets` reads the
files alone. Nothing runs torch's code (3-4 s here).
"""
from __future__ import annotations

import textwrap
from dataclasses import replace

from .core.i18n import tr

KINDS = ("surfaces", "optimizers", "schedules", "datasets", "losses", "presets")


def list_kind(what: str) -> int:
    if what == "presets":
        return _list_presets()
    for spec in _specs(what):
        print(f"{spec.name:<18} {_title(what, spec)}")
        if what == "optimizers" and (why := _not_batched(spec.name)):
            print("    " + tr("(not batched: {why})", why=tr(why)))
        for p in spec.params:
            print(f"    {p.name:<22} = {_default(p.default):<14} {p.range_text():<16} {tr(p.help)}")
    if what == "optimizers":
        print(f"{'module:Class':<18} " + tr("any torch.optim.Optimizer by import path") + " "
              + tr("(not batched: {why})", why=tr(_not_batched("module:Class"))))
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

        return [*OPTIMIZERS.values(),
                replace(LOOKAHEAD, title="Lookahead: wraps any of the above (--lookahead k=…,alpha=…)")]
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
        classes = tr(", {n} classes", n=spec.n_classes) if spec.task == "classification" else ""
        return tr("{title} ({task}{classes}; default loss {loss})", title=tr(spec.title),
                  task=tr(spec.task), classes=classes, loss=spec.default_loss)
    if what == "losses":
        return f"{tr(spec.title)} ({tr(spec.task)})"
    return tr(spec.title)


def _default(value) -> str:
    from .core.params import format_value

    return format_value(value)


def _first_sentence(text: str) -> str:
    if "。" in text:  # a Chinese description
        return text.split("。")[0] + "。"
    return text.split(". ")[0].rstrip(".") + "."


def _shorten(text: str, width: int) -> str:
    """At most `width` columns; Chinese has no spaces to cut at and its characters are two wide."""
    if not any(ord(c) >= 0x2E80 for c in text):
        return textwrap.shorten(text, width, placeholder=" …")
    return text if len(text) <= width // 2 else text[:width // 2 - 1] + "…"


def _list_presets() -> int:
    """Each preset's name and title, then the first sentence of its description."""
    from .core.presets import list_presets

    for preset in list_presets():
        print(f"{preset.name:<28} {tr(preset.title)}")
        print("    " + _shorten(_first_sentence(tr(preset.description)), 96))
    return 0
