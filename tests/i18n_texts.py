"""Every text the interface translates, found without running the window: the literals
given to `tr(...)` in the source, and the texts of the registries and presets (specs keep
their English where they are defined and are translated where shown).

    python -m tests.i18n_texts zh_CN    # prints the catalog's missing entries as JSON

(the lead pastes them into optplayground/resources/i18n/zh_CN.json and translates them).
"""
from __future__ import annotations

import ast
import json
import sys
from functools import cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "optplayground"


@cache
def parsed_sources() -> tuple:
    """(path, ast) of every module of the package, parsed once."""
    return tuple((path, ast.parse(path.read_text(encoding="utf-8")))
                 for path in sorted(PACKAGE.rglob("*.py")))


def tr_literals() -> dict[str, str]:
    """Text -> where: every `tr("literal", ...)` call in the package."""
    found = {}
    for path, tree in parsed_sources():
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id == "tr" and node.args
                    and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                found.setdefault(node.args[0].value, f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    return found


def string_constants() -> set[str]:
    """Every string constant of the package's source (a text handed to tr() indirectly)."""
    out = set()
    for _path, tree in parsed_sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                out.add(node.value)
    return out


def spec_texts() -> dict[str, str]:
    """Text -> which spec: titles, explanations, formulas and parameter help of every registry."""
    from optplayground.core.datasets import DATASETS
    from optplayground.core.experiment import CLIP_PARAMS
    from optplayground.core.losses import LOSSES
    from optplayground.core.models import MODEL_PARAMS
    from optplayground.core.optimizers import LOOKAHEAD, OPTIMIZERS
    from optplayground.core.schedules import SCHEDULES
    from optplayground.core.surfaces import SURFACES

    found: dict[str, str] = {}

    def add(text: str, where: str) -> None:
        if text:
            found.setdefault(text, where)

    def params(items, where: str) -> None:
        for p in items:
            add(p.help, f"{where}.{p.name}")

    for kind, registry in (("surface", SURFACES), ("optimizer", {**OPTIMIZERS, "lookahead": LOOKAHEAD}),
                           ("schedule", SCHEDULES), ("dataset", DATASETS), ("loss", LOSSES)):
        for name, spec in registry.items():
            where = f"{kind} {name}"
            add(spec.title, where)
            add(spec.help, where)
            add(spec.formula, f"{where} formula")
            params(spec.params, where)
    params(MODEL_PARAMS, "model")
    params(CLIP_PARAMS, "clip")
    return found


def preset_texts() -> dict[str, str]:
    from optplayground.core.experiment import default_experiment
    from optplayground.core.presets import list_presets

    first = default_experiment()  # what the window greets a person with
    found = {first.name: "default experiment", first.description: "default experiment"}
    for preset in list_presets():
        found.setdefault(preset.title, f"preset {preset.name}")
        found.setdefault(preset.description, f"preset {preset.name}")
    return found


def all_texts() -> dict[str, str]:
    return {**spec_texts(), **preset_texts(), **tr_literals()}


if __name__ == "__main__":
    from optplayground.core.i18n import load_catalog

    catalog = load_catalog(sys.argv[1] if len(sys.argv) > 1 else "zh_CN")
    missing = {text: "" for text in all_texts() if text not in catalog}
    print(json.dumps(missing, ensure_ascii=False, indent=1))
