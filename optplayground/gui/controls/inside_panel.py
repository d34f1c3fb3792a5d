"""The "Inside the update" panel: which internals the map draws, a "→" button that makes one
update, and that update's rule for the selected run with every term filled in."""
from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QGridLayout, QHBoxLayout, QLabel, QPushButton,
                               QScrollArea, QSpinBox, QVBoxLayout, QWidget)

from ...core.i18n import tr, translated
from ...core.internals import Internals
from ...core.update_math import to_html
from ..plots.internals_overlay import KINDS
from .common import swatch

TOGGLES = {**{kind: label for kind, (label, _) in KINDS.items()}, "phase": "RAdam phase"}


def tips() -> dict[str, str]:
    return {"grad": tr("the raw gradient at the point before the update, negated (downhill)"),
            "clipped": tr("the gradient after clipping (shown when clipping changed it)"),
            "moment": tr("the momentum buffer or Adam's first moment m, negated"),
            "update": tr("the step the optimizer actually took (drawn at its true length when "
                         "it is long enough to see)"),
            "effective": tr("adaptive methods: each coordinate's step size η, x and y (the "
                            "map's key gives its formula)"),
            "slow": tr("Lookahead: the slow weights, one point per sync"),
            "phase": tr("RAdam: the momentum-SGD steps before the rectifier turns on, shaded "
                        "on the loss plot")}


class InsidePanel(QWidget):
    kindToggled = Signal(str, bool)
    stepRequested = Signal()
    stepChosen = Signal(int)  # 0: the latest update; else a recorded update's number

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setMinimumWidth(330)  # the rule's numbers: two 4-digit coordinates a line
        layout = QVBoxLayout(self)
        toggles = QGridLayout()
        self.toggles: dict[str, QCheckBox] = {}
        tip = tips()
        for i, (kind, label) in enumerate(TOGGLES.items()):
            box = QCheckBox(translated(label))  # the symbols stay, the words are translated
            box.setChecked(True)
            box.setToolTip(tip[kind])
            box.setIcon(swatch(KINDS.get(kind, (None, "#ffc85a"))[1]))
            box.toggled.connect(lambda on, kind=kind: self.kindToggled.emit(kind, on))
            toggles.addWidget(box, i // 2, i % 2)
            self.toggles[kind] = box
        layout.addLayout(toggles)

        row = QHBoxLayout()
        self.step_button = QPushButton(tr("→  one update"))
        self.step_button.setToolTip(tr("Make one update and show its terms (key: →)"))
        self.step_button.clicked.connect(self.stepRequested)
        row.addWidget(self.step_button)
        row.addStretch(1)
        row.addWidget(QLabel(tr("show update")))
        self.at = QSpinBox()
        self.at.setRange(0, 100_000_000)
        self.at.setSpecialValueText(tr("latest"))
        self.at.setToolTip(tr("Which recorded update the map and the rule show (latest: the "
                              "run's head)"))
        self.at.valueChanged.connect(self.stepChosen)
        row.addWidget(self.at)
        layout.addLayout(row)

        self.heading = QLabel()
        self.heading.setTextFormat(Qt.RichText)
        self.heading.setWordWrap(True)
        layout.addWidget(self.heading)
        self.math = QLabel()
        self.math.setObjectName("update-math")
        self.math.setTextFormat(Qt.RichText)
        self.math.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.math.setWordWrap(True)  # a long rule (RAdam's r) wraps in the narrow panel
        self.math.setAlignment(Qt.AlignLeft | Qt.AlignTop)
        font = self.math.font()  # (a style sheet would pin the label to the palette of its
        font.setPointSizeF(11)  # first polish: it kept the dark ground in the light theme)
        self.math.setFont(font)
        scroll = QScrollArea()
        scroll.setWidget(self.math)
        scroll.setWidgetResizable(True)
        layout.addWidget(scroll, 1)
        self.show_update(None, "", "")

    def show_update(self, snapshot: Internals | None, run_name: str, why_none: str) -> None:
        """The rule of `snapshot` (an update of run `run_name`), or why there is none."""
        if snapshot is None:
            self.heading.setText(f"<i>{escape(why_none)}</i>")
            self.math.setText("")
            return
        self.heading.setText(tr("<b>{run}</b> · {optimizer} · update <b>{n}</b> · lr {lr}",
                                run=escape(run_name), optimizer=escape(snapshot.optimizer),
                                n=snapshot.step, lr=f"{snapshot.lr:.4g}"))
        self.math.setText(to_html(snapshot))

