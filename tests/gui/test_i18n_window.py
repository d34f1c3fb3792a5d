"""The window in Chinese: every text it shows (menus, panels, the inside panel, the swarm
views, tooltips, plots, the status line) is translated, in surface and dataset mode; View ▸ Language saves the choice; Qt's own
dialogs are translated too."""
import html
import re

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QCoreApplication, QSettings, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (QAbstractButton, QApplication, QComboBox, QLabel, QLineEdit,
                               QMenu, QSpinBox, QTabWidget, QToolBar, QWidget, QWidgetAction)

from optplayground.core import i18n
from optplayground.core.batched.race import STATUS as RACE_STATUS
from optplayground.core.datasets import DATASETS
from optplayground.core.expression import FUNCTIONS
from optplayground.core.internals import Internals
from optplayground.core.lrfind import LRFindResult
from optplayground.core.swarm import SwarmFrame, SweepAxis
from optplayground.core.experiment import CLIP_PARAMS, DEVICES, Experiment, Problem, Run
from optplayground.core.losses import LOSSES
from optplayground.core.models import MODEL_PARAMS
from optplayground.core.optimizers import LOOKAHEAD, OPTIMIZERS
from optplayground.core.schedules import SCHEDULES
from optplayground.core.surfaces import SURFACES
from optplayground.gui.about import show_shortcuts
from optplayground.gui.language import (KEY, choose_language, install_library_translations,
                                       install_qt_translations)

RUNS = [Run("Momentum", "momentum", {"lr": 1e-3}), Run("Adam", "adam", {"lr": 0.02})]


def allowed_words() -> set:
    """English words a Chinese window may show: torch's names (optimizers, parameters, their
    choices), our run names, and whatever the translations themselves keep."""
    words = set()
    for text in [*i18n.load_catalog("zh_CN").values(), *i18n.load_catalog("zh_CN", "pyqtgraph").values()]:
        words |= set(re.findall(r"[A-Za-z]{3,}", text))
    specs = [*OPTIMIZERS.values(), LOOKAHEAD, *SCHEDULES.values(), *SURFACES.values(),
             *DATASETS.values(), *LOSSES.values()]
    params = [p for spec in specs for p in spec.params] + list(MODEL_PARAMS) + list(CLIP_PARAMS)
    for text in [*(p.name for p in params), *(str(c) for p in params for c in p.choices),
                 *(run.name for run in RUNS), *OPTIMIZERS, *DEVICES, *FUNCTIONS, "optplayground", "SVG", "Ctrl+Shift",
                 "English"]:  # a language's own name
        words |= set(re.findall(r"[A-Za-z]{3,}", text))
    return words


def shown_texts(window) -> list:
    """Every text of the window's widgets, actions and plots (hidden ones too)."""
    texts = []
    for widget in [window, *window.findChildren(QWidget)]:
        texts.append(widget.toolTip())
        if isinstance(widget, QLabel):
            texts.append(widget.text())
        elif isinstance(widget, QAbstractButton):
            texts.append(widget.text())
        elif isinstance(widget, QLineEdit):
            texts.append(widget.placeholderText())
        elif isinstance(widget, QSpinBox):
            texts.append(widget.specialValueText())
        elif isinstance(widget, QComboBox):
            for i in range(widget.count()):
                texts += [widget.itemText(i), widget.itemData(i, Qt.ToolTipRole) or ""]
        elif isinstance(widget, QTabWidget):
            for i in range(widget.count()):
                texts += [widget.tabText(i), widget.tabToolTip(i)]
        elif isinstance(widget, (QMenu, QToolBar)):
            texts += [widget.title() if isinstance(widget, QMenu) else widget.windowTitle()]
        elif isinstance(widget, pg.GraphicsView):
            texts += scene_texts(widget.scene())
    for action in window.findChildren(QAction):
        texts += [action.text(), action.toolTip(), action.statusTip()]
    return [t for t in texts if isinstance(t, str) and t.strip()]


def scene_texts(scene) -> list:
    """A pyqtgraph scene's titles, axis labels, legends and context menus."""
    texts = [action.text() for action in scene.contextMenu]
    for item in scene.items():
        if isinstance(item, pg.PlotItem):
            texts.append(item.titleLabel.text)
            texts += [item.getAxis(side).labelText for side in ("left", "bottom")]
            texts += menu_texts(item.ctrlMenu)
        elif isinstance(item, pg.LegendItem):
            texts += [label.text for _sample, label in item.items]
        elif isinstance(item, pg.ViewBox) and item.menu is not None:
            texts += menu_texts(item.menu)
    return texts


