"""The window's look: a dark and a light theme for Qt's panels and the plots alike.

View ▸ Theme chooses System (the desktop's light/dark setting, followed live through Qt's
colour-scheme API; dark where the platform does not say, as offscreen or under Xvfb),
Light or Dark; the choice is saved, asked of Qt's colour scheme (native parts follow) and
applies at once. `apply` is the one place a theme takes effect: the Fusion palette,
pyqtgraph's defaults for plots made from now on, and a walk over every plot already built
that recolours whatever it drew in the old theme's colours (backgrounds, axes, titles,
legends, text badges), plus a `theme_changed(theme)` hook of the few widgets with a colour
of their own. Run colours, colour maps and the marks over the map are data, not theme:
they stay, except that the light theme draws the default palette's four pale colours
darker (`run_color`), so every run's line keeps 3:1 contrast on white. Headless pictures (`shot`, `run --png/--svg`) apply the theme they are asked
for (default dark), whatever the desktop's.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Union

import pyqtgraph as pg
from PySide6.QtCore import QObject, QSettings, Qt, Slot
from PySide6.QtGui import QActionGroup, QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QMenu

from ..core.i18n import tr
from . import pgcompat

Color = Union[str, tuple]  # "#rrggbb" or (r, g, b, alpha)
KEY = "theme"  # QSettings: "system", "light" or "dark"
CHOICES = ("system", "light", "dark")


@dataclass(frozen=True)
class Theme:
    name: str
    scheme: Qt.ColorScheme
    # the panels (a Fusion palette)
    window: Color
    base: Color  # lists, tables, inputs
    alternate_base: Color
    button: Color
    panel_text: Color
    muted: Color  # disabled text, placeholders
    highlight: Color
    link: Color
    # the plots
    plot_background: Color
    text: Color  # titles, axis labels, legends, readouts
    axis: Color  # axis lines, ticks and their numbers, the grid
    legend_brush: Color  # translucent: curves under a legend still show through
    legend_pen: Color
    badge_fill: Color  # behind text over a plot (hover readouts, notes)
    cursor: Color  # the step cursor's line
    marker: Color  # RAdam's rectifier line and its label
    data_points: Color  # a 1-D dataset's train points
    # the default run palette's colours this theme draws otherwise: (palette's, drawn)
    run_colors: tuple[tuple[str, str], ...] = ()


DARK = Theme(
    "dark", Qt.ColorScheme.Dark,
    window="#2b2d33", base="#393c43", alternate_base="#34373d", button="#41444c",
    panel_text="#e6e6e6", muted="#8a8d94", highlight="#3d7cc9", link="#7ab4f5",
    plot_background="#000000", text="#e6e6e6", axis="#969696",
    legend_brush=(18, 18, 24, 150), legend_pen=(140, 140, 150, 160),
    badge_fill=(20, 22, 30, 200), cursor=(230, 200, 80, 200), marker="#ffc85a",
    data_points=(200, 200, 210, 170))
LIGHT = Theme(
    "light", Qt.ColorScheme.Light,
    window="#efeff2", base="#ffffff", alternate_base="#f4f4f7", button="#e4e4e9",
    panel_text="#1d1f23", muted="#8e9097", highlight="#3d7cc9", link="#1f5fbf",
    plot_background="#ffffff", text="#1d1f23", axis="#55585f",
    legend_brush=(255, 255, 255, 190), legend_pen=(120, 120, 130, 160),
    badge_fill=(255, 255, 255, 215), cursor=(170, 110, 0, 210), marker="#a86400",
    data_points=(80, 82, 92, 170),
    # tab10's orange, pink, cyan and olive are 2.0-2.7:1 on white: the same hues darkened
    # to 3.2:1 (WCAG's 3:1 for lines and marks); the other six are 3.4:1 or more already.
    run_colors=(("#ff7f0e", "#e76c00"), ("#e377c2", "#de60b8"), ("#17becf", "#139ead"),
                ("#bcbd22", "#93941b")))
THEMES = {"dark": DARK, "light": LIGHT}

_state: dict = {"theme": None}  # the theme applied last (None: none yet)


def current() -> Theme:
    """The theme in effect; dark until one is applied."""
    return _state["theme"] or DARK


def for_scheme(scheme: Qt.ColorScheme) -> Theme:
    """The desktop's scheme as a theme: light only when it says light."""
    return LIGHT if scheme == Qt.ColorScheme.Light else DARK


