"""View ▸ Theme: one look for panels and plots, switched at run time, following the desktop
when asked, remembered; headless pictures in the theme the command line asks for."""
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPalette
from PySide6.QtWidgets import QApplication

from optplayground import cli
from optplayground.core.experiment import PALETTE, Experiment, Problem, Run
from optplayground.gui import export, headless, theme
from optplayground.gui.plots import LossPlot
from optplayground.gui.theme import DARK, LIGHT

from .drive import swatch_color


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


def contrast(a, b) -> float:
    """WCAG contrast ratio of two colours (1 to 21)."""
    def luminance(value) -> float:
        c = pg.mkColor(value)
        linear = [x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4
                  for x in (c.redF(), c.greenF(), c.blueF())]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("look", [DARK, LIGHT], ids=["dark", "light"])
def test_every_default_run_colour_keeps_3_to_1_on_its_plots(look):
    theme.apply(look)
    drawn = [theme.run_color(c) for c in PALETTE]
    assert min(contrast(c, look.plot_background) for c in drawn) >= 3.0, drawn
    assert len(set(drawn)) == len(PALETTE)  # still ten colours
    assert theme.run_color("#123456") == "#123456"  # a colour the user picked stays


def test_a_theme_switch_redraws_the_pale_default_colours_everywhere(window, settings):
    exp = small_race()
    exp.runs.append(Run("Picked", "sgd", {"lr": 0.02}, color="#17becf"))  # orange, blue, cyan
    w = window(exp, autoplay=False, settings=settings)

    def shown(i):
        w.results.refresh(w.live, force=True)
        item = w.results.table.item(i, 0)
        return (w.live.styles[i].color, w.loss_plot.curves[i].opts["pen"].color().name(),
                swatch_color(w.runs_panel.list.item(i)), swatch_color(item))

    assert shown(0) == ("#1f77b4",) * 4 and shown(1) == ("#ff7f0e",) * 4
    choose(w, "light")
    assert shown(0) == ("#1f77b4",) * 4  # dark enough on white already
    assert shown(1) == ("#e76c00",) * 4 and shown(2) == ("#139ead",) * 4
    assert [r.color for r in w.experiment.runs] == ["", "", "#17becf"]  # data unchanged
    choose(w, "dark")
    assert shown(1) == ("#ff7f0e",) * 4 and shown(2) == ("#17becf",) * 4
