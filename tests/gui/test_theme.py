"""View ▸ Theme: one look for panels and plots, switched at run time, following the desktop
when asked, remembered; headless pictures in the theme the command line asks for."""
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPalette
from PySide6.QtWidgets import QApplication

from optplayground import cli
from optplayground.core.experiment import Experiment, Problem, Run
from optplayground.gui import export, headless, theme
from optplayground.gui.plots import LossPlot
from optplayground.gui.theme import DARK, LIGHT


def color(value) -> str:
    return pg.mkColor(value).name(pg.QtGui.QColor.NameFormat.HexArgb)


def small_race(steps=5):
    return Experiment(name="theme race", problem=Problem(surface="booth", start=(-2.0, 3.0)),
                      runs=[Run("Adam", "adam", {"lr": 0.1}), Run("SGD", "sgd", {"lr": 0.01})],
                      steps=steps)


@pytest.fixture(autouse=True)
def _dark_after():
    """Each test leaves the application as the others expect it: dark, no scheme asked."""
    yield
    theme.apply(DARK)
    QGuiApplication.styleHints().unsetColorScheme()


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


def looks(plot: LossPlot) -> dict[str, str]:
    """The colours an existing step plot shows, read back from its items."""
    item = plot.plotItem
    axis = item.getAxis("left")
    (_sample, label), *_ = plot.legend.items
    return {"background": color(plot.backgroundBrush().color()),
            "axis label": color(axis.labelStyle["color"]),
            "axis pen": color(axis.pen().color()), "tick text": color(axis.textPen().color()),
            "title": color(item.titleLabel.opts["color"]),
            "legend brush": color(plot.legend.brush().color()),
            "legend pen": color(plot.legend.pen().color()),
            "legend text": color(label.opts["color"]),
            "readout text": color(plot.cursor.text.color),
            "readout fill": color(plot.cursor.text.fill.color())}


def expected(look: theme.Theme) -> dict[str, str]:
    return {"background": color(look.plot_background), "axis label": color(look.text),
            "axis pen": color(look.axis), "tick text": color(look.axis), "title": color(look.text),
            "legend brush": color(look.legend_brush), "legend pen": color(look.legend_pen),
            "legend text": color(look.text), "readout text": color(look.text),
            "readout fill": color(look.badge_fill)}


def choose(window, choice: str) -> None:
    """Pick View ▸ Theme ▸ `choice` as a user does."""
    action, = [a for a in window.theme_switch.menu.actions() if a.data() == choice]
    action.trigger()


def test_light_dark_light_restyles_what_is_drawn_is_remembered_and_system_follows(window, settings):
    w = window(small_race(), autoplay=False, settings=settings)  # offscreen: System is dark
    app = QApplication.instance()
    assert looks(w.loss_plot) == expected(DARK)
    for look in (LIGHT, DARK, LIGHT):
        choose(w, look.name)
        assert theme.current() is look and settings.value(theme.KEY) == look.name
        assert looks(w.loss_plot) == expected(look)  # the same items, recoloured
        assert color(app.palette().color(QPalette.ColorRole.Window)) == color(look.window)
        assert color(w.grid.palette().color(QPalette.ColorRole.Window)) == color(look.plot_background)
    assert color(w.map.getAxis("left").labelStyle["color"]) == color(LIGHT.text)
    assert 'fill="#ffffff"' in export.plot_svg(w.loss_plot)  # exports show what is seen
    fresh = LossPlot()  # a plot made after the switch is born light
    try:
        fresh.set_runs(w.live.styles)
        assert looks(fresh) == expected(LIGHT)
    finally:
        fresh.deleteLater()
    again = theme.ThemeSwitch(w, settings)  # the next start: the saved choice
    assert again.choice == "light" and theme.current() is LIGHT
    again.deleteLater()

    # System follows the desktop (offscreen, the platform says Unknown: dark) ...
    hints = QGuiApplication.styleHints()
    choose(w, "system")
    assert theme.current() is DARK and looks(w.loss_plot) == expected(DARK)
    hints.colorSchemeChanged.emit(Qt.ColorScheme.Light)  # the desktop turns light
    assert theme.current() is LIGHT and looks(w.loss_plot) == expected(LIGHT)
    hints.colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    assert theme.current() is DARK and looks(w.loss_plot) == expected(DARK)
    choose(w, "dark")  # ... a choice of Light or Dark does not
    hints.colorSchemeChanged.emit(Qt.ColorScheme.Light)
    assert theme.current() is DARK


def test_shot_in_the_light_theme_has_a_light_ground(qtbot, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(headless, "race_to_end", lambda *args: None)  # the theme, not the race
    out = tmp_path / "light.png"
    status = cli.main(["shot", "--surface", "booth", "--opt", "adam:lr=0.1", "--steps", "5",
                       "--size", "480x360", "--theme", "light", "--out", str(out)])
    assert status == 0, capsys.readouterr().err
    image = QImage(str(out))
    corner = image.pixelColor(image.width() - 2, image.height() - 2)  # the status bar's ground
    assert corner.lightness() > 220, corner.name()
    assert theme.current() is LIGHT
