"""Imports that wait until they are used, for commands that only read specs (`list`).

The registries (surfaces, optimizers, schedules, datasets, losses) touch torch only inside
functions, so with `defer_torch()` first, importing them costs no torch import (3-4 s here);
torch loads the moment anything uses it. tests/test_cli_native.py keeps them that way.
"""
from __future__ import annotations

import importlib
import importlib.util
import sys
import types


def defer_torch() -> None:
    """Make `import torch` free until torch is used (a no-op when it is imported already).

    sys.modules gets an empty torch module whose first missing attribute runs torch's own
    code in it; everyone who imported it holds that same object, so nothing can tell. (The
    standard library's LazyLoader would load at the next `import torch` already: on Python
    3.11 an import statement reads `__spec__` of a module it finds in sys.modules.)"""
    if "torch" in sys.modules:
        return
    spec = importlib.util.find_spec("torch")
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    module.__dict__.pop("__path__", None)  # importing a submodule must load torch first
    module.__class__ = _NotYetLoaded
    sys.modules["torch"] = module


class _NotYetLoaded(types.ModuleType):
    def __getattr__(self, name: str):
        self.__class__ = types.ModuleType  # an ordinary module from now on
        spec = self.__spec__
        if spec.submodule_search_locations is not None:
            self.__path__ = spec.submodule_search_locations
        spec.loader.exec_module(self)
        return getattr(self, name)


def torch_loaded() -> bool:
    """Whether torch's code has run (a deferred torch that nothing used has not)."""
    return "torch._C" in sys.modules


class Deferred:
    """A module imported at its first attribute access, for a name bound at import time:
    `sched = Deferred("torch.optim.lr_scheduler")`, then `sched.StepLR(...)` as usual."""

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attribute: str):
        return getattr(importlib.import_module(self._name), attribute)
