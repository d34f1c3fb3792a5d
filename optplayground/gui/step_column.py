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


def fit_pane(splitter: QSplitter, pane: QWidget, most: float = 1 / 3) -> None:
    """Give `pane` its size hint's height (at most `most` of the column); the other shown
    panes give or take the difference evenly."""
    sizes, k = splitter.sizes(), splitter.indexOf(pane)
    others = [i for i, size in enumerate(sizes) if size > 0 and i != k]
    if k < 0 or not others or not sum(sizes):
        return  # not laid out yet: balance() uses the hint
    height = min(pane.sizeHint().height(), int(sum(sizes) * most))
    share = (height - sizes[k]) // len(others)
    splitter.setSizes([height if i == k else size - share if i in others else size
                       for i, size in enumerate(sizes)])