def run_color(color: str) -> str:
    """A run's colour as the theme in effect draws it (see `Theme.run_colors`): a colour
    of the default palette may be drawn darker on a light ground; any other stays."""
    return dict(current().run_colors).get(color.lower(), color)


def palette(theme: Theme) -> QPalette:
    """The Fusion palette of a theme, in every colour group (disabled texts muted)."""
    pal = QPalette(QColor(theme.button), QColor(theme.window))  # derives bevels and shades
    role = QPalette.ColorRole
    for name, value in ((role.WindowText, theme.panel_text), (role.Text, theme.panel_text),
                        (role.ButtonText, theme.panel_text), (role.Base, theme.base),
                        (role.AlternateBase, theme.alternate_base),
                        (role.ToolTipBase, theme.button), (role.ToolTipText, theme.panel_text),
                        (role.PlaceholderText, theme.muted), (role.Highlight, theme.highlight),
                        (role.HighlightedText, "#ffffff"), (role.Link, theme.link),
                        (role.BrightText, "#ff6060")):
        pal.setColor(name, QColor(value))
    for name in (role.WindowText, role.Text, role.ButtonText):
        pal.setColor(QPalette.ColorGroup.Disabled, name, QColor(theme.muted))
    return pal


def apply(theme: Theme) -> None:
    """Make `theme` the look of the application: the panels' palette, new plots, and every
    plot and themed widget there is (see `restyle_view`). Plots are built in the colours of
    the theme in effect (dark until one is applied)."""
    old, first = current(), _state["theme"] is None
    if old == theme and not first:
        return
    _state["theme"] = theme
    pg.setConfigOptions(background=theme.plot_background, foreground=theme.axis)
    app = QApplication.instance()
    if app is None:
        return
    app.setPalette(palette(theme))
    recolor = recolor_table(old, theme)
    for widget in app.allWidgets():
        if isinstance(widget, pg.GraphicsView) and recolor:
            restyle_view(widget, recolor)
        if widget.styleSheet():  # a style sheet pins a widget to the palette of its polish
            widget.setStyleSheet(widget.styleSheet())
        hook = getattr(widget, "theme_changed", None)
        if callable(hook):  # a widget with a colour of its own (the map grid's ground, …)
            hook(theme)


# ---------------------------------------------------------------- restyling what is drawn

def _key(color) -> str:
    return pg.mkColor(color).name(QColor.NameFormat.HexArgb)


# The colours `restyle_view` looks for in what a plot drew (data_points: FitView's hook).
PLOT_FIELDS = ("plot_background", "text", "axis", "legend_brush", "legend_pen", "badge_fill",
               "cursor", "marker")


def recolor_table(old: Theme, new: Theme) -> dict[str, QColor]:
    """Each colour of the old theme's plots -> the new theme's colour in that place."""
    table = {}
    for name in PLOT_FIELDS:
        before, after = getattr(old, name), getattr(new, name)
        if before != after:
            table.setdefault(_key(before), pg.mkColor(after))
    return table


def restyle_view(view: pg.GraphicsView, recolor: dict[str, QColor]) -> None:
    """Recolour one view's background and the chrome of every item in its scene: what is
    in a colour of the old theme takes the new theme's colour; everything else stays."""

    def new(color) -> QColor | None:
        return recolor.get(_key(color)) if color is not None else None

    if (color := new(view.backgroundBrush().color())) is not None:
        view.setBackground(color)
    for item in view.scene().items():
        if isinstance(item, pg.AxisItem):
            _restyle_axis(item, new)
        elif isinstance(item, pg.LegendItem):
            _restyle_legend(item, new)
        elif isinstance(item, pg.LabelItem):
            _restyle_label(item, new)
        elif isinstance(item, pg.TextItem):
            _restyle_text(item, new)
        elif isinstance(item, pg.InfiniteLine) and (color := new(item.pen.color())) is not None:
            pen = pg.mkPen(item.pen)
            pen.setColor(color)
            item.setPen(pen)


