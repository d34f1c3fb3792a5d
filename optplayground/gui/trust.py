"""The window's side of the trust decision (core/trust.py): ask before an experiment's
import-path optimizers are imported, and keep the modules the user always allows.

A file that names a module not allowed yet gets a dialog naming the module(s) and the
file: "Allow once" (for as long as the window is open), "Always allow this module"
(remembered in the settings), or "Cancel" (nothing is imported; the file is not opened).
"""
from __future__ import annotations

import html

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox, QWidget

from ..core.trust import POLICY, modules_to_allow
from ..core.i18n import tr

ALLOW_LIST_KEY = "allowed_import_modules"
ONCE, ALWAYS, CANCEL = "once", "always", "cancel"


def allowed_modules(settings: QSettings | None) -> list[str]:
    """The modules the user always allows, as the settings hold them."""
    if settings is None:
        return []
    value = settings.value(ALLOW_LIST_KEY, [])
    if isinstance(value, str):  # an ini file gives one entry back as a plain string
        value = [value] if value else []
    if not isinstance(value, list):
        return []
    return [m for m in value if isinstance(m, str) and all(p.isidentifier() for p in m.split("."))]


def load_allow_list(settings: QSettings | None) -> None:
    """Give this process the settings' allow-list (at start-up, before anything loads)."""
    POLICY.allow(*allowed_modules(settings))


def always_allow(settings: QSettings | None, modules: list[str]) -> None:
    POLICY.allow(*modules)
    if settings is not None:
        kept = allowed_modules(settings)
        settings.setValue(ALLOW_LIST_KEY, kept + [m for m in modules if m not in kept])
        settings.sync()


def permit(parent: QWidget | None, experiment, source: str,
           settings: QSettings | None) -> bool:
    """True once every module `experiment` would import is allowed (asking if need be);
    False if the user cancels: then nothing was imported."""
    modules = modules_to_allow(experiment)
    if not modules:
        return True
    choice = ask_user(parent, modules, source)
    if choice == ALWAYS:
        always_allow(settings, modules)
    elif choice == ONCE:
        POLICY.allow(*modules)
    return choice in (ONCE, ALWAYS)


def ask_user(parent: QWidget | None, modules: list[str], source: str) -> str:
    """The dialog: ONCE, ALWAYS or CANCEL (closing it cancels)."""
    names = ", ".join(f"<b>{html.escape(m)}</b>" for m in modules)
    box = QMessageBox(parent)
    box.setObjectName("trust-dialog")
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(tr("Run code from this experiment?"))
    text = (tr("{source} uses optimizers from the Python module {names}.") if len(modules) == 1
            else tr("{source} uses optimizers from the Python modules {names}."))
    box.setText(text.format(source=html.escape(source), names=names))
    box.setInformativeText(tr("Importing a module runs its code with your permissions. Allow "
                              "it only if you trust where the file and the module come from."))
    buttons = {
        box.addButton(tr("Allow once"), QMessageBox.ButtonRole.AcceptRole): ONCE,
        box.addButton(tr("Always allow this module") if len(modules) == 1 else
                      tr("Always allow these modules"), QMessageBox.ButtonRole.YesRole): ALWAYS,
    }
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel)
    box.setEscapeButton(cancel)
    box.exec()
    return buttons.get(box.clickedButton(), CANCEL)
