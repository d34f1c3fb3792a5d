"""Which import-path optimizers may be imported: the trust decision, shared by the command
line and the window.

An experiment file can name an optimizer by import path ("package.module:Class").
Importing a module runs its top-level code, so a stranger's file must not import anything
just by being opened or checked. Built-in names import nothing; modules of the packages the
app ships (torch, optplayground) are part of the app; any other module is imported only
once the user has allowed it: `--allow-import` on the command line, the window's dialog, or
the window's allow-list in its settings. Checking a file reads only the path's syntax.

`POLICY` is this process's decision. A process that steps what its parent checked (the
window's engine process) gets the parent's permissions with the experiment
(`Experiment.allowed_imports`, never read from a file).
"""
from __future__ import annotations

from typing import Iterable, Iterator

from .i18n import tr
from .params import ConfigError

SHIPPED_PACKAGES = ("torch", "optplayground")  # installed with the app: importing runs our own code


class ImportNotAllowed(ConfigError):
    """A file names a module the user has not allowed; nothing was imported."""

    def __init__(self, field: str, module: str):
        self.module = module
        super().__init__(field, tr("imports module {module}, which runs its code: allow it "
                                   "only if you trust it (--allow-import, or the window's "
                                   "dialog)", module=repr(module)))

    def __reduce__(self):
        return type(self), (self.field, self.module)


class ImportPolicy:
    """The modules this process may import for import-path optimizers."""

    def __init__(self, allowed: Iterable[str] = (), allow_all: bool = False):
        self.allowed = set(allowed)
        self.allow_all = allow_all

    def allows(self, module: str) -> bool:
        return self.allow_all or module in self.allowed or is_shipped(module)

    def allow(self, *modules: str) -> None:
        self.allowed.update(modules)

    def reset(self) -> None:
        self.allowed.clear()
        self.allow_all = False


POLICY = ImportPolicy()  # nothing allowed until the user says so


def is_shipped(module: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in SHIPPED_PACKAGES)


def is_import_path(name: object) -> bool:
    """An optimizer name that is an import path rather than a built-in name."""
    return isinstance(name, str) and (":" in name or "." in name)


def split_import_path(path: str, where: str = "optimizer") -> tuple[str, str]:
    """("package.module", "Class") of "package.module:Class"; only the syntax is checked
    (identifiers separated by dots, no relative import), nothing is imported."""
    module, colon, cls = path.partition(":")
    if not colon or not cls.isidentifier() or not all(p.isidentifier() for p in module.split(".")):
        hint = ""
        if not colon and "." in path:
            head, _, tail = path.rpartition(".")
            hint = tr(" (did you mean {path}?)", path=f"{head}:{tail}")
        raise ConfigError(where, tr("{path} is not an import path of the form "
                                    "'package.module:ClassName'", path=repr(path)) + hint)
    return module, cls


def import_paths(experiment) -> Iterator[tuple[str, str]]:
    """(where, name) of every import-path optimizer an experiment names: runs and switches."""
    for i, run in enumerate(experiment.runs):
        if is_import_path(run.optimizer):
            yield f"runs[{i}].optimizer", run.optimizer
        switch = getattr(run, "switch", None)
        if switch is not None and is_import_path(getattr(switch, "optimizer", None)):
            yield f"runs[{i}].switch.optimizer", switch.optimizer


def modules_to_allow(experiment, policy: ImportPolicy | None = None) -> list[str]:
    """The modules the experiment would import that `policy` does not allow yet, in order
    (a malformed path is left to validation, which refuses it without importing)."""
    policy = POLICY if policy is None else policy
    out: list[str] = []
    for where, path in import_paths(experiment):
        try:
            module, _ = split_import_path(path, where)
        except ConfigError:
            continue
        if not policy.allows(module) and module not in out:
            out.append(module)
    return out


def check_allowed(path: str, where: str, extra: Iterable[str] = ()) -> str:
    """The module of `path`, once its syntax is right and it may be imported; else
    ConfigError / ImportNotAllowed. `extra`: modules allowed besides the policy's."""
    module, _ = split_import_path(path, where)
    if not (POLICY.allows(module) or module in extra):
        raise ImportNotAllowed(where, module)
    return module
