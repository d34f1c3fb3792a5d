"""Optimizer classes named by import path ("package.module:Class"): the import itself, and
the hyperparameters a class's constructor takes.

Whether a path may be imported is core/trust.py's decision, taken before anything here runs.
core/optimizers.py makes a spec of what this reads; core/isolated.py imports the class again
in the child process that steps a user's optimizer.
"""
from __future__ import annotations

import importlib
import inspect
from typing import Any, Mapping

import torch

from .i18n import tr
from .params import ConfigError, Param
from .trust import split_import_path

# Arguments that choose an implementation, not the algorithm.
_IMPLEMENTATION_FLAGS = {"foreach", "fused", "capturable", "differentiable"}


def import_class(path: str) -> type:
    """The torch.optim.Optimizer subclass at `path` ("module:Class"): imports its module,
    so only for a path the policy allows (or one the user typed in person)."""
    module_name, class_name = split_import_path(path)
    try:
        module = importlib.import_module(module_name)
    except SystemExit as e:  # the module ran sys.exit(): a message, not the CLI's exit code
        raise ConfigError("optimizer", tr("cannot import module {module}: it called sys.exit({code})",
                                          module=repr(module_name), code=repr(e.code))) from None
    except ModuleNotFoundError as e:
        raise ConfigError("optimizer", tr("cannot import module {module}: {error} (modules are "
                                          "looked for on PYTHONPATH and among installed "
                                          "packages, never in the current folder)",
                                          module=repr(module_name), error=e)) from None
    except Exception as e:  # ImportError, or any error raised while the module runs
        raise ConfigError("optimizer", tr("cannot import module {module}: {error}",
                                          module=repr(module_name), error=e)) from None
    cls = getattr(module, class_name, None)
    if cls is None:
        raise ConfigError("optimizer", tr("module {module} has no attribute {name}",
                                          module=repr(module_name), name=repr(class_name)))
    if not (isinstance(cls, type) and issubclass(cls, torch.optim.Optimizer)):
        raise ConfigError("optimizer", tr("{path} is not a subclass of torch.optim.Optimizer", path=path))
    return cls


def constructs(cls: type):
    """A rule for an imported class, whose ranges we do not know: its own constructor checks
    the values (on a throwaway tensor), so a refusal comes before the race, by name."""
    def rule(values: Mapping[str, Any]) -> str | None:
        try:
            cls([torch.zeros(2, requires_grad=True)], **values)
        except (Exception, SystemExit) as e:  # whatever the user's class raises
            return f"{cls.__name__} refuses these values: {type(e).__name__}: {e}"
        return None
    return rule


def signature_params(cls: type, path: str) -> tuple[Param, ...]:
    try:
        signature = inspect.signature(cls.__init__)
    except (TypeError, ValueError) as e:
        raise ConfigError("optimizer", f"cannot read the constructor of {path}: {e}") from None
    params = []
    for arg in list(signature.parameters.values())[1:]:  # [0] is self
        if arg.name == "params" or arg.kind in (arg.VAR_POSITIONAL, arg.VAR_KEYWORD):
            continue
        if arg.default is arg.empty:
            raise ConfigError("optimizer", tr("{path} has a required argument {name} that "
                                              "cannot be given here", path=path, name=repr(arg.name)))
        param = _param_from_default(arg, path)
        if param is not None and arg.name not in _IMPLEMENTATION_FLAGS:
            params.append(param)
    return tuple(params)


def _param_from_default(arg: inspect.Parameter, path: str) -> Param | None:
    default, help_text = arg.default, f"{arg.name} (constructor argument of {path})"
    if isinstance(default, bool):
        return Param(arg.name, default, kind="bool", help=help_text)
    if isinstance(default, int) and "float" not in str(arg.annotation):
        return Param(arg.name, default, kind="int", help=help_text)
    if isinstance(default, (int, float)):
        return Param(arg.name, float(default), help=help_text)
    if (isinstance(default, tuple) and default
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in default)):
        return Param(arg.name, tuple(float(v) for v in default), kind="floats", help=help_text)
    return None  # anything else keeps the class's own default
