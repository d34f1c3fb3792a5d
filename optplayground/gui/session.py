"""What the window keeps from one launch to the next (QSettings): its geometry and the
last experiment raced, which File ▸ Reopen Last Experiment brings back."""
from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings

from ..core import experiment as xp
from ..core.experiment import Experiment
from ..core.i18n import tr
from ..core.trust import ImportNotAllowed

DEFAULT_SIZE = (1600, 1000)


def settings_text(settings: QSettings | None, key: str) -> str:
    value = settings.value(key, "") if settings is not None else ""
    return value if isinstance(value, str) else ""


def remembered_experiment(settings: QSettings | None) -> tuple[Experiment | None, str]:
    """The last experiment raced, and why there is none when it cannot come back: its
    import-path optimizers return only if their modules are on the allow-list."""
    text = settings_text(settings, "last_experiment")
    try:
        return (xp.validate(xp.loads(text)) if text else None), ""
    except ImportNotAllowed as error:
        return None, tr("The last experiment was not reopened: it imports module "
                        "{module}, which is not on the allow-list", module=repr(error.module))
    except Exception:  # noqa: BLE001 — a corrupt store (ConfigError or worse) is ignored
        return None, ""


def restore_geometry(window, settings: QSettings | None) -> None:
    """The saved geometry, else DEFAULT_SIZE within the screen (a 1280×720 screen got a
    1600×1000 window running off its edges)."""
    room = window.screen().availableGeometry()
    window.resize(min(DEFAULT_SIZE[0], room.width()), min(DEFAULT_SIZE[1], room.height()))
    geometry = settings.value("geometry") if settings is not None else None
    if isinstance(geometry, QByteArray):
        window.restoreGeometry(geometry)


def remember(window, settings: QSettings | None) -> None:
    """At close: the geometry and the experiment, for the next launch."""
    if settings is None:
        return
    settings.setValue("geometry", window.saveGeometry())
    settings.setValue("last_experiment", xp.dumps(window.experiment))
    settings.sync()