def menu_texts(menu) -> list:
    texts = [menu.title()]
    for action in menu.actions():
        texts += [action.text(), action.toolTip()]
        if action.menu() is not None:
            texts += menu_texts(action.menu())
        widget = action.defaultWidget() if isinstance(action, QWidgetAction) else None
        for child in [widget, *widget.findChildren(QWidget)] if widget is not None else []:
            texts.append(child.toolTip())
            if isinstance(child, (QLabel, QAbstractButton)):
                texts.append(child.text())
    return texts


def inside_texts(window) -> list:
    """The inside panel open on a Ranger update that synced (its rule's words: step, phase,
    sync), with the map's key (clipped gradient, slow weights) and RAdam's phase line."""
    update = Internals(run=0, step=6, optimizer="ranger", before=(-1.0, 1.0), after=(-0.99, 1.01),
                       lr=0.01, grad=(1.0, 2.0), clipped=(0.5, 1.0),
                       state={"step": 6.0, "exp_avg": (0.1, 0.2), "exp_avg_sq": (0.01, 0.04),
                              "slow_buffer": (-0.995, 1.005)},
                       hyper={"betas": (0.95, 0.999), "k": 3, "alpha": 0.5, "eps": 1e-5})
    window.inside.action.trigger()
    inside = window.inside
    texts = [inside.panel.heading.text()]  # why it shows nothing yet
    inside.panel.show_update(update, "Adam", "")
    inside.overlay.show(update, [update])
    inside.shade.show(6, "Adam")
    key = inside.overlay.key.toPlainText()
    assert "同步" in inside.panel.math.text() and "慢权重" in key and "裁剪后" in key
    return texts + [inside.panel.heading.text(), inside.panel.math.text(), key,
                    inside.shade.line.label.toPlainText()]


def swarm_frame(kind: str, n: int, minimum=None) -> SwarmFrame:
    """A finished swarm of `n` rows: row 0 diverged at step 7, the others reached the
    threshold at step 5 (as the swarm child would send it, without racing one)."""
    status = np.where(np.arange(n) == 0, 3, 1).astype(np.int8)
    return SwarmFrame(kind, 20, 20, True, np.zeros(n), np.zeros(n), np.linspace(1.0, 2.0, n),
                      status, np.where(status == 3, 7, 20), np.where(status == 3, -1, 5),
                      minimum=minimum)


def swarm_texts(window) -> list:
    """The swarm dock opened from View ▸ Swarm Views with a basin, a 2-D sweep, a what-if fan
    and an LR range test drawn from made-up answers of the swarm child (none is started)."""
    view_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "视图(&V)")
    next(a for a in view_menu.actions() if a is window.swarm.action).trigger()
    swarm, panel = window.swarm, window.swarm.panel
    assert swarm.dock.isVisible() and swarm.client._process is None
    swarm.basin.threshold = swarm.sweep_map.threshold = 0.001
    swarm.basin.start_job(2, ((-5.0, 5.0), (-5.0, 5.0)), [(3.0, 2.0)])
    basin = swarm_frame("basin", 4, np.array([0, 0, -1, 0], dtype=np.int8))
    swarm._on_frame("basin", 0, basin)  # the status line (the map is drawn once the box is ticked)
    swarm.basin.show_frame(basin)
    texts = [swarm.dock.windowTitle(), panel.basin_status.text()]
    texts += scene_texts(window.map.scene())  # the basin's legend, by minimum
    swarm.basin.set_mode("steps")
    texts += scene_texts(window.map.scene()) + [swarm.basin.bar.axis.labelText]
    assert "从未到达阈值" in texts  # its legend for numbers: never reached (grey)
    axes = (SweepAxis("lr", 1e-3, 1e-1, 2, True), SweepAxis("momentum", 0.0, 0.9, 2))
    swarm.sweep_map.start_job(axes, [(a, b) for a in (1e-3, 1e-1) for b in (0.0, 0.9)], (0.01, 0.5))
    swarm._on_frame("sweep", 0, swarm_frame("sweep", 4))
    texts += [panel.sweep_status.text(), swarm.sweep_map.describe(0), swarm.sweep_map.describe(1)]
    for metric in ("loss", "steps", "diverged"):
        swarm.sweep_map.set_metric(metric)
        texts.append(swarm.sweep_map.bar.axis.labelText)
        texts += [label.text for _swatch, label in swarm.sweep_map.legend.items]  # off the bar
    swarm._fan_color = "#ff0000"
    swarm._draw_fan("lr", [0.01, 0.005, 0.02], [np.zeros((3, 2))] * 3)
    swarm._on_failed("sweep", 0, "?")
    texts += [swarm.fan.label.toPlainText(), panel.sweep_status.text()]
    panel.set_dataset_mode(True)
    lrs = np.geomspace(1e-5, 1.0, 30)
    swarm.lr_test._on_lr_found(0, LRFindResult(lrs, 1 / (1 + lrs), 1 / (1 + lrs), 0.01, 25), "")
    texts += [panel.lr_status.text(), swarm.lr_plot.note.toPlainText()]
    assert "第 7 步已发散" in swarm.sweep_map.describe(0) and "建议学习率 0.01" in texts
    return texts


