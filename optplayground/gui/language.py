"""The window's language: the saved choice (View ▸ Language) or the system's, and Qt's own
dialogs (file dialogs, colour picker, message box buttons) in it too. A new choice applies
when the window opens next: every widget would have to rebuild its texts otherwise."""
from __future__ import annotations

from PySide6.QtCore import QLibraryInfo, QSettings, QTranslator
from PySide6.QtGui import QActionGroup
from PySide6.QtWidgets import QApplication, QMenu

from ..core import i18n
from ..core.i18n import tr

KEY = "language"  # QSettings: "" (the system's), "en", "zh_CN"


def use_language(app: QApplication, settings: QSettings | None) -> str:
    """At start-up: --lang, else the saved choice, else the system's; Qt's translations and
    pyqtgraph's too (before any plot is built: pyqtgraph translates its menus then)."""
    saved = settings.value(KEY, "") if settings is not None else ""
    code = i18n.choose(saved if isinstance(saved, str) else "")
    install_qt_translations(app, code)
    install_library_translations(app, code)
    return code


def install_qt_translations(app: QApplication, code: str) -> QTranslator | None:
    """Qt's own texts in `code` from PySide6's translations folder (the installers keep
    qtbase_zh_CN.qm); None where there are none (English needs none)."""
    if code == "en":
        return None
    translator = QTranslator(app)
    folder = QLibraryInfo.path(QLibraryInfo.TranslationsPath)
    if not translator.load(f"qtbase_{code}", folder) or not app.installTranslator(translator):
        return None
    return translator


class CatalogTranslator(QTranslator):
    """Texts of a library that ships no translations (pyqtgraph's plot context menus, which
    it passes through Qt's translate) from our catalog resources/i18n/<library>.<code>.json."""

    def __init__(self, catalog: dict, parent=None):
        super().__init__(parent)
        self.catalog = catalog

    def translate(self, context, source, disambiguation=None, n=-1):
        return self.catalog.get(source)  # None: not ours, Qt asks the next translator

    def isEmpty(self) -> bool:
        return not self.catalog


def install_library_translations(app: QApplication, code: str) -> CatalogTranslator | None:
    catalog = i18n.load_catalog(code, "pyqtgraph")
    if not catalog:
        return None
    translator = CatalogTranslator(catalog, app)
    return translator if app.installTranslator(translator) else None


def add_language_menu(window, menu: QMenu) -> QMenu:
    """View ▸ Language: the system's, or one of ours; saved, used from the next start."""
    languages = QMenu(tr("&Language"), window)
    group = QActionGroup(languages)
    saved = window.settings.value(KEY, "") if window.settings is not None else ""
    for code, name in (("", tr("System default")), *i18n.LANGUAGES.items()):
        action = languages.addAction(name)
        action.setCheckable(True)
        action.setChecked(code == saved)
        action.setData(code)
        action.triggered.connect(lambda _=False, c=code: choose_language(window, c))
        group.addAction(action)
    languages.addSeparator()
    languages.addAction(tr("The language changes when optplayground starts again.")).setEnabled(False)
    menu.addMenu(languages)
    return languages


def choose_language(window, code: str) -> None:
    if window.settings is not None:
        window.settings.setValue(KEY, code)
    target = code or i18n.system_language()
    note = i18n.translate(target, "The language changes when optplayground starts again.")
    if target != i18n.language():
        window.statusBar().showMessage(note, 10000)