def _restyle_axis(axis: pg.AxisItem, new) -> None:
    label_color = axis.labelStyle.get("color")
    if (color := new(axis.pen().color())) is not None:
        axis.setPen(color)  # (this sets the label's colour too: put back below)
    if (color := new(axis.textPen().color())) is not None:
        axis.setTextPen(color)
    if label_color is not None:
        axis.labelStyle["color"] = (new(label_color) or pg.mkColor(label_color)).name()
        pgcompat.update_axis_label(axis)


def _restyle_legend(legend: pg.LegendItem, new) -> None:
    if (brush := new(legend.brush().color())) is not None:
        legend.setBrush(brush)
    if (pen := new(legend.pen().color())) is not None:
        legend.setPen(pen)
    if (color := new(legend.labelTextColor())) is not None:
        legend.setLabelTextColor(color)  # new entries; the shown ones below
        for _sample, label in pgcompat.legend_entries(legend):
            label.setText(label.text, color=color)


def _restyle_label(label: pg.LabelItem, new) -> None:
    """Titles and captions in the theme's text colour (a run's coloured title stays)."""
    color = label.opts.get("color")
    if color is None or (color := new(color)) is not None:
        label.setText(label.text, color=color)


def _restyle_text(text: pg.TextItem, new) -> None:
    if (color := new(getattr(text, "color", None))) is not None:  # (none: made from html)
        text.setColor(color)
    if (fill := new(text.fill.color())) is not None and text.fill.style() != Qt.BrushStyle.NoBrush:
        pgcompat.set_text_fill(text, fill)


# ---------------------------------------------------------------- View ▸ Theme

class ThemeSwitch(QObject):
    """The user's choice of System, Light or Dark: saved in QSettings, applied at once;
    System follows the desktop's scheme as it changes."""

    def __init__(self, parent: QObject, settings: QSettings | None):
        super().__init__(parent)
        self.settings = settings
        self.menu: QMenu | None = None  # View ▸ Theme (add_theme_menu)
        if settings is None:  # a headless window: the theme its caller applied, kept
            self.choice = current().name
        else:
            saved = settings.value(KEY, "system")
            self.choice = saved if saved in CHOICES else "system"
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._on_scheme_changed)
        self._attached = True
        if settings is not None:
            self._apply_choice()

    def choose(self, choice: str) -> None:
        if choice not in CHOICES:
            raise ValueError(f"theme must be one of {CHOICES}, got {choice!r}")
        self.choice = choice
        if self.settings is not None:
            self.settings.setValue(KEY, choice)
        self._apply_choice()

    def _apply_choice(self) -> None:
        """Ask Qt for the scheme too (native parts, such as title bars, follow it); System
        withdraws the request, so the desktop's own scheme and its changes come through."""
        hints = QGuiApplication.styleHints()
        if self.choice == "system":
            hints.unsetColorScheme()
            apply(for_scheme(hints.colorScheme()))
        else:
            hints.setColorScheme(THEMES[self.choice].scheme)
            apply(THEMES[self.choice])

    def detach(self) -> None:
        """Its window is closing: the desktop's scheme changes are no longer its business
        (a closed window's switch on System would recolour the next window)."""
        if self._attached:
            self._attached = False
            QGuiApplication.styleHints().colorSchemeChanged.disconnect(self._on_scheme_changed)

    @Slot(Qt.ColorScheme)
    def _on_scheme_changed(self, scheme: Qt.ColorScheme) -> None:
        if self.choice == "system":
            apply(for_scheme(scheme))


def add_theme_menu(window, menu: QMenu) -> ThemeSwitch:
    """View ▸ Theme: System, Light, Dark (radio items)."""
    switch = ThemeSwitch(window, window.settings)
    themes = QMenu(tr("&Theme"), window)
    group = QActionGroup(themes)
    for choice, text in (("system", tr("System")), ("light", tr("Light")), ("dark", tr("Dark"))):
        action = themes.addAction(text)
        action.setCheckable(True)
        action.setChecked(choice == switch.choice)
        action.setData(choice)
        action.triggered.connect(lambda _=False, c=choice: switch.choose(c))
        group.addAction(action)
    menu.addMenu(themes)
    switch.menu = themes
    return switch