def watching_texts(window) -> list:
    """What issue 18 shows: the results table's headers, the timeline scrubbed back, and
    Help ▸ Keyboard Shortcuts (its menu actions' names and the keys that are no action)."""
    header = window.results.table.horizontalHeader().model()
    texts = [header.headerData(c, Qt.Horizontal, role) for c in range(header.columnCount())
             for role in (Qt.DisplayRole, Qt.ToolTipRole)]
    assert "最终损失" in texts
    window.timeline.follow(20)
    window.timeline.show_step(5)
    texts.append(window.timeline.label.text())
    assert "第 5 步 / 共 20 步" in texts
    qt = install_qt_translations(QApplication.instance(), "zh_CN")  # Qt names the keys
    box = show_shortcuts(window)
    texts += [box.windowTitle(), box.text()]
    assert "拖动时间轴" in box.text() and "空格" in box.text()
    box.close()
    QApplication.instance().removeTranslator(qt)
    return texts


def untranslated(texts, allowed) -> list:
    out = []
    for text in texts:
        plain = html.unescape(re.sub(r"<[^>]+>", " ", text))
        if any(word not in allowed for word in re.findall(r"[A-Za-z]{3,}", plain)):
            out.append(text)
    return out


@pytest.fixture
def chinese(qapp):
    i18n.misses.clear()
    i18n.set_language("zh_CN")
    plots = install_library_translations(qapp, "zh_CN")  # as use_language does at start-up
    yield
    qapp.removeTranslator(plots)
    i18n.set_language("en")
    i18n.misses.clear()


def test_every_text_the_window_shows_is_chinese_and_view_language_saves_a_choice(
        window, qtbot, chinese, tmp_path):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)
    w = window(Experiment(name="Rosenbrock race", problem=Problem(surface="rosenbrock"), runs=RUNS,
                          steps=20), autoplay=False, settings=settings)
    w.runs_panel.editor.schedule_editor.add_stage()  # a stage's own widgets
    w.runs_panel.editor.schedule_editor.add_stage()
    texts = shown_texts(w) + inside_texts(w) + swarm_texts(w) + watching_texts(w)
    assert "文件(&F)" in texts and "学习率" in texts and "Rosenbrock 比赛" in w.windowTitle()

    w.problem_panel.mode_combo.setCurrentIndex(w.problem_panel.mode_combo.findData("dataset"))
    w.files._fill_export_menu()
    texts += shown_texts(w)
    assert "拟合" in texts and "数据集视图（PNG）…" in texts and "显示全部" in texts  # pyqtgraph's menu
    texts += [i18n.tr(status) for status in (*RACE_STATUS, "error")]  # the status line's, once a run ends
    assert not i18n.misses, f"texts without a translation: {sorted(i18n.misses)}"
    left = sorted(set(untranslated(texts, allowed_words())))
    assert not left, f"English left in the window: {left}"

    menu = next(a.menu() for a in w.menuBar().actions() if a.text() == "视图(&V)")
    languages = next(a.menu() for a in menu.actions() if a.text() == "语言(&L)")
    assert [a.text() for a in languages.actions() if a.isCheckable()] == ["跟随系统", "English", "简体中文"]
    choose_language(w, "en")
    assert settings.value(KEY) == "en"
    assert w.statusBar().currentMessage() == "The language changes when optplayground starts again."


def test_qt_own_dialog_texts_come_in_chinese(qapp):
    app = QApplication.instance()
    assert install_qt_translations(app, "en") is None
    translator = install_qt_translations(app, "zh_CN")
    try:
        assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "取消"
    finally:
        app.removeTranslator(translator)
    assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "Cancel"
