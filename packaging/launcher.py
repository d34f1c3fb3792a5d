"""Entry point of the frozen app (PyInstaller): the same command line as `optplayground`.

One extra, for the smoke test: `optplayground --check-bundle` proves the bundle holds what
PyInstaller cannot find by reading imports (pyqtgraph's UI templates, Qt's SVG support, the
presets) and prints where it runs from. It exits 0 only if everything is there.
"""
import multiprocessing
import sys

PYQTGRAPH_TEMPLATE_USERS = (  # each imports its Qt UI template (by name in pyqtgraph < 0.14)
    "pyqtgraph.graphicsItems.ViewBox.ViewBoxMenu",
    "pyqtgraph.graphicsItems.PlotItem.PlotItem",
    "pyqtgraph.imageview.ImageView",
    "pyqtgraph.GraphicsScene.exportDialog",
)


def check_bundle() -> int:
    import importlib
    import os
    from importlib import resources

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    for name in PYQTGRAPH_TEMPLATE_USERS:
        importlib.import_module(name)
    import pyqtgraph as pg

    from optplayground.gui.app import make_app
    from optplayground.gui.export import plot_svg  # pyqtgraph's exporter, fixed for Qt >= 6.11

    app = make_app()
    plot = pg.PlotWidget()  # builds the ViewBox and plot menus from their templates
    plot.plot([0, 1, 2], [2, 0, 1])
    svg = plot_svg(plot)
    plot.close()
    app.processEvents()
    presets = resources.files("optplayground").joinpath("resources", "presets").iterdir()
    presets = [p.name for p in presets if p.name.endswith(".toml")]
    if "<svg" not in svg or not presets:
        print("bundle check failed: no SVG export or no presets", file=sys.stderr)
        return 1
    from optplayground.core.i18n import load_catalog
    from optplayground.gui.language import install_qt_translations

    if not load_catalog("zh_CN") or install_qt_translations(app, "zh_CN") is None:
        print("bundle check failed: no Chinese catalog or no qtbase_zh_CN.qm", file=sys.stderr)
        return 1
    print(f"bundle ok: {sys.executable}; pyqtgraph templates, SVG export, {len(presets)} presets, "
          "zh_CN")
    return 0


if __name__ == "__main__":
    multiprocessing.freeze_support()
    if sys.argv[1:] == ["--check-bundle"]:
        sys.exit(check_bundle())
    from optplayground.cli import main

    sys.exit(main())
