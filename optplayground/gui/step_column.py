"""The column of step plots: which are shown, and sharing its height among them.

A dataset race shows two more plots (train/test loss, accuracy) that a surface race hides;
shown again, they came back as ~40 px strips where the splitter had squeezed them."""
from __future__ import annotations

from PySide6.QtWidgets import QSplitter, QWidget


def shown_panes(splitter: QSplitter, window: QWidget, keep: QWidget) -> list[bool]:
    """Per pane: shown in `window` (the pane `keep` never counts)."""
    return [splitter.widget(i).isVisibleTo(window) and splitter.widget(i) is not keep
            for i in range(splitter.count())]


def balance(splitter: QSplitter, window: QWidget, keep: QWidget) -> None:
    """Share the height evenly among the shown panes; `keep` keeps its height (its size
    hint's before the window was first laid out: a dataset race opened at launch left the
    results table at 0 px)."""
    shown, sizes = shown_panes(splitter, window, keep), splitter.sizes()
    kept = splitter.indexOf(keep)
    kept_size = (sizes[kept] or keep.sizeHint().height()) if kept >= 0 else 0
    total = max(0, (sum(sizes) or splitter.height()) - kept_size)
    each = max(1, total // max(1, sum(shown)))
    splitter.setSizes([kept_size if i == kept else each if on else 0
                       for i, on in enumerate(shown)])
